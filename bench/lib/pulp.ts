/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of the REST API */
// Starting what a benchmark measures as users run it: an embedded PostgreSQL with the migrated schema, and real
// pulpcore-api / pulpcore-worker processes from bin/ (each benchmark spawns its own; nothing runs in-process).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { hashPassword } from '../../src/core/passwords.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { buildRegistry } from '../../src/plugin-api/registry.js';
import { builtinPlugins } from '../../src/plugins/builtin.js';

export const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface BenchDatabase {
  server: EmbeddedDatabase;
  url: string;
  db: Database;
  close(): Promise<void>;
}

/** An embedded PostgreSQL under `dir` with a migrated database `bench`. */
export async function startBenchDatabase(dir: string, max = 8): Promise<BenchDatabase> {
  const server = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    database: 'postgres',
  });
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('CREATE DATABASE bench');
  await c.end();
  const u = new URL(server.url);
  u.pathname = '/bench';
  const { db } = createDatabase({ url: u.href, max });
  await migrate(
    db,
    buildRegistry(
      builtinPlugins,
      builtinPlugins.map((p) => p.name),
    ).migrations,
  );
  return {
    server,
    url: u.href,
    db,
    async close() {
      await db.destroy();
      await server.stop();
    },
  };
}

export const BENCH_USER = 'bench';
export const BENCH_PASSWORD = 'bench-password';
export const benchAuth = `Basic ${Buffer.from(`${BENCH_USER}:${BENCH_PASSWORD}`).toString('base64')}`;

export async function createBenchUser(db: Database): Promise<void> {
  await db
    .insertInto('auth_user')
    .values({ username: BENCH_USER, password: await hashPassword(BENCH_PASSWORD, 1000), is_superuser: true })
    .execute();
}

export function spawnBin(
  script: string,
  args: string[],
  env: Record<string, string>,
  stdout: 'ignore' | 'inherit' = 'ignore',
  nodeArgs: string[] = [],
): ChildProcess {
  const bin = path.isAbsolute(script) ? script : path.join(rootDir, 'bin', script);
  return spawn(process.execPath, [...nodeArgs, bin, ...args], {
    cwd: rootDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PULP_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', stdout, 'inherit'],
  });
}

/** Waits until workers named `names` are registered in app_status. */
export async function waitRegistered(db: Database, names: string[]): Promise<void> {
  for (;;) {
    const r = await db
      .selectFrom('app_status')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('name', 'in', names)
      .where('stopped_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(r.n) === names.length) return;
    await sleep(100);
  }
}

/** Starts pulpcore-api on a free port and waits until /status/ answers; returns its base URL. */
export async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawnBin('pulpcore-api.js', ['--bind', `127.0.0.1:${port}`], env);
  const base = `http://127.0.0.1:${port}/pulp/api/v3/`;
  for (;;) {
    const ok = await fetch(`${base}status/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, base };
    if (child.exitCode !== null) throw new Error('pulpcore-api exited');
    await sleep(200);
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Resident set now and its high-water mark, in MB, of a live process. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** A JSON call to the REST API as the bench user. */
export async function apiCall(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: benchAuth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Waits for a task to end and returns it; its duration is the task's own started_at..finished_at. */
export async function waitTask(origin: string, href: string): Promise<{ task: any; runMs: number }> {
  for (;;) {
    const t = (await apiCall('GET', `${origin}${href}`)).body;
    if (['completed', 'failed', 'canceled'].includes(t.state)) {
      if (t.state !== 'completed') throw new Error(`task ${href} ${t.state}: ${JSON.stringify(t.error)}`);
      return { task: t, runMs: Date.parse(t.finished_at) - Date.parse(t.started_at) };
    }
    await sleep(50);
  }
}
