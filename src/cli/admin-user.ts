import { hashPassword, randomPassword } from '../core/passwords.js';
import type { Database } from '../db/database.js';

/**
 * Creates the `admin` superuser when it does not exist yet. Returns the password only when this call chose
 * a random one (so it can be printed once); an existing admin is never touched.
 */
export async function ensureAdminUser(
  db: Database,
  password: string | null,
): Promise<{ created: boolean; generatedPassword: string | null }> {
  const existing = await db.selectFrom('auth_user').select('id').where('username', '=', 'admin').executeTakeFirst();
  if (existing) return { created: false, generatedPassword: null };
  const chosen = password ?? randomPassword();
  const hash = await hashPassword(chosen);
  const inserted = await db
    .insertInto('auth_user')
    .values({ username: 'admin', password: hash, is_superuser: true, is_staff: true })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst();
  // Another process may have created it at the same moment; theirs wins.
  if (!inserted) return { created: false, generatedPassword: null };
  return { created: true, generatedPassword: password === null ? chosen : null };
}

/** Sets the admin password, creating the admin superuser when it is missing. */
export async function resetAdminPassword(db: Database, password: string): Promise<void> {
  const hash = await hashPassword(password);
  const updated = await db
    .updateTable('auth_user')
    .set({ password: hash })
    .where('username', '=', 'admin')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await db
      .insertInto('auth_user')
      .values({ username: 'admin', password: hash, is_superuser: true, is_staff: true })
      .execute();
  }
}
