// bench/tasks: tasking vs graphile-worker 0.17 on one PostgreSQL, both as worker processes running one job at a
// time: no-op throughput (1/2/4 processes), dispatch-to-start latency; then contention, claim time with 10,000
// vs 100 blocked tasks, idle worker RSS and the API modify rate (beside Pulp's published figure, not divided by it).
// Usage: npm run bench -- tasks [tasks=20000] [stages=1,2,3,4,5,6]
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Logger, makeWorkerUtils } from 'graphile-worker';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';

import { hashPassword } from '../src/core/passwords.js';
import { loadSettings } from '../src/core/settings.js';
import { createDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { buildRegistry } from '../src/plugin-api/registry.js';
import { builtinPlugins } from '../src/plugins/builtin.js';
import { claimTask, finishTask, unblockAfter } from '../src/tasking/claim-task.js';
import { createDispatcher } from '../src/tasking/dispatch.js';
import { fmt, pct, printSummary, report } from './lib/targets.js';
import { tasks as benchTasks } from './tasks-child.js';
import { createStorage } from '../src/storage/create-storage.js';

const N = Number(process.argv[2] ?? 20_000);
const ADDERS = 4;
const STAGES = new Set((process.argv[3] ?? '1,2,3,4,5,6,7').split(',').map(Number));
const here = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(here, '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'pulp-bench-tasks-'));
chmodSync(tmp, 0o755);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const f = (x: number, d = 1) => fmt(x, d);

const server = await startEmbeddedPostgres({
  dataDir: path.join(tmp, 'pg'),
  port: await freePort(),
  database: 'postgres',
});
const url = server.url.replace(/\/[^/]*$/, '/bench');
{
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('CREATE DATABASE bench');
  await c.end();
}
const { db } = createDatabase({ url, max: 12 });
await migrate(
  db,
  buildRegistry(
    builtinPlugins,
    builtinPlugins.map((p) => p.name),
  ).migrations,
);
const settings = loadSettings({ env: {}, overrides: { LOG_LEVEL: 'silent', PULP_HOME: path.join(tmp, 'home') } });
const dispatcher = createDispatcher({
  db,
  settings,
  logger: pino({ level: 'silent' }),
  tasks: new Map(Object.entries(benchTasks)),
  storage: await createStorage(settings),
});
const children: ChildProcess[] = [];

function spawnBin(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    [path.isAbsolute(script) ? script : path.join(rootDir, 'bin', script), ...args],
    {
      cwd: rootDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PULP_DATABASE_URL: url,
        PULP_LOG_LEVEL: 'warn',
        PULP_HOME: path.join(tmp, 'home'),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  children.push(child);
  return child;
}

async function startWorkers(n: number, script?: string): Promise<ChildProcess[]> {
  const names = Array.from({ length: n }, (_, i) => `bench-${Date.now()}-${i}`);
  const procs = names.map((name) =>
    script
      ? spawnBin(script, ['--name', name], {})
      : spawnBin('pulpcore-worker.js', ['--name', name], {
          PULP_TS_EXTRA_TASK_MODULES: path.join(here, 'tasks-child.ts'),
        }),
  );
  // Ready = registered and its task thread has loaded (a first no-op per worker has run).
  for (;;) {
    const r = await db
      .selectFrom('app_status')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('name', 'in', names)
      .executeTakeFirstOrThrow();
    if (Number(r.n) === n) break;
    await sleep(100);
  }
  // A compiled build has no bench tasks: warm it up with a purge, which every build has.
  await Promise.all(
    Array.from({ length: n * 2 }, () =>
      script
        ? dispatcher.dispatch('pulpcore.app.tasks.purge.purge', { finished_before: '2000-01-01T00:00:00Z' }, {})
        : dispatcher.dispatch('bench.noop', {}, {}),
    ),
  );
  await waitAllDone();
  return procs;
}

async function stopAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : (p.once('exit', r), p.kill('SIGTERM'))))),
  );
}

async function waitAllDone(): Promise<void> {
  for (;;) {
    const r = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM task WHERE state IN ('waiting', 'running', 'canceling')`.execute(db);
    if (r.rows[0]?.n === 0) return;
    await sleep(20);
  }
}

async function inParallel(total: number, workers: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

// 1. Throughput with resource locks: every task is exclusive on a resource of its own (+ shared domain).
async function pulpThroughput(workers: number): Promise<number> {
  await sql`TRUNCATE task CASCADE`.execute(db);
  const procs = await startWorkers(workers);
  const t0 = now();
  await inParallel(N, ADDERS, (i) =>
    dispatcher.dispatch('bench.noop', {}, { exclusiveResources: [`prn:bench.thing:${i}`] }),
  );
  await waitAllDone();
  const rate = N / ((now() - t0) / 1000);
  await stopAll(procs);
  return rate;
}

const graphileLogger = new Logger(() => () => undefined);
const utils = await makeWorkerUtils({ connectionString: url, logger: graphileLogger });
await utils.migrate();

/** `n` graphile-worker processes (concurrency 1 each), started and ready. */
async function startGraphileWorkers(n: number): Promise<{ procs: ChildProcess[]; lines: string[][] }> {
  const lines: string[][] = [];
  const procs = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'graphile-worker-child.ts'), url], {
        cwd: rootDir,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      lines[i] = [];
      let buf = '';
      return new Promise<ChildProcess>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line === 'ready') resolve(child);
            else lines[i]!.push(line);
          }
        });
      });
    }),
  );
  return { procs, lines };
}

async function graphileQueueEmpty(): Promise<void> {
  for (;;) {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker._private_jobs`.execute(db);
    if (r.rows[0]?.n === 0) return;
    await sleep(20);
  }
}

// The same measurement as pulpThroughput: N jobs added by 4 dispatchers, done when the queue is empty.
async function graphileThroughput(workers: number): Promise<number> {
  const { procs } = await startGraphileWorkers(workers);
  await Promise.all(Array.from({ length: workers * 2 }, () => utils.addJob('noop', {})));
  await graphileQueueEmpty();
  const t0 = now();
  await inParallel(N, ADDERS, () => utils.addJob('noop', {}));
  await graphileQueueEmpty();
  const rate = N / ((now() - t0) / 1000);
  await stopAll(procs);
  return rate;
}

// 3. Dispatch-to-start latency, one task at a time on an idle system.
async function pulpLatency(samples: number): Promise<number[]> {
  const procs = await startWorkers(1);
  await sleep(500);
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    const ref = await dispatcher.dispatch('bench.stamp', {}, {});
    for (;;) {
      const r = await db
        .selectFrom('task')
        .select(['state', 'result'])
        .where('pulp_id', '=', ref.pulp_id)
        .executeTakeFirstOrThrow();
      if (r.state === 'completed') {
        out.push((r.result as { start: number }).start - t0);
        break;
      }
      await sleep(2);
    }
  }
  await stopAll(procs);
  return out;
}

async function graphileLatency(samples: number): Promise<number[]> {
  const { procs, lines } = await startGraphileWorkers(1);
  await sleep(500);
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const seen = lines[0]!.length;
    const t0 = now();
    await utils.addJob('stamp', {});
    while (lines[0]!.length === seen) await sleep(1);
    out.push((JSON.parse(lines[0]![seen]!) as { start: number }).start - t0);
    await sleep(2);
  }
  await stopAll(procs);
  return out;
}

// 2. Contention: 2,000 tasks on one resource, then 200 unrelated ones, on 2 workers.
async function contention(): Promise<{ p50: number; max: number; total: number }> {
  await sql`TRUNCATE task CASCADE`.execute(db);
  const procs = await startWorkers(2);
  const t0 = now();
  await inParallel(2000, ADDERS, () =>
    dispatcher.dispatch('bench.noop', {}, { exclusiveResources: ['prn:bench.hot:1'] }),
  );
  await inParallel(200, ADDERS, (i) =>
    dispatcher.dispatch('bench.stamp', {}, { exclusiveResources: [`prn:bench.cold:${i}`] }),
  );
  await waitAllDone();
  const total = now() - t0;
  const r = await sql<{
    ms: number;
  }>`SELECT extract(epoch FROM finished_at - pulp_created) * 1000 AS ms FROM task WHERE name = 'bench.stamp'`.execute(
    db,
  );
  await stopAll(procs);
  const ms = r.rows.map((x) => Number(x.ms));
  return { p50: pct(ms, 50), max: Math.max(...ms), total };
}

// 4. Claim time with B tasks blocked behind one running task (measured in-process on the claim statement).
async function claimTime(blocked: number): Promise<{ claim: number; cycle: number }> {
  await sql`TRUNCATE task CASCADE`.execute(db);
  const me = (
    await db
      .insertInto('app_status')
      .values({ name: `claimer-${blocked}-${Date.now()}`, app_type: 'worker', versions: '{}' })
      .returning('pulp_id')
      .executeTakeFirstOrThrow()
  ).pulp_id;
  await dispatcher.dispatch('bench.noop', {}, { exclusiveResources: ['prn:bench.long:1'] });
  await claimTask(db, me);
  await sql`SELECT pulp_task_dispatch('bench.noop', '{}', ARRAY['prn:bench.long:1'], ARRAY[]::text[], '', NULL, NULL, NULL, false, true, NULL)
            FROM generate_series(1, ${blocked})`.execute(db);
  await sql`ANALYZE task; ANALYZE task_reservation`.execute(db);
  const claims: number[] = [];
  const cycles: number[] = [];
  for (let i = 0; i < 600; i++) {
    const c0 = now();
    await dispatcher.dispatch('bench.noop', {}, { exclusiveResources: [`prn:bench.free:${i}`] });
    const t0 = now();
    const t = await claimTask(db, me);
    claims.push(now() - t0);
    await unblockAfter(db, await finishTask(db, t!.task_id, me, { outcome: 'completed', result: null }));
    cycles.push(now() - c0);
  }
  await sql`TRUNCATE task CASCADE`.execute(db);
  await db.deleteFrom('app_status').where('pulp_id', '=', me).execute();
  return { claim: pct(claims.slice(100), 50), cycle: pct(cycles.slice(100), 50) };
}

// 5. Resident size of an idle worker process (main thread + task thread): through bin/ with the bench's TypeScript
// task module (its task thread registers tsx for it), or the compiled build alone.
async function idleRss(script?: string): Promise<number> {
  const [proc] = await startWorkers(1, script);
  await sleep(3000);
  const status = readFileSync(`/proc/${proc!.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  await stopAll([proc!]);
  return kb / 1024;
}

// 6. Repository modify through the public API: one API process, two workers, 8 concurrent clients.
// 7. The same with two API processes (clients spread over both) and four workers: how the figure scales.
async function apiModify(total: number, apiCount = 1, workerCount = 2): Promise<number> {
  await sql`TRUNCATE task CASCADE`.execute(db);
  await sql`TRUNCATE repository CASCADE`.execute(db);
  const password = 'bench-password';
  await db.deleteFrom('auth_user').where('username', '=', 'bench').execute();
  await db
    .insertInto('auth_user')
    .values({ username: 'bench', password: await hashPassword(password, 1000), is_superuser: true, is_staff: true })
    .execute();
  const ports: number[] = [];
  const apis = [];
  for (let i = 0; i < apiCount; i++) {
    const port = await freePort();
    ports.push(port);
    apis.push(spawnBin('pulpcore-api.js', ['--bind', `127.0.0.1:${port}`], {}));
  }
  const procs = await startWorkers(workerCount);
  const headers = {
    authorization: `Basic ${Buffer.from(`bench:${password}`).toString('base64')}`,
    'content-type': 'application/json',
  };
  for (const port of ports) {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/pulp/api/v3/status/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(200);
    }
  }
  const base = `http://127.0.0.1:${ports[0]}/pulp/api/v3/`;
  const repos: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await fetch(`${base}repositories/file/file/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: `bench-${i}` }),
    });
    repos.push(((await r.json()) as { pulp_href: string }).pulp_href);
  }
  const t0 = now();
  let next = 0;
  await Promise.all(
    repos.map(async (href, client) => {
      const port = ports[client % ports.length]!;
      while (next < total) {
        next++;
        const r = await fetch(`http://127.0.0.1:${port}${href}modify/`, { method: 'POST', headers, body: '{}' });
        if (r.status !== 202) throw new Error(`modify answered ${r.status}: ${await r.text()}`);
      }
    }),
  );
  await waitAllDone();
  const rate = total / ((now() - t0) / 1000);
  const failed = await sql<{ n: number }>`SELECT count(*)::int AS n FROM task WHERE state <> 'completed'`.execute(db);
  if (failed.rows[0]?.n) console.error(`  (${failed.rows[0].n} modify tasks did not complete)`);
  await stopAll([...procs, ...apis]);
  return rate;
}

try {
  console.log(
    `bench/tasks: ${N} no-op tasks per throughput run, ${ADDERS} concurrent dispatchers, PostgreSQL ${server.url.split('@')[1]}`,
  );
  for (const w of STAGES.has(1) ? [1, 2, 4] : []) {
    const ours = await pulpThroughput(w);
    const theirs = await graphileThroughput(w);
    report({
      measurement: `1. no-op throughput, ${w} worker process(es) (tasks/s)`,
      ours: f(ours, 0),
      peer: `graphile-worker ${f(theirs, 0)}`,
      ratio: f(ours / theirs, 2),
      checked: ours / theirs,
      target: { min: 0.5 },
    });
  }
  if (STAGES.has(2)) {
    const cont = await contention();
    report({
      measurement: '2. 200 unrelated tasks behind 2,000 on one resource: dispatch to done p50 / max (ms)',
      ours: `${f(cont.p50)} / ${f(cont.max)}`,
      checked: cont.max,
      target: { max: 2000 },
      unit: 'ms',
    });
  }
  if (STAGES.has(3)) {
    const ours = await pulpLatency(300);
    const theirs = await graphileLatency(300);
    report({
      measurement: '3. dispatch to start p50 (ms)',
      ours: f(pct(ours, 50), 2),
      peer: `graphile-worker ${f(pct(theirs, 50), 2)}`,
      ratio: f(pct(ours, 50) / pct(theirs, 50), 2),
      checked: pct(ours, 50) / pct(theirs, 50),
      target: { max: 3 },
    });
    report({
      measurement: '3. dispatch to start p99 (ms)',
      ours: f(pct(ours, 99), 2),
      peer: `graphile-worker ${f(pct(theirs, 99), 2)}`,
      ratio: f(pct(ours, 99) / pct(theirs, 99), 2),
      checked: pct(ours, 99),
      target: { max: 20 },
      unit: 'ms',
    });
  }
  if (STAGES.has(4)) {
    const c100 = await claimTime(100);
    const c10k = await claimTime(10_000);
    report({
      measurement: '4. claim time p50, 10,000 vs 100 blocked tasks (ms)',
      ours: `${f(c10k.claim, 3)} vs ${f(c100.claim, 3)}`,
      ratio: f(c10k.claim / c100.claim, 2),
      checked: c10k.claim / c100.claim,
      target: { max: 2 },
    });
    report({
      measurement: '4. dispatch + claim + finish p50, 10,000 vs 100 blocked (ms)',
      ours: `${f(c10k.cycle, 3)} vs ${f(c100.cycle, 3)}`,
      ratio: f(c10k.cycle / c100.cycle, 2),
    });
  }
  if (STAGES.has(5)) {
    const rss = await idleRss();
    // bin/ runs dist/ when the build is fresh, else the sources through tsx; the bench task module is .ts either way.
    const runtime = existsSync(path.join(rootDir, 'dist/.build-stamp')) ? 'compiled bin/' : 'sources through tsx';
    report({
      measurement: `5. idle worker RSS, ${runtime} + the bench's .ts task module (thread loads tsx) (MB)`,
      ours: f(rss, 0),
      checked: rss,
      target: { max: 100 },
      unit: 'MB',
    });
    // `npm run build` output (or PULP_BENCH_DIST): what a packaged install runs, without tsx's loader threads.
    const dist = process.env.PULP_BENCH_DIST ?? path.join(rootDir, 'dist');
    if (existsSync(path.join(dist, 'cli/pulpcore-worker.js'))) {
      const built = await idleRss(path.join(dist, 'cli/pulpcore-worker.js'));
      report({
        measurement: '5. idle worker RSS, compiled build (MB)',
        ours: f(built, 0),
        checked: built,
        target: { max: 100 },
        unit: 'MB',
      });
    }
  }
  let modify1: number | null = null;
  if (STAGES.has(6)) {
    const modify = await apiModify(2000);
    modify1 = modify;
    report({
      measurement: '6. empty repository modify through the REST API, 1 API process + 2 workers, 8 clients (tasks/s)',
      ours: f(modify, 0),
      // Published, not measured here: never divided by.
      peer: "Pulp's published figure: about 30 (with 80 workers), not measured here",
      checked: modify,
      target: { min: 300 },
      unit: 'tasks/s',
    });
  }
  if (STAGES.has(7)) {
    const modify = await apiModify(2000, 2, 4);
    modify1 ??= await apiModify(2000);
    report({
      measurement: '7. the same with 2 API processes + 4 workers, 8 clients (tasks/s), scaling over stage 6',
      ours: f(modify, 0),
      peer: `1 API + 2 workers ${f(modify1, 0)}`,
      ratio: f(modify / modify1, 2),
      checked: modify,
      target: { min: 300 },
      unit: 'tasks/s',
    });
  }
  printSummary(`bench/tasks, ${N} tasks per throughput run`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await utils.release();
  await db.destroy();
  // Idle pooled clients of the peers may still see PostgreSQL go away: that is the end of the run, not a failure.
  process.on('uncaughtException', (err: Error & { code?: string }) => {
    if (err.code !== '57P01') throw err;
  });
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
