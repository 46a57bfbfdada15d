import { randomBytes } from 'node:crypto';

import { ValidationError } from '../../core/errors.js';
import { formatTimestamp } from '../../core/ids.js';
import { hashPassword } from '../../core/passwords.js';
import type { Database } from '../../db/database.js';
import type { BasicAuthenticator } from '../auth.js';

// Django's CommonPasswordValidator ships 20,000 passwords; these are the ones people actually try first.
const COMMON = new Set([
  'password',
  'password1',
  '12345678',
  '123456789',
  '1234567890',
  'qwertyuiop',
  'iloveyou',
  'admin123',
  'welcome1',
  'changeme',
  'letmein1',
  'sunshine',
  'football',
  'baseball',
  'princess',
  'qwerty123',
  'abc12345',
  'passw0rd',
  'trustno1',
  'superman',
]);

/** Django's default password validators (length, common, numeric, similarity), with Django's wording. */
export function passwordErrors(
  password: string,
  user: { username?: string; email?: string; first_name?: string; last_name?: string },
): string[] {
  const out: string[] = [];
  const lower = password.toLowerCase();
  for (const value of [user.username, user.email, user.first_name, user.last_name]) {
    if (!value || value.length < 3) continue;
    const v = value.toLowerCase();
    if (lower === v || (lower.length >= 3 && (v.includes(lower) || lower.includes(v)))) {
      out.push('The password is too similar to the username.');
      break;
    }
  }
  if (password.length < 8) out.push('This password is too short. It must contain at least 8 characters.');
  if (COMMON.has(lower)) out.push('This password is too common.');
  if (/^\d+$/.test(password)) out.push('This password is entirely numeric.');
  return out;
}

/** The stored form of a password; null gives Django's unusable password (no password login). */
export async function storedPassword(password: string | null, user: { username?: string }): Promise<string> {
  if (password === null) return `!${randomBytes(30).toString('base64url')}`;
  const errors = passwordErrors(password, user);
  if (errors.length > 0) throw new ValidationError({ password: errors });
  return hashPassword(password);
}

export interface UserRow {
  id: number;
  username: string;
  password: string;
  first_name: string;
  last_name: string;
  email: string;
  is_staff: boolean;
  is_active: boolean;
  date_joined: string;
}

export const userHref = (prefix: string, id: number) => `${prefix}users/${id}/`;
export const groupHref = (prefix: string, id: number) => `${prefix}groups/${id}/`;

/** Renders users (with their groups) in Pulp's shape; the password never leaves. */
export async function serializeUsers(
  db: Database,
  prefix: string,
  rows: UserRow[],
): Promise<Record<string, unknown>[]> {
  const ids = rows.map((r) => r.id);
  const memberships = ids.length
    ? await db
        .selectFrom('auth_user_groups')
        .innerJoin('auth_group', 'auth_group.id', 'auth_user_groups.group_id')
        .select(['auth_user_groups.user_id', 'auth_group.id', 'auth_group.name'])
        .where('auth_user_groups.user_id', 'in', ids)
        .orderBy('auth_group.name')
        .execute()
    : [];
  return rows.map((r) => ({
    pulp_href: userHref(prefix, r.id),
    prn: `prn:auth.user:${r.id}`,
    id: r.id,
    username: r.username,
    first_name: r.first_name,
    last_name: r.last_name,
    email: r.email,
    is_staff: r.is_staff,
    is_active: r.is_active,
    date_joined: formatTimestamp(r.date_joined),
    groups: memberships
      .filter((m) => m.user_id === r.id)
      .map((m) => ({ name: m.name, pulp_href: groupHref(prefix, m.id), prn: `prn:core.group:${m.id}` })),
    hidden_fields: [{ name: 'password', is_set: r.password !== '' && !r.password.startsWith('!') }],
  }));
}

/** Drops cached Basic credentials after a password, activity or existence change. */
export function forgetCredentials(extensions: Map<string, unknown>): void {
  (extensions.get('authenticator') as BasicAuthenticator | undefined)?.forget();
}
