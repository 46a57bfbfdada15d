import { sql } from 'kysely';

import { AuthenticationError, type ApiUser, type Services } from '../../plugin-api/index.js';
import { type ContainerSettings, type RequestOrigin, tokenServer } from './registry-settings.js';
import { RegistryError } from './registry-errors.js';
import type { TokenKeyPair } from './token-keys.js';
import type { VerifiedTokenCache } from './token-cache.js';
import { type RegistryTarget, requiredScopes, type Scope } from './token-scopes.js';
import { bearerChallenge, requireScopes, verifyToken } from './token-verify.js';

/** What authorising a registry request needs. */
export interface RegistryAuthEnvironment {
  services: Services;
  settings: ContainerSettings;
  keys(): Promise<TokenKeyPair>;
  /** Verified tokens of this process (see VerifiedTokenCache). */
  tokens: VerifiedTokenCache;
}

/** The caller of a registry request once authorised. */
export interface Caller {
  user: ApiUser | null;
}

/** The Basic verifier the API app publishes (it caches verified credentials: PBKDF2 is slow by design). */
interface BasicVerifier {
  authenticate(header: string | undefined): Promise<ApiUser | null>;
}

/**
 * A user by Basic credentials: null without them (or with the empty ones `Og==` that clients send for
 * anonymous access, as pulp_container's RegistryAuthentication accepts), 401 when they are wrong.
 */
export async function basicUser(services: Services, header: string | undefined): Promise<ApiUser | null> {
  if (!header || !/^basic\s/i.test(header) || /^basic\s+Og==\s*$/i.test(header)) return null;
  const verifier = services.extensions.get('authenticator') as BasicVerifier | undefined;
  const user = verifier ? await verifier.authenticate(header) : null;
  if (!user) throw new AuthenticationError('Invalid username/password.');
  return user;
}

async function userByName(services: Services, username: string): Promise<ApiUser | null> {
  const { rows } = await sql<{ id: number; username: string; is_superuser: boolean; is_staff: boolean }>`
    SELECT id, username, is_superuser, is_staff FROM auth_user WHERE username = ${username} AND is_active`.execute(
    services.db,
  );
  const r = rows[0];
  return r ? { id: r.id, username: r.username, isSuperuser: r.is_superuser, isStaff: r.is_staff } : null;
}

/** The WWW-Authenticate header of a 401 for this request. */
export function challengeFor(
  env: RegistryAuthEnvironment,
  origin: RequestOrigin,
  target: RegistryTarget,
  error?: RegistryError,
): string {
  if (env.settings.TOKEN_AUTH_DISABLED) return 'Basic realm="api"';
  return bearerChallenge(
    { realm: tokenServer(env.settings, origin), service: origin.host, scopes: requiredScopes(target) },
    error?.tokenError,
  );
}

const unauthorized = (message = 'Authentication credentials were not provided.') =>
  new RegistryError('UNAUTHORIZED', message);

/**
 * Authorises a registry request the way pulp_container does. In token mode (the default) a Bearer token from
 * the token server must grant every scope the request needs (`invalid_token` / `insufficient_scope`
 * otherwise); the base endpoint accepts any valid token. With TOKEN_AUTH_DISABLED: Basic auth, reads open
 * to everyone, writes for superusers, and the base endpoint for authenticated users.
 */
export async function authorizeRegistryRequest(
  env: RegistryAuthEnvironment,
  origin: RequestOrigin,
  target: RegistryTarget,
  authorization: string | undefined,
): Promise<Caller> {
  const scopes: Scope[] = requiredScopes(target);
  if (env.settings.TOKEN_AUTH_DISABLED) {
    let user: ApiUser | null;
    try {
      user = await basicUser(env.services, authorization);
    } catch (err) {
      throw new RegistryError('UNAUTHORIZED', 'Invalid username/password.', {}, { cause: err });
    }
    const safe = target.method === 'GET' || target.method === 'HEAD';
    if (scopes.length === 0 && !user) throw unauthorized();
    if (scopes.length > 0 && !safe && !user?.isSuperuser) {
      if (!user) throw unauthorized();
      throw new RegistryError('DENIED', 'You do not have permission to perform this action.');
    }
    return { user };
  }
  const m = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) throw unauthorized();
  const issuer = tokenServer(env.settings, origin);
  const key = `${issuer} ${origin.host} ${m[1]!}`;
  let cached = env.tokens.get(key);
  if (!cached) {
    const token = await verifyToken(m[1]!, { keys: await env.keys(), issuer, audience: origin.host });
    const user = token.subject ? await userByName(env.services, token.subject) : null;
    if (token.subject && !user)
      throw new RegistryError('UNAUTHORIZED', 'No such user', {}, { tokenError: 'invalid_token' });
    cached = { token, user };
    env.tokens.set(key, cached, token.expiresAtMs);
  }
  if (scopes.length > 0) requireScopes(cached.token, scopes);
  return { user: cached.user };
}
