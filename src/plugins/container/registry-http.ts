import type { FastifyReply, FastifyRequest } from 'fastify';

import { AuthenticationError, PermissionError, type ClientRoute, type Services } from '../../plugin-api/index.js';
import { isValidRepositoryName } from './names.js';
import { type Caller, challengeFor, type RegistryAuthEnvironment, authorizeRegistryRequest } from './registry-auth.js';
import { nameInvalid, RegistryError } from './registry-errors.js';
import { type RegistryPath, parseRegistryPath } from './registry-paths.js';
import { handlePull } from './registry-pull.js';
import { handlePush } from './registry-push.js';
import { type ContainerSettings, containerSettings, type RequestOrigin } from './registry-settings.js';
import { VerifiedTokenCache } from './token-cache.js';
import { type TokenKeyPair, loadTokenKeys } from './token-keys.js';
import type { RegistryTarget } from './token-scopes.js';
import { handleTokenRequest } from './token-endpoint.js';

/** Headers of every registry answer: the API version, and support of the signature extension. */
const REGISTRY_HEADERS = {
  'docker-distribution-api-version': 'registry/2.0',
  'x-registry-supports-signatures': '1',
};

/** The per-process state of the registry: settings and the token server's key pair (loaded once). */
export class Registry implements RegistryAuthEnvironment {
  readonly settings: ContainerSettings;
  readonly tokens = new VerifiedTokenCache();
  private keyPair: Promise<TokenKeyPair> | null = null;

  constructor(readonly services: Services) {
    this.settings = containerSettings(services.settings);
  }

  keys(): Promise<TokenKeyPair> {
    this.keyPair ??= loadTokenKeys(this.settings, this.services.db).catch((err: unknown) => {
      this.keyPair = null;
      throw err;
    });
    return this.keyPair;
  }
}

/** One registry request, authorised. */
export interface RegistryContext {
  registry: Registry;
  request: FastifyRequest;
  reply: FastifyReply;
  method: string;
  path: Exclude<RegistryPath, { kind: 'base' }>;
  query: URLSearchParams;
  origin: RequestOrigin;
  caller: Caller;
}

export function requestOrigin(request: FastifyRequest): RequestOrigin {
  return { protocol: request.protocol, host: request.headers.host ?? request.hostname };
}

function targetOf(path: RegistryPath, method: string, query: URLSearchParams): RegistryTarget {
  switch (path.kind) {
    case 'base':
      return { method };
    case 'catalog':
      return { method, catalog: true };
    case 'uploads': {
      const keys = [...new Set(query.keys())].sort();
      const mount = keys.length === 2 && keys[0] === 'from' && keys[1] === 'mount';
      return { method, name: path.name, ...(mount ? { mountFrom: query.get('from') ?? '' } : {}) };
    }
    default:
      return { method, name: path.name };
  }
}

/** Renders a registry error (and the errors of the layers below it) in the distribution spec's shape. */
function toRegistryError(err: unknown): RegistryError | null {
  if (err instanceof RegistryError) return err;
  if (err instanceof AuthenticationError) return new RegistryError('UNAUTHORIZED', err.message);
  if (err instanceof PermissionError) return new RegistryError('DENIED', err.message);
  return null;
}

async function serve(registry: Registry, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  void reply.headers(REGISTRY_HEADERS);
  // The raw path: URL parsing would resolve dot segments, and `a/../b` must be refused, not served as `b`.
  const [rawPath = '', rawQuery = ''] = splitOnce(request.url, '?');
  const query = new URLSearchParams(rawQuery);
  const method = request.method;
  const origin = requestOrigin(request);
  const path = parseRegistryPath(rawPath);
  let target: RegistryTarget = { method };
  try {
    if (!path) throw new RegistryError('UNSUPPORTED', 'Not found.', {}, { status: 404 });
    if ('name' in path && !isValidRepositoryName(path.name)) throw nameInvalid(path.name);
    target = targetOf(path, method, query);
    const caller = await authorizeRegistryRequest(registry, origin, target, request.headers.authorization);
    if (path.kind === 'base') {
      if (method !== 'GET' && method !== 'HEAD') throw new RegistryError('UNSUPPORTED', 'Method not allowed.');
      return reply.code(200).type('application/json').send({});
    }
    const ctx: RegistryContext = { registry, request, reply, method, path, query, origin, caller };
    if (method === 'GET' || method === 'HEAD') return await handlePull(ctx);
    return await handlePush(ctx);
  } catch (err) {
    const rendered = toRegistryError(err);
    if (!rendered) throw err;
    if (rendered.status === 401)
      void reply.header('www-authenticate', challengeFor(registry, origin, target, rendered));
    if (rendered.status >= 413 && rendered.status !== 416) void reply.header('connection', 'close');
    request.log.info({ status: rendered.status, code: rendered.code, reason: rendered.message }, 'registry refused');
    return reply.code(rendered.status).type('application/json').send(JSON.stringify(rendered.body()));
  }
}

function splitOnce(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}

const METHODS: ClientRoute['method'] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The registry's routes on the API process: `/v2/`, `/extensions/v2/` and the token server's `/token/`. */
export function registryRoutes(services: Services): ClientRoute[] {
  const registry = new Registry(services);
  // The token server's key pair is read (or generated and stored) when the process starts, not at the first
  // token request; a failure is reported by the requests that need the keys (keys() retries then).
  registry.keys().catch((err: unknown) => services.logger.error({ err }, 'token key pair unavailable'));
  const handler = (request: FastifyRequest, reply: FastifyReply) => serve(registry, request, reply);
  return [
    { method: METHODS, url: '/v2', handler },
    { method: METHODS, url: '/v2/*', handler },
    { method: METHODS, url: '/extensions/v2/*', handler },
    {
      method: ['GET', 'HEAD'],
      url: '/token/',
      handler: (request, reply) => handleTokenRequest(registry, request, reply),
    },
    {
      method: ['GET', 'HEAD'],
      url: '/token',
      handler: (request, reply) => handleTokenRequest(registry, request, reply),
    },
  ];
}
