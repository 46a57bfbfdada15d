import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Database } from '../db/database.js';

/** Pulp's lifetime of a pre-authenticated URL (ContentRedirectContentGuard.EXPIRETIME). */
export const REDIRECT_LIFETIME_SECONDS = 3600;

/** A new per-guard shared secret (32 random bytes, hex), stored in the guard's detail. */
export function newSharedSecret(): string {
  return randomBytes(32).toString('hex');
}

function digest(salt: Buffer, secret: Buffer, path: string, query: string): Buffer {
  return createHash('sha256').update(salt).update(path).update('?').update(query).update(secret).digest();
}

function splitUrl(url: string): { path: string; query: string } {
  let rest = url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length) || '/';
  rest = rest.split('#')[0] ?? '';
  const q = rest.indexOf('?');
  return q < 0 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

/**
 * Pulp's `preauthenticate_url`: appends `expires=<unix seconds>` and
 * `validate_token=<hex salt>:<hex sha256(salt, path, "?", query, secret)>` to a content-app URL.
 */
export function signContentUrl(
  secretHex: string,
  url: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  lifetime = REDIRECT_LIFETIME_SECONDS,
): string {
  const salt = randomBytes(32);
  const toSign = `${url}${url.includes('?') ? '&' : '?'}expires=${nowSeconds + lifetime}`;
  const { path, query } = splitUrl(toSign);
  const mac = digest(salt, Buffer.from(secretHex, 'hex'), path, query);
  return `${toSign}&validate_token=${salt.toString('hex')}:${mac.toString('hex')}`;
}

/** Checks a signed request URL (path and query as received): unexpired and untampered. */
export function verifySignedUrl(
  secretHex: string,
  requestUrl: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const { path, query } = splitUrl(requestUrl);
  const at = query.search(/(^|&)validate_token=/);
  if (at < 0) return false;
  const tokenPart = query.slice(at).replace(/^&/, '');
  const token = decodeURIComponentSafe(tokenPart.slice('validate_token='.length));
  // Pulp signs everything before `&validate_token=`; the token must be the last parameter.
  const signedQuery = query.slice(0, at);
  const expires = new URLSearchParams(signedQuery).get('expires');
  if (!expires || !/^\d{1,12}$/.test(expires) || Number(expires) < nowSeconds) return false;
  const m = /^([0-9a-f]{2,128}):([0-9a-f]{64})$/i.exec(token ?? '');
  if (!m) return false;
  const expected = digest(Buffer.from(m[1] as string, 'hex'), Buffer.from(secretHex, 'hex'), path, signedQuery);
  const given = Buffer.from(m[2] as string, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function decodeURIComponentSafe(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * Signs a content-app URL for the content-redirect guard with this id (what the API hands out, e.g. for
 * artifact distributions); returns the URL unchanged when the guard is of another type or missing.
 */
export async function preauthenticateUrl(db: Database, guardId: string, url: string): Promise<string> {
  const row = await db
    .selectFrom('content_guard')
    .select(['pulp_type', 'detail'])
    .where('pulp_id', '=', guardId)
    .executeTakeFirst();
  const secret = row?.pulp_type === 'core.content_redirect' ? row.detail.shared_secret : undefined;
  return typeof secret === 'string' ? signContentUrl(secret, url) : url;
}
