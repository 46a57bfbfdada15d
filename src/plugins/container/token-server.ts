import { randomUUID } from 'node:crypto';

import { SignJWT } from 'jose';

import type { TokenKeyPair } from './token-keys.js';
import type { AccessEntry } from './token-scopes.js';

/** Answers, per repository name, whether the requesting user may pull, push or list the catalog. */
export interface ScopePermissions {
  pull(name: string): Promise<boolean>;
  push(name: string): Promise<boolean>;
  catalog(): Promise<boolean>;
}

/**
 * The access a token grants: for each requested `type:name:actions` scope, the requested actions the user is
 * permitted, in an entry that is present even when empty (an anonymous caller gets a token with empty
 * actions, so the registry answers `insufficient_scope` rather than asking for credentials forever). Push
 * implies pull. A malformed scope gives an empty access list, as pulp_container's determine_access does.
 */
export async function determineAccess(
  scopes: readonly string[],
  permissions: ScopePermissions,
): Promise<AccessEntry[]> {
  if (scopes.length === 0 || scopes.some((s) => s.split(':').length !== 3)) return [];
  const out: AccessEntry[] = [];
  for (const scope of scopes) {
    const [type = '', name = '', actionList = ''] = scope.split(':');
    const wanted = new Set(actionList.split(','));
    const permitted = new Set<string>();
    if (type === 'repository') {
      if (wanted.has('push') && (await permissions.push(name))) {
        permitted.add('push');
        permitted.add('pull');
      }
      if (wanted.has('pull') && !permitted.has('pull') && (await permissions.pull(name))) permitted.add('pull');
    } else if (type === 'registry' && name === 'catalog' && wanted.has('*') && (await permissions.catalog())) {
      permitted.add('*');
    }
    out.push({ type, name, actions: [...permitted] });
  }
  return out;
}

export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

export interface IssueTokenOptions {
  keys: TokenKeyPair;
  /** TOKEN_SERVER: the `iss` claim, checked again when the token comes back. */
  issuer: string;
  /** The `service` query parameter: the registry's host, the token's audience. */
  service: string;
  /** Username, or '' for an anonymous caller. */
  subject: string;
  access: AccessEntry[];
  expiresIn: number;
  now?: Date;
}

/** Signs a registry token with the claims of Docker's token specification. */
export async function issueToken(options: IssueTokenOptions): Promise<TokenResponse> {
  const now = options.now ?? new Date();
  const iat = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({ access: options.access })
    .setProtectedHeader({ alg: options.keys.algorithm, typ: 'JWT', kid: options.keys.kid })
    .setIssuer(options.issuer)
    .setAudience(options.service)
    .setSubject(options.subject)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + options.expiresIn)
    .setJti(randomUUID())
    .sign(options.keys.privateKey);
  return { token, access_token: token, expires_in: options.expiresIn, issued_at: now.toISOString() };
}
