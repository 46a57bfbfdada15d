import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { sql } from 'kysely';
import { Client } from 'undici';

import type { Database } from '../../src/db/database.js';
import { waitFor } from './db.js';
import { freePort } from './global-setup.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** app_status names of the serving processes (pid@host), as `X-Pulp-Served-By` gives them. */
  names: string[];
  output: () => string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** PULP_HOME (its media/ is MEDIA_ROOT). */
  home: string;
  processes?: number;
  workerTtl?: number;
  env?: Record<string, string>;
}

function spawnBin(script: string, args: string[], databaseUrl: string, options: ServerProcessOptions) {
  let out = '';
  const child = spawn(process.execPath, [path.join(root, 'bin', script), ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PULP_DATABASE_URL: databaseUrl,
      PULP_HOME: options.home,
      PULP_WORKER_TTL: String(options.workerTtl ?? 30),
      PULP_LOG_LEVEL: 'warn',
      PULP_TS_SERVED_BY_HEADER: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, output: () => out, stop };
}

/** The app_status names of apps of `appType` registered since `since` that heartbeat and have not stopped. */
async function onlineNames(db: Database, appType: 'content' | 'api' | 'worker', since: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('app_status')
    .select('name')
    .where('app_type', '=', appType)
    .where('stopped_at', 'is', null)
    .where('pulp_created', '>=', since.toISOString())
    .where('last_heartbeat', '>', sql<string>`clock_timestamp() - interval '60 seconds'`)
    .execute();
  return rows.map((r) => r.name);
}

/**
 * Starts `pulpcore-content --processes N` on a free port and waits until its N processes are registered. Every
 * answer carries `X-Pulp-Served-By`, so `fromEveryProcess` can reach each of them.
 */
export async function startContentProcesses(
  db: Database,
  databaseUrl: string,
  options: ServerProcessOptions,
): Promise<ServerProcess> {
  const port = await freePort();
  const processes = options.processes ?? 2;
  const since = new Date(Date.now() - 1000);
  const p = spawnBin(
    'pulpcore-content.js',
    ['--bind', `127.0.0.1:${port}`, '--processes', String(processes)],
    databaseUrl,
    options,
  );
  const names = await waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`pulpcore-content exited: ${p.output()}`);
      const online = await onlineNames(db, 'content', since);
      return online.length >= processes ? online : null;
    },
    { timeoutMs: 180_000, intervalMs: 200, what: `${processes} content processes to register` },
  );
  return { ...p, port, names };
}

/** Starts `pulpcore-api` on a free port and waits until it answers /status/. */
export async function startApiProcess(databaseUrl: string, options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const p = spawnBin(
    'pulpcore-api.js',
    ['--bind', `127.0.0.1:${port}`, '--processes', String(options.processes ?? 1)],
    databaseUrl,
    options,
  );
  await waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`pulpcore-api exited: ${p.output()}`);
      return fetch(`http://127.0.0.1:${port}/pulp/api/v3/status/`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { timeoutMs: 180_000, intervalMs: 200, what: 'pulpcore-api to answer' },
  );
  return { ...p, port, names: [] };
}

export interface ProcessAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  servedBy: string;
}

/** One GET on a connection of its own (node:cluster hands out connections, not requests). */
export async function getOnNewConnection(
  port: number,
  p: string,
  headers: Record<string, string> = {},
): Promise<ProcessAnswer> {
  const client = new Client(`http://127.0.0.1:${port}`);
  try {
    const res = await client.request({ path: p, method: 'GET', headers });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body, servedBy: String(res.headers['x-pulp-served-by']) };
  } finally {
    await client.close();
  }
}

/**
 * GETs `p` on new connections until every one of `names` has answered at least once, and returns each process's
 * answers. Fails naming the processes that never answered.
 */
export async function fromEveryProcess(
  server: Pick<ServerProcess, 'port' | 'names'>,
  p: string,
  headers: Record<string, string> = {},
): Promise<Map<string, ProcessAnswer[]>> {
  const seen = new Map<string, ProcessAnswer[]>();
  for (let i = 0; i < 30 * server.names.length; i++) {
    const answer = await getOnNewConnection(server.port, p, headers);
    if (!server.names.includes(answer.servedBy))
      throw new Error(`${p} was answered by ${answer.servedBy}, not one of ${server.names.join(', ')}`);
    seen.set(answer.servedBy, [...(seen.get(answer.servedBy) ?? []), answer]);
    if (seen.size === server.names.length) return seen;
  }
  const missing = server.names.filter((n) => !seen.has(n));
  throw new Error(`${p}: processes ${missing.join(', ')} never answered`);
}
