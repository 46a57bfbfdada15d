import { hashPassword } from '../../../src/core/passwords.js';
import type { TestApi } from '../../helpers/api.js';

export const USER_PASSWORD = 'a-Good-passw0rd';

/** Creates a plain user directly in the database (few PBKDF2 rounds: fast) and returns its Basic header. */
export async function createUser(
  api: TestApi,
  username: string,
  options: { superuser?: boolean } = {},
): Promise<{ id: number; auth: string; href: string }> {
  const password = await hashPassword(USER_PASSWORD, 1000);
  const row = await api.database.db
    .insertInto('auth_user')
    .values({ username, password, is_superuser: options.superuser ?? false, is_staff: options.superuser ?? false })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, auth: basic(username, USER_PASSWORD), href: `/pulp/api/v3/users/${row.id}/` };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Gives a role to a user through the API as admin (global when `object` is null). */
export async function grant(api: TestApi, userId: number, role: string, object: string | null): Promise<void> {
  const res = await api.app.inject({
    method: 'POST',
    url: `/pulp/api/v3/users/${userId}/roles/`,
    headers: { authorization: api.adminAuth },
    payload: { role, content_object: object },
  });
  if (res.statusCode !== 201) throw new Error(`grant ${role} failed: ${res.statusCode} ${res.body}`);
}

export function call(
  api: TestApi,
  auth: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  return api.app.inject({
    method,
    url: url.startsWith('/') ? url : `/pulp/api/v3/${url}`,
    headers: { authorization: auth },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}
