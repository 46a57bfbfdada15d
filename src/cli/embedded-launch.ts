// The embedded PostgreSQL of PULP_HOME: where it lives and how it starts, without the database layer (the
// supervisor of `pulp-ts run` imports this and little else).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { Logger } from 'pino';

import type { Settings } from '../core/settings.js';
import { type EmbeddedDatabase, joinEmbeddedPostgres, startEmbeddedPostgres } from '../db/embedded.js';

/** Where `pulp-ts run` keeps the embedded cluster (unless the postgres user cannot reach it; see embedded-binaries.ts). */
export function embeddedDataDir(settings: Settings): string {
  return path.join(settings.PULP_HOME, 'db');
}

/** The owner-only file with the embedded cluster's port and superuser password, read by every process that joins it. */
export function embeddedCredentialsFile(settings: Settings): string {
  return path.join(settings.PULP_HOME, 'db.credentials.json');
}

/** Starts (or takes over from a hard-killed run) the embedded PostgreSQL of PULP_HOME. */
export async function startEmbedded(
  settings: Settings,
  logger: Logger,
  options: { createDatabase?: boolean } = {},
): Promise<EmbeddedDatabase> {
  await mkdir(settings.PULP_HOME, { recursive: true, mode: 0o755 });
  logger.info({ dataDir: embeddedDataDir(settings), port: settings.EMBEDDED_DB_PORT }, 'starting embedded PostgreSQL');
  const server = await startEmbeddedPostgres({
    dataDir: embeddedDataDir(settings),
    credentialsFile: embeddedCredentialsFile(settings),
    port: settings.EMBEDDED_DB_PORT,
    onLog: (line) => logger.debug({ component: 'postgres' }, line.trim()),
    ...options,
  });
  if (server.dataDir !== embeddedDataDir(settings)) {
    logger.info({ dataDir: server.dataDir }, 'the postgres user cannot reach PULP_HOME: embedded data kept elsewhere');
  }
  return server;
}

/** The URL of the running embedded PostgreSQL of PULP_HOME (through its credentials file), or null. */
export function joinEmbedded(settings: Settings): Promise<string | null> {
  return joinEmbeddedPostgres(embeddedCredentialsFile(settings));
}
