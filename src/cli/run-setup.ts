// `pulp-ts run`'s one-shot setup, run in a child process of its own so that the supervisor never loads the
// database layer, the migrations or the plugins (the supervisor stays near a bare Node's memory): applies the
// migrations, creates the admin user (printing a generated password once) and forgets this host's
// app_status rows whose process is gone (a hard-killed earlier run).
import { hostname } from 'node:os';

import type { Settings } from '../core/settings.js';
import { ensureDatabase } from '../db/ensure-database.js';
import { createDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { ensureAdminUser } from './admin-user.js';
import { createLogger } from './logger.js';
import { loadRegistry } from './registry.js';

/** app_status rows of this host whose process is gone (a hard-killed earlier run) stop counting at once. */
async function forgetDeadLocalApps(db: Database): Promise<void> {
  const rows = await db
    .selectFrom('app_status')
    .select(['pulp_id', 'pid'])
    .where('hostname', '=', hostname())
    .where('stopped_at', 'is', null)
    .execute();
  const dead = rows.filter((r) => {
    try {
      process.kill(Number(r.pid), 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'EPERM';
    }
  });
  if (dead.length > 0)
    await db
      .updateTable('app_status')
      .set({ stopped_at: new Date().toISOString() })
      .where(
        'pulp_id',
        'in',
        dead.map((r) => r.pulp_id),
      )
      .execute();
}

export async function runSetup(settings: Settings, url: string): Promise<void> {
  const logger = createLogger(settings, 'pulp-ts');
  await ensureDatabase(url);
  const { db } = createDatabase({ url, max: 2, applicationName: 'pulp-ts run', queryTimeout: null });
  try {
    const applied = await migrate(db, loadRegistry(settings).migrations);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    const admin = await ensureAdminUser(db, settings.ADMIN_PASSWORD);
    if (admin.generatedPassword) {
      console.log(`Created the user "admin" with the password: ${admin.generatedPassword}`);
      console.log('(shown only this once; change it with `npx pulpcore-manager reset-admin-password --password ...`)');
    } else if (admin.created) {
      console.log('Created the user "admin" with the password from PULP_ADMIN_PASSWORD.');
    }
    await forgetDeadLocalApps(db);
  } finally {
    await db.destroy();
  }
}
