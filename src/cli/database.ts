import type { Logger } from 'pino';

import { ConfigurationError } from '../core/errors.js';
import type { PoolCounts } from '../core/metrics.js';
import { configuredDatabaseUrl, type Settings } from '../core/settings.js';
import { createDatabase, type Database, databaseTimeouts } from '../db/database.js';
import { embeddedDataDir, joinEmbedded, startEmbedded } from './embedded-launch.js';

export { embeddedDataDir };

export interface CliDatabase {
  url: string;
  db: Database;
  /** The pool behind `db` (its counts feed the metrics). */
  pool: PoolCounts;
  /** True when this process started the embedded PostgreSQL (and stops it in close()). */
  startedEmbedded: boolean;
  close(): Promise<void>;
}

/** The configured database's URL, else that of the running embedded PostgreSQL of PULP_HOME, else null. */
export async function findDatabaseUrl(settings: Settings): Promise<string | null> {
  return configuredDatabaseUrl(settings) ?? (await joinEmbedded(settings));
}

export function noDatabaseError(settings: Settings): ConfigurationError {
  return new ConfigurationError(
    `No database configured and no embedded PostgreSQL of PULP_HOME ${settings.PULP_HOME} running: set PULP_DATABASE_URL (or DATABASES in settings.yaml), or start everything with \`pulp-ts run\` (with the same PULP_HOME).`,
  );
}

/**
 * The configured database, or else the embedded one under PULP_HOME: joined when `pulp-ts run` already
 * serves it, started for the duration of the command otherwise (unless `startEmbedded` is false).
 */
export async function openCliDatabase(
  settings: Settings,
  logger: Logger,
  options: { applicationName: string; max?: number; startEmbedded?: boolean; queryTimeout?: number | null },
): Promise<CliDatabase> {
  let url = await findDatabaseUrl(settings);
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    if (options.startEmbedded === false) throw noDatabaseError(settings);
    const server = await startEmbedded(settings, logger);
    url = server.url;
    stopEmbedded = () => server.stop();
  }
  const { db, pool } = createDatabase({
    url,
    max: options.max ?? 5,
    applicationName: options.applicationName,
    ...databaseTimeouts(settings),
    ...(options.queryTimeout !== undefined ? { queryTimeout: options.queryTimeout } : {}),
  });
  return {
    url,
    db,
    pool,
    startedEmbedded: stopEmbedded !== null,
    async close() {
      await db.destroy();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}
