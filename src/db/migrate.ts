import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';

import type { Database } from './database.js';
import { coreMigrations } from './migrations/index.js';

class StaticProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.migrations);
  }
}

/**
 * Applies core migrations, then each plugin's (named `<plugin>/NNNN_name`). Any number of processes may call
 * this at once: Kysely's Migrator holds a PostgreSQL advisory lock for the whole batch.
 */
export async function migrate(db: Database, pluginMigrations: Record<string, Migration> = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new StaticProvider({ ...coreMigrations, ...pluginMigrations }),
    // Plugin migrations sort after core ones by name, and a later core migration must still apply.
    allowUnorderedMigrations: true,
    migrationTableName: 'pulp_migration',
    migrationLockTableName: 'pulp_migration_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${(result.error as Error).message}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
