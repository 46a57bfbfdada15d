import { mkdir } from 'node:fs/promises';

import type { Logger } from 'pino';
import pg from 'pg';

import { ConfigurationError } from '../core/errors.js';
import { configuredDatabaseUrl, type Settings } from '../core/settings.js';
import { createDatabase, type Database } from '../db/database.js';
import { embeddedDataDir, importEmbedded } from './embedded-launch.js';

export { embeddedDataDir, importEmbedded };

export interface CliDatabase {
  url: string;
  db: Database;
  /** True when this process started the embedded PostgreSQL (and stops it in close()). */
  startedEmbedded: boolean;
  close(): Promise<void>;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * The configured database, or else the embedded one under PULP_HOME: reused when `pulp-ts run` already
 * serves it, started for the duration of the command otherwise.
 */
export async function openCliDatabase(
  settings: Settings,
  logger: Logger,
  options: { applicationName: string; max?: number; startEmbedded?: boolean },
): Promise<CliDatabase> {
  let url = configuredDatabaseUrl(settings);
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    const embedded = await importEmbedded();
    url = embedded.embeddedDatabaseUrl(settings.EMBEDDED_DB_PORT);
    if (!(await canConnect(url))) {
      if (options.startEmbedded === false) {
        throw new ConfigurationError(
          'No database configured and no embedded PostgreSQL running: set PULP_DATABASE_URL (or DATABASES in settings.yaml), or start everything with `pulp-ts run`.',
        );
      }
      await mkdir(settings.PULP_HOME, { recursive: true });
      logger.info(
        { dataDir: embeddedDataDir(settings), port: settings.EMBEDDED_DB_PORT },
        'starting embedded PostgreSQL',
      );
      const server = await embedded.startEmbeddedPostgres({
        dataDir: embeddedDataDir(settings),
        port: settings.EMBEDDED_DB_PORT,
        onLog: (line) => logger.debug({ component: 'postgres' }, line.trim()),
      });
      url = server.url;
      stopEmbedded = () => server.stop();
    }
  }
  const { db } = createDatabase({ url, max: options.max ?? 5, applicationName: options.applicationName });
  return {
    url,
    db,
    startedEmbedded: stopEmbedded !== null,
    async close() {
      await db.destroy();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}
