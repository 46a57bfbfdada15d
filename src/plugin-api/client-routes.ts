import type { FastifyRequest } from 'fastify';

import { AuthenticationError } from '../core/errors.js';
import type { ApiUser, Services } from './operations.js';
import { type ObjectRef } from './rbac-catalogue.js';
import { loadUserPermissions } from './rbac-permissions.js';

/** What authenticates API requests, as the API app publishes it in `services.extensions`. */
interface Authenticators {
  basic?: { authenticate(header: string | undefined): Promise<ApiUser | null> };
  others?: Array<(request: FastifyRequest) => Promise<ApiUser | null>>;
}

/**
 * The user a client-route request authenticates as (Basic credentials, or a session), or null when it sends
 * none. Wrong credentials are an AuthenticationError (401), as on the REST API.
 */
export async function authenticateClient(services: Services, request: FastifyRequest): Promise<ApiUser | null> {
  const auth: Authenticators = {
    basic: services.extensions.get('authenticator') as Authenticators['basic'],
    others: services.extensions.get('authenticators') as Authenticators['others'],
  };
  const header = request.headers.authorization;
  if (header && /^basic\s/i.test(header)) {
    const user = (await auth.basic?.authenticate(header)) ?? null;
    if (!user) throw new AuthenticationError();
    return user;
  }
  for (const other of auth.others ?? []) {
    const user = await other(request);
    if (user) return user;
  }
  return null;
}

/** Whether the user holds the permission globally or on the object (superusers hold every permission). */
export async function userHasPermission(
  services: Services,
  user: ApiUser,
  permission: string,
  object?: ObjectRef,
): Promise<boolean> {
  if (user.isSuperuser) return true;
  const perms = await loadUserPermissions(services.db, user);
  return object ? perms.hasModelOrObject(permission, object) : perms.hasModel(permission);
}

/**
 * The content app's origin for absolute links a client follows from the API process (package files, blob
 * redirects): CONTENT_ORIGIN, else the host name the client used for this request with the content app's port,
 * since without CONTENT_ORIGIN both run on the same hosts (`npm start`).
 */
export function contentAppOrigin(
  settings: Pick<Services['settings'], 'CONTENT_ORIGIN' | 'CONTENT_BIND'>,
  request: Pick<FastifyRequest, 'protocol' | 'hostname' | 'headers'>,
): string {
  if (settings.CONTENT_ORIGIN) return settings.CONTENT_ORIGIN.replace(/\/+$/, '');
  const port = /:(\d+)$/.exec(settings.CONTENT_BIND)?.[1] ?? '24816';
  const host = request.headers.host ?? request.hostname;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return `${request.protocol}://${name}:${port}`;
}
