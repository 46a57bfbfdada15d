import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

import { AuthenticationError, ValidationError } from '../core/errors.js';
import { apiPrefix } from '../core/ids.js';
import type { ProcessMetrics } from '../core/metrics.js';
import { parseDiagnosticsHeader, requestedDiagnostics } from '../core/task-diagnostics.js';
import { pipeToFile } from '../core/pipe-to-file.js';
import { ownedTempName } from '../core/temp-names.js';
import type { Settings } from '../core/settings.js';
import type { Database } from '../db/database.js';
import type {
  ApiUser,
  ComponentSchema,
  Operation,
  OperationModule,
  RequestContext,
  Services,
  UploadedFile,
} from '../plugin-api/operations.js';
import type { ClientRoute } from '../plugin-api/define-plugin.js';
import type { Dispatcher } from '../plugin-api/tasks.js';
import type { Storage } from '../storage/storage.js';
import { BasicAuthenticator } from './auth.js';
import { type BrowsableApiOptions, installBrowsableApi } from './browsable/install.js';
import { coerceFormBody, NULL_CHARACTER_MESSAGE, validateBody } from './body.js';
import { CORRELATION_HEADER, correlationIdFor } from './correlation-id.js';
import { sendError, sendJson } from './errors.js';
import { type AfterOperation, installRbac } from './rbac/install.js';
import { API_DESCRIPTION, type ApiDescription } from './openapi.js';
import { compileQExpression } from './q-filter.js';

/** Hook run for every authenticated operation before its handler; the RBAC layer installs it. */
export type Authorizer = (ctx: RequestContext) => Promise<void>;
/** Alternative authentication (session cookies, ...), tried after Basic. */
export type Authenticator = (request: FastifyRequest) => Promise<ApiUser | null>;

export interface BuildApiOptions {
  settings: Settings;
  db: Database;
  logger: Logger;
  /** Operation modules, built from the services (see api/modules.ts). */
  modules: (services: Services) => OperationModule[];
  dispatcher: Dispatcher;
  storage: Storage;
  /** Services shared with handlers (storage, ...), by name. */
  extensions?: Map<string, unknown>;
  /** Plugins' routes outside the API prefix (see api/modules.ts). */
  clientRoutes?: (services: Services) => ClientRoute[];
  /** Extra static folders (the web UI) for the browsable API's asset routes. */
  browsable?: Pick<BrowsableApiOptions, 'staticFolders'>;
  /** Prometheus metrics at `/metrics`: this process's (summed over its cluster) and the cluster's from the database. */
  metrics?: { process: ProcessMetrics; cluster: () => Promise<string> };
}

export interface ApiApp {
  app: FastifyInstance;
  services: Services;
  operations: Operation[];
  components: ComponentSchema[];
  authenticator: BasicAuthenticator;
}

const FORM = Symbol('form');
interface FormBody {
  [FORM]: Record<string, string[]>;
}

function parseForm(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) (out[k] ??= []).push(v);
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Every query parameter; a NUL anywhere is a field error here, before it can reach a filter or the database. */
function queryOf(url: URL): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const errors: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    if (k.includes('\u0000') || v.includes('\u0000')) errors[k.replace(/\u0000/g, '')] = [NULL_CHARACTER_MESSAGE];
    (out[k] ??= []).push(v);
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return out;
}

const patterns = new Map<string, RegExp>();
/** A route (`tasks/:pulp_id/`) as a regular expression over request paths. */
function routePattern(prefix: string, url: string): RegExp {
  const key = `${prefix}${url}`;
  let re = patterns.get(key);
  if (!re) {
    const body = key
      .split(/(:[A-Za-z0-9_]+)/)
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`);
    patterns.set(key, re);
  }
  return re;
}

export async function buildApiApp(options: BuildApiOptions): Promise<ApiApp> {
  const { settings, db, logger } = options;
  const prefix = apiPrefix(settings.API_ROOT);
  const services: Services = {
    db,
    settings,
    logger,
    apiPrefix: prefix,
    storage: options.storage,
    dispatcher: options.dispatcher,
    extensions: options.extensions ?? new Map<string, unknown>(),
  };
  const authenticator = new BasicAuthenticator(db);
  services.extensions.set('authenticator', authenticator);
  installRbac(services);
  if (!services.extensions.has('q')) services.extensions.set('q', compileQExpression);
  const tmpDir = path.join(settings.MEDIA_ROOT, 'tmp');

  const app = Fastify({
    // Fastify bundles its own pino typings; the instance is the same logger.
    loggerInstance: logger.child({ component: 'api' }) as unknown as FastifyBaseLogger,
    bodyLimit: settings.MAX_BODY_SIZE,
    // One line per request (written in onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID().replace(/-/g, ''),
    // Errors Fastify meets before routing (an undecodable path) go through the one error mapping too.
    frameworkErrors: (error, request, reply) => void sendError(error, request, reply),
  });

  // Pulp (DRF) parses JSON, urlencoded and multipart only: anything else, text/plain included, is a 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    let text: string;
    try {
      // Invalid UTF-8 is refused (as Pulp does) instead of being stored as U+FFFD.
      text = strictUtf8.decode(typeof body === 'string' ? Buffer.from(body) : body);
    } catch {
      return done(new ValidationError({ detail: 'JSON parse error - the body is not valid UTF-8.' }), undefined);
    }
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new ValidationError({ detail: `JSON parse error - ${(err as Error).message}` }), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, { [FORM]: parseForm(typeof body === 'string' ? body : body.toString('utf8')) } satisfies FormBody);
  });
  await app.register(multipart, {
    limits: { fileSize: settings.MAX_UPLOAD_SIZE, fieldSize: settings.MAX_BODY_SIZE, parts: 1000 },
  });

  app.addHook('onRequest', async (request, reply) => {
    const cid = correlationIdFor(request.headers['correlation-id']);
    (request as FastifyRequest & { correlationId?: string }).correlationId = cid;
    // Set on the raw response: Fastify lowercases the names of headers it manages, Pulp sends this spelling.
    reply.raw.setHeader(CORRELATION_HEADER, cid);
    reply.raw.setHeader('Access-Control-Expose-Headers', CORRELATION_HEADER);
  });

  const metrics = options.metrics;
  app.addHook('onResponse', async (request, reply) => {
    metrics?.process.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    request.log.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const url = new URL(request.url, 'http://localhost');
    if (!url.pathname.endsWith('/') && url.pathname.startsWith(prefix)) {
      return reply.code(301).header('location', `${url.pathname}/${url.search}`).send();
    }
    // A routed path asked with another method is DRF's 405, not a 404.
    const allowed = operations.filter((op) => routePattern(prefix, op.url).test(url.pathname)).map((op) => op.method);
    if (allowed.length > 0) {
      return sendJson(reply.code(405).header('allow', [...new Set(allowed)].join(', ')), {
        detail: `Method "${request.method}" not allowed.`,
      });
    }
    return sendJson(reply.code(404), { detail: 'Not found.' });
  });

  const operations: Operation[] = [];
  const components: ComponentSchema[] = [];
  for (const module of options.modules(services)) {
    operations.push(...module.operations);
    components.push(...(module.components ?? []));
  }
  services.extensions.set(API_DESCRIPTION, { operations, components } satisfies ApiDescription);
  // Before the routes: its onSend hook renders their answers as HTML pages for browsers.
  await installBrowsableApi(app, { settings, db, apiPrefix: prefix, operations, authenticator, ...options.browsable });

  for (const operation of operations) {
    app.route({
      method: operation.method,
      url: `${prefix}${operation.url}`,
      handler: async (request, reply) => {
        const ctx = await buildContext(request, operation);
        try {
          const authorize = services.extensions.get('authorize') as Authorizer | undefined;
          if (authorize && operation.auth !== false) await authorize(ctx);
          const diagnostics = parseDiagnosticsHeader(request.headers['x-task-diagnostics']);
          const result = diagnostics
            ? await requestedDiagnostics.run(diagnostics, () => operation.handle(ctx))
            : await operation.handle(ctx);
          const after = services.extensions.get('afterOperation') as AfterOperation | undefined;
          if (after && result.status < 300) await after(ctx, result);
          for (const [k, v] of Object.entries(result.headers ?? {})) void reply.header(k, v);
          void reply.code(result.status);
          if (result.status === 204 || result.body === undefined) return reply.send();
          if (typeof result.body === 'string' || Buffer.isBuffer(result.body) || result.body instanceof Readable)
            return reply.send(result.body);
          return sendJson(reply, result.body);
        } finally {
          if (ctx.files.length > 0) await Promise.all(ctx.files.map((f) => rm(f.path, { force: true })));
        }
      },
    });
  }

  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      const [own, cluster] = await Promise.all([metrics.process.text(), metrics.cluster()]);
      return reply.header('content-type', metrics.process.contentType).send(`${own}\n${cluster}`);
    });
  }

  const clientRoutes = options.clientRoutes?.(services) ?? [];
  if (clientRoutes.length > 0) {
    // Client protocols (pip, twine, container registries) send bodies the handlers stream themselves.
    await app.register(async (child) => {
      child.removeAllContentTypeParsers();
      child.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      for (const route of clientRoutes) {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        child.route({
          method: methods,
          url: route.url,
          exposeHeadRoute: !methods.includes('HEAD'),
          handler: (request, reply) => route.handler(request, reply, services),
        });
      }
    });
  }

  async function buildContext(request: FastifyRequest, operation: Operation): Promise<RequestContext> {
    const url = new URL(request.url, `${request.protocol}://${request.headers.host ?? 'localhost'}`);
    let user: ApiUser | null = null;
    if (operation.auth !== false) {
      user = await authenticator.authenticate(request.headers.authorization);
      if (!user) {
        const others = services.extensions.get('authenticators') as Authenticator[] | undefined;
        for (const auth of others ?? []) {
          user = await auth(request);
          if (user) break;
        }
      }
      if (!user) throw new AuthenticationError();
    }
    const files: UploadedFile[] = [];
    let body: Record<string, unknown> = {};
    if (operation.body) {
      let raw: unknown = request.body;
      if (request.isMultipart()) {
        const form: Record<string, string[]> = {};
        await mkdir(tmpDir, { recursive: true });
        try {
          for await (const part of request.parts()) {
            if (part.type === 'file') {
              const dest = path.join(tmpDir, ownedTempName('upload'));
              files.push({ field: part.fieldname, filename: part.filename, path: dest, size: 0 });
              await pipeToFile(part.file, dest);
              if (part.file.truncated)
                throw new ValidationError({ [part.fieldname]: ['The submitted file is too large.'] });
              const last = files[files.length - 1];
              if (last) last.size = part.file.bytesRead;
              (form[part.fieldname] ??= []).push(dest);
            } else {
              (form[part.fieldname] ??= []).push(String(part.value));
            }
          }
        } catch (err) {
          await Promise.all(files.map((f) => rm(f.path, { force: true })));
          throw err;
        }
        raw = coerceFormBody(operation.body.schema, form);
      } else if (raw && typeof raw === 'object' && FORM in raw) {
        raw = coerceFormBody(operation.body.schema, (raw as FormBody)[FORM]);
      }
      body = validateBody(operation.body, raw, { partial: operation.method === 'PATCH' });
    }
    return {
      params: (request.params ?? {}) as Record<string, string>,
      query: queryOf(url),
      body,
      files,
      headers: request.headers,
      user,
      services,
      correlationId: (request as FastifyRequest & { correlationId?: string }).correlationId ?? '',
      url,
      raw: request.raw,
      operation,
    };
  }

  return { app, services, operations, components, authenticator };
}
