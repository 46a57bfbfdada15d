import { errors as joseErrors, jwtVerify } from 'jose';

import { RegistryError } from './registry-errors.js';
import type { TokenKeyPair } from './token-keys.js';
import { type AccessEntry, challengeScopes, grants, type Scope } from './token-scopes.js';

export interface VerifiedToken {
  /** Username, or '' for an anonymous token. */
  subject: string;
  access: AccessEntry[];
  /** `exp` in milliseconds, when the token has one. */
  expiresAtMs: number | null;
}

const INVALID_TOKEN_MESSAGE =
  'Access to the requested resource is not authorized. The provided Bearer token is invalid.';

function isAccessList(value: unknown): value is AccessEntry[] {
  return (
    Array.isArray(value) &&
    value.every(
      (a) =>
        typeof a === 'object' &&
        a !== null &&
        typeof (a as AccessEntry).type === 'string' &&
        typeof (a as AccessEntry).name === 'string' &&
        Array.isArray((a as AccessEntry).actions) &&
        (a as AccessEntry).actions.every((x) => typeof x === 'string'),
    )
  );
}

/**
 * Checks a bearer token's signature, algorithm, issuer, audience (the host the request was sent to) and
 * lifetime. Anything wrong is `invalid_token`: clients then ask the token server again.
 */
export async function verifyToken(
  token: string,
  options: { keys: TokenKeyPair; issuer: string; audience: string },
): Promise<VerifiedToken> {
  try {
    const { payload } = await jwtVerify(token, options.keys.publicKey, {
      algorithms: [options.keys.algorithm],
      issuer: options.issuer,
      audience: options.audience,
    });
    const access = payload.access ?? [];
    if (!isAccessList(access)) throw new joseErrors.JWTClaimValidationFailed('bad access claim', payload, 'access');
    return {
      subject: typeof payload.sub === 'string' ? payload.sub : '',
      access,
      expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
    };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError || err instanceof TypeError)
      throw new RegistryError('UNAUTHORIZED', INVALID_TOKEN_MESSAGE, {}, { tokenError: 'invalid_token', cause: err });
    throw err;
  }
}

/** Throws `insufficient_scope` unless the token grants every scope the request needs. */
export function requireScopes(token: VerifiedToken, scopes: readonly Scope[]): void {
  if (!grants(token.access, scopes))
    throw new RegistryError('UNAUTHORIZED', 'Insufficient permissions', {}, { tokenError: 'insufficient_scope' });
}

/** The WWW-Authenticate challenge sent with every 401 of the registry in token mode. */
export function bearerChallenge(
  options: { realm: string; service: string; scopes: readonly Scope[] },
  error?: string,
): string {
  const base = `Bearer realm="${options.realm}",service="${options.service}"${challengeScopes(options.scopes)}`;
  return error ? `${base},error="${error}"` : base;
}
