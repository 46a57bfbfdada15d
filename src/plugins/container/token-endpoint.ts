import type { FastifyReply, FastifyRequest } from 'fastify';

import { AuthenticationError, type ApiUser } from '../../plugin-api/index.js';
import { basicUser } from './registry-auth.js';
import type { Registry } from './registry-http.js';
import { requestOrigin } from './registry-http.js';
import { RegistryPermissions } from './registry-permissions.js';
import { tokenServer } from './registry-settings.js';
import { requestedScopes } from './token-scopes.js';
import { determineAccess, issueToken } from './token-server.js';

/**
 * GET /token/?service=<registry host>&scope=repository:<name>:pull,push — pulp_container's BearerTokenView:
 * anonymous callers get a token too (with the actions anyone may perform, possibly none); wrong credentials
 * are a 401.
 */
export async function handleTokenRequest(
  registry: Registry,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const url = new URL(request.url, 'http://registry');
  let user: ApiUser | null;
  try {
    user = await basicUser(registry.services, request.headers.authorization);
  } catch (err) {
    if (!(err instanceof AuthenticationError)) throw err;
    return reply
      .code(401)
      .header('www-authenticate', 'Basic realm="api"')
      .type('application/json')
      .send({ detail: err.message });
  }
  const service = url.searchParams.get('service');
  if (!service) return reply.code(400).type('application/json').send({ detail: 'No service name provided.' });
  const access = await determineAccess(
    requestedScopes(url.searchParams.getAll('scope')),
    new RegistryPermissions(registry.services, user),
  );
  const token = await issueToken({
    keys: await registry.keys(),
    issuer: tokenServer(registry.settings, requestOrigin(request)),
    service,
    subject: user?.username ?? '',
    access,
    expiresIn: registry.settings.TOKEN_EXPIRATION_TIME,
  });
  return reply.code(200).type('application/json').send(token);
}
