import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { sql } from 'kysely';

import { PermissionError } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import type { ApiUser } from '../../plugin-api/operations.js';

export const SESSION_COOKIE = 'sessionid';
export const CSRF_COOKIE = 'csrftoken';
/** Django's SESSION_COOKIE_AGE: two weeks. */
export const SESSION_AGE_SECONDS = 14 * 24 * 3600;

export function parseCookies(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (Array.isArray(header) ? header.join(';') : (header ?? '')).split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createSession(db: Database, userId: number): Promise<{ key: string; csrf: string }> {
  const key = randomBytes(24).toString('hex');
  const csrf = randomBytes(24).toString('hex');
  await db
    .insertInto('core_session')
    .values({
      key_hash: hashKey(key),
      user_id: userId,
      csrf_token: csrf,
      expire_date: sql<string>`clock_timestamp() + make_interval(secs => ${SESSION_AGE_SECONDS})`,
    })
    .execute();
  await db
    .deleteFrom('core_session')
    .where(sql<boolean>`expire_date < clock_timestamp()`)
    .execute();
  return { key, csrf };
}

export async function deleteSession(db: Database, key: string | undefined): Promise<void> {
  if (key) await db.deleteFrom('core_session').where('key_hash', '=', hashKey(key)).execute();
}

export function sessionCookies(session: { key: string; csrf: string } | null): string[] {
  if (!session) {
    return [`${SESSION_COOKIE}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax`];
  }
  return [
    `${SESSION_COOKIE}=${session.key}; HttpOnly; Max-Age=${SESSION_AGE_SECONDS}; Path=/; SameSite=Lax`,
    `${CSRF_COOKIE}=${session.csrf}; Max-Age=31449600; Path=/; SameSite=Lax`,
  ];
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Django session authentication: the `sessionid` cookie names a live session of an active user. Unsafe
 * methods must echo the session's CSRF token in `X-CSRFToken` (as the `csrftoken` cookie carries it).
 */
export async function authenticateSession(
  db: Database,
  method: string,
  headers: Record<string, string | string[] | undefined>,
): Promise<ApiUser | null> {
  const key = parseCookies(headers.cookie)[SESSION_COOKIE];
  if (!key || key.length > 200) return null;
  const row = await db
    .selectFrom('core_session')
    .innerJoin('auth_user', 'auth_user.id', 'core_session.user_id')
    .select([
      'auth_user.id',
      'auth_user.username',
      'auth_user.is_superuser',
      'auth_user.is_staff',
      'auth_user.is_active',
      'core_session.csrf_token',
    ])
    .where('core_session.key_hash', '=', hashKey(key))
    .where(sql<boolean>`core_session.expire_date > clock_timestamp()`)
    .executeTakeFirst();
  if (!row || !row.is_active) return null;
  if (!['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(method.toUpperCase())) {
    const sent = headers['x-csrftoken'];
    const token = Array.isArray(sent) ? sent[0] : sent;
    if (!token) throw new PermissionError('CSRF Failed: CSRF token missing.');
    if (!sameToken(token, row.csrf_token)) throw new PermissionError('CSRF Failed: CSRF token incorrect.');
  }
  return { id: row.id, username: row.username, isSuperuser: row.is_superuser, isStaff: row.is_staff };
}
