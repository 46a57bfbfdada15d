import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';

/**
 * How to reach the embedded PostgreSQL of one PULP_HOME: written by the process that starts it, read by every
 * process that joins it (a worker started by hand beside `pulp-ts run`). Mode 0600: only the account that runs
 * pulp-ts may read the superuser password; it is never printed or logged.
 */
export interface EmbeddedCredentials {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The cluster's data folder (under PULP_HOME, or the reachable place it was moved to; see embedded.ts). */
  dataDir: string;
}

/** A new superuser password: 32 random bytes, URL-safe so that it needs no escaping in a URL. */
export function randomPassword(): string {
  return randomBytes(32).toString('base64url');
}

export async function readEmbeddedCredentials(file: string): Promise<EmbeddedCredentials | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const c = JSON.parse(text) as Partial<EmbeddedCredentials>;
  if (typeof c.password !== 'string' || typeof c.port !== 'number' || typeof c.dataDir !== 'string') {
    throw new Error(`${file} is not a pulp-ts embedded database credentials file`);
  }
  return {
    host: c.host ?? '127.0.0.1',
    user: c.user ?? 'postgres',
    port: c.port,
    password: c.password,
    dataDir: c.dataDir,
  };
}

/** Written whole or not at all (a temporary file renamed over it), readable by its owner only from the start. */
export async function writeEmbeddedCredentials(file: string, credentials: EmbeddedCredentials): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

export function credentialsUrl(c: EmbeddedCredentials, database: string): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${encodeURIComponent(database)}`;
}
