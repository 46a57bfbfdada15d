/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of the REST API */
// bench/sync: an immediate sync of 10,000 files (1 KiB-1 MiB) served by nginx, run by a real pulpcore-worker,
// vs the limit (curl at the same concurrency, piped into the same four digests); no-change re-sync, on_demand
// rate, the worker process's peak RSS, and the content list latency with 100,000 units vs the query the API runs.
// Usage: npm run bench -- sync [files=10000] [ondemand=100000]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Kysely, PostgresDialect } from 'kysely';
import { pino } from 'pino';

import { buildApiApp } from '../src/api/build-app.js';
import { apiModules } from '../src/api/modules.js';
import { loadSettings } from '../src/core/settings.js';
import { createPool } from '../src/db/database.js';
import type { DB } from '../src/db/tables.js';
import { buildRegistry } from '../src/plugin-api/registry.js';
import { builtinPlugins } from '../src/plugins/builtin.js';
import {
  apiCall,
  benchAuth,
  createBenchUser,
  freePort,
  memoryOf,
  spawnBin,
  startApi,
  startBenchDatabase,
  stopProcess,
  waitRegistered,
  waitTask,
} from './lib/pulp.js';
import { fmt, pct, printSummary, report } from './lib/targets.js';
import { createStorage } from '../src/storage/create-storage.js';

const FILES = Number(process.argv[2] ?? 10_000);
const ONDEMAND = Number(process.argv[3] ?? 100_000);
const CONCURRENCY = 10;
const DIGESTS = ['sha224', 'sha256', 'sha384', 'sha512'];
const root = mkdtempSync(path.join(tmpdir(), 'pulp-bench-sync-'));
chmodSync(root, 0o755);
const www = path.join(root, 'www');
const home = path.join(root, 'home');

function generate(): { bytes: number } {
  mkdirSync(path.join(www, 'repo'), { recursive: true });
  const pool = randomBytes(1024 * 1024);
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    // Log-uniform-ish sizes between 1 KiB and 1 MiB (skewed small), about 1.2 GiB for 10,000 files.
    const size = Math.round(1024 * 1024 ** (Math.random() ** 1.15));
    const buf = Buffer.concat([randomBytes(16), pool.subarray(0, size - 16)]);
    const rel = `d${i % 100}/file-${i}.bin`;
    mkdirSync(path.join(www, 'repo', `d${i % 100}`), { recursive: true });
    writeFileSync(path.join(www, 'repo', rel), buf);
    lines.push(`${rel},${createHash('sha256').update(buf).digest('hex')},${size}`);
    bytes += size;
  }
  writeFileSync(path.join(www, 'repo', 'PULP_MANIFEST'), `${lines.join('\n')}\n`);
  mkdirSync(path.join(www, 'big'), { recursive: true });
  const big: string[] = [];
  for (let i = 0; i < ONDEMAND; i++)
    big.push(`p${i % 1000}/unit-${i}.bin,${createHash('sha256').update(`u${i}`).digest('hex')},${1000 + (i % 5000)}`);
  writeFileSync(path.join(www, 'big', 'PULP_MANIFEST'), `${big.join('\n')}\n`);
  return { bytes };
}

async function startNginx(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const conf = path.join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 2; pid ${root}/nginx.pid; error_log ${root}/nginx-error.log; daemon on;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000; client_body_temp_path ${root}/nb; proxy_temp_path ${root}/np;
  fastcgi_temp_path ${root}/nf; uwsgi_temp_path ${root}/nu; scgi_temp_path ${root}/ns;
  server { listen 127.0.0.1:${port}; root ${www}; } }`,
  );
  execFileSync('nginx', ['-c', conf, '-p', root]);
  return { url: `http://127.0.0.1:${port}/`, stop: () => spawnSync('nginx', ['-c', conf, '-p', root, '-s', 'stop']) };
}

/**
 * The limit: curl downloads with the same concurrency and, as each file completes (curl prints its name), two
 * hashing processes (one per core) compute `digests` of it: download and hashing overlap, as in pulp-ts.
 */
function curlLimit(baseUrl: string, digests: string[]): number {
  const out = path.join(root, `curl-${digests.length}`);
  mkdirSync(out);
  const manifest = readFileSync(path.join(www, 'repo', 'PULP_MANIFEST'), 'utf8')
    .trim()
    .split('\n');
  const config = manifest
    .map((l, i) => `url = "${baseUrl}repo/${l.split(',')[0]}"\noutput = "${out}/f${i}"`)
    .join('\n');
  writeFileSync(path.join(root, 'curl.cfg'), config);
  const hash = digests.map((d) => `${d}sum "$@" > /dev/null`).join('; ');
  const t0 = performance.now();
  const r = spawnSync(
    'sh',
    [
      '-c',
      `curl -s --no-progress-meter --parallel --parallel-max ${CONCURRENCY} -K ${root}/curl.cfg -w '%{filename_effective}\\n' | xargs -P 2 -n 20 sh -c '${hash}' _`,
    ],
    { stdio: 'inherit' },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error('curl limit failed');
  rmSync(out, { recursive: true, force: true });
  return ms;
}

interface SyncRun {
  runMs: number;
  peakMb: number;
  idleMb: number;
  task: any;
}

/** One sync dispatched through the API and run by a fresh pulpcore-worker, whose peak RSS is read after it. */
async function syncWithFreshWorker(
  env: Record<string, string>,
  db: Parameters<typeof waitRegistered>[0],
  base: string,
  repo: string,
  remote: string,
): Promise<SyncRun> {
  const name = `bench-sync-${Date.now()}`;
  const worker = spawnBin('pulpcore-worker.js', ['--name', name], env);
  await waitRegistered(db, [name]);
  const idleMb = memoryOf(worker.pid!).rssMb;
  const origin = new URL(base).origin;
  const r = await apiCall('POST', `${origin}${repo}sync/`, { remote });
  if (r.status !== 202) throw new Error(`sync answered ${r.status}: ${JSON.stringify(r.body)}`);
  const { task, runMs } = await waitTask(origin, r.body.task);
  const { peakMb } = memoryOf(worker.pid!);
  await stopProcess(worker);
  return { runMs, peakMb, idleMb, task };
}

async function main(): Promise<void> {
  console.log(`bench/sync: ${FILES} files, ${ONDEMAND} on_demand units, concurrency ${CONCURRENCY}, workdir ${root}`);
  const { bytes } = generate();
  console.log(`generated ${fmt(bytes / 2 ** 30, 2)} GiB`);
  const nginx = await startNginx();
  const database = await startBenchDatabase(root);
  const env = { PULP_DATABASE_URL: database.url, PULP_HOME: home };
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  try {
    await createBenchUser(database.db);
    api = await startApi(env);
    const base = api.base;
    const create = async (url: string, body: unknown) => {
      const r = await apiCall('POST', `${base}${url}`, body);
      if (r.status !== 201) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.pulp_href as string;
    };
    const remote = (name: string, manifest: string, policy: string) =>
      create('remotes/file/file/', { name, url: `${nginx.url}${manifest}`, policy, download_concurrency: CONCURRENCY });

    // Warm the page cache for both sides alike: the limit's first pass reads the files from disk.
    curlLimit(nginx.url, ['sha256']);
    const limit1 = curlLimit(nginx.url, ['sha256']);
    const limit4 = curlLimit(nginx.url, DIGESTS);
    console.log(
      `limit: curl | sha256sum ${fmt(limit1 / 1000, 2)} s; curl | ${DIGESTS.join('+')} ${fmt(limit4 / 1000, 2)} s`,
    );

    const repo = await create('repositories/file/file/', { name: 'immediate' });
    const immRemote = await remote('immediate', 'repo/PULP_MANIFEST', 'immediate');
    const imm = await syncWithFreshWorker(env, database.db, base, repo, immRemote);
    report({
      measurement: `immediate sync of ${fmt(FILES)} files (${fmt(bytes / 2 ** 30, 2)} GiB), 4 digests (s)`,
      ours: fmt(imm.runMs / 1000, 2),
      peer: `curl piped into ${DIGESTS.length} digests ${fmt(limit4 / 1000, 2)} (sha256 only ${fmt(limit1 / 1000, 2)})`,
      ratio: fmt(imm.runMs / limit4, 2),
      checked: imm.runMs / limit4,
      target: { max: 1.5 },
    });
    report({
      measurement: `worker peak RSS, immediate sync of ${fmt(FILES)} (MB)`,
      ours: `${fmt(imm.peakMb)} (idle before: ${fmt(imm.idleMb)})`,
      checked: imm.peakMb,
      target: { max: 300 },
      unit: 'MB',
    });
    const again = await syncWithFreshWorker(env, database.db, base, repo, immRemote);
    report({
      measurement: 'no-change re-sync (s)',
      ours: `${fmt(again.runMs / 1000, 3)} (new version: ${again.task.created_resources.length ? 'yes' : 'none'})`,
      checked: again.runMs / 1000,
      target: { max: 1 },
      unit: 's',
    });
    const od = await syncWithFreshWorker(
      env,
      database.db,
      base,
      await create('repositories/file/file/', { name: 'ondemand' }),
      await remote('ondemand', 'repo/PULP_MANIFEST', 'on_demand'),
    );
    report({ measurement: `on_demand sync of ${fmt(FILES)} (units/s)`, ours: fmt(FILES / (od.runMs / 1000)) });
    const bigRepo = await create('repositories/file/file/', { name: 'big' });
    const big = await syncWithFreshWorker(
      env,
      database.db,
      base,
      bigRepo,
      await remote('big', 'big/PULP_MANIFEST', 'on_demand'),
    );
    report({ measurement: `on_demand sync of ${fmt(ONDEMAND)} (units/s)`, ours: fmt(ONDEMAND / (big.runMs / 1000)) });
    report({
      measurement: `worker peak RSS, on_demand sync of ${fmt(ONDEMAND)} (MB)`,
      ours: fmt(big.peakMb),
      checked: big.peakMb,
      target: { max: 300 },
      unit: 'MB',
    });
    await listLatency(database.url, bigRepo);
  } finally {
    if (api) await stopProcess(api.child);
    await database.close();
    nginx.stop();
    rmSync(root, { recursive: true, force: true });
  }
  printSummary(`bench/sync, ${FILES} files, ${ONDEMAND} on_demand units`);
}

/**
 * The content list of a 100,000-unit version through the API (in process, no HTTP) vs the same SQL run bare:
 * the statements the API ran for that request are captured and replayed on the same pool, so the baseline is
 * exactly the indexed query the API uses.
 */
async function listLatency(url: string, repoHref: string): Promise<void> {
  const captured: { sql: string; parameters: readonly unknown[] }[] = [];
  let capturing = false;
  const pool = createPool({ url, max: 4 });
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: (e) => {
      if (capturing && e.level === 'query') captured.push({ sql: e.query.sql, parameters: e.query.parameters });
    },
  });
  const settings = loadSettings({ env: {}, overrides: { PULP_HOME: home, LOG_LEVEL: 'silent' } });
  const registry = buildRegistry(
    builtinPlugins,
    builtinPlugins.map((p) => p.name),
  );
  const api = await buildApiApp({
    settings,
    db,
    logger: pino({ level: 'silent' }),
    modules: apiModules(registry),
    dispatcher: { dispatch: () => Promise.reject(new Error('none')) },
    storage: await createStorage(settings),
  });
  const page = `/pulp/api/v3/content/file/files/?repository_version=${repoHref}versions/1/&limit=100`;
  const get = () => api.app.inject({ method: 'GET', url: page, headers: { authorization: benchAuth } });
  for (let i = 0; i < 5; i++) await get();
  capturing = true;
  const res = await get();
  capturing = false;
  if (res.statusCode !== 200 || res.json<{ count: number }>().count === 0) throw new Error(`list: ${res.statusCode}`);
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await get();
    times.push(performance.now() - t0);
  }
  // The page query is the one with the LIMIT; the others are the count, auth and policy lookups.
  const main = captured.find((q) => /\blimit\b/i.test(q.sql) && /repository_content/i.test(q.sql)) ?? captured[0]!;
  const bareMain: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await pool.query(main.sql, [...main.parameters]);
    bareMain.push(performance.now() - t0);
  }
  const bareAll: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    for (const q of captured) await pool.query(q.sql, [...q.parameters]);
    bareAll.push(performance.now() - t0);
  }
  const p50 = (xs: number[]) => pct(xs, 50);
  report({
    measurement: `GET content/file/files/?repository_version=... limit=100, ${fmt(ONDEMAND)}-unit version, p50 (ms)`,
    ours: fmt(p50(times), 2),
    peer: `the API's page query bare ${fmt(p50(bareMain), 2)}; all ${captured.length} of its statements ${fmt(p50(bareAll), 2)}`,
    ratio: fmt(p50(times) / p50(bareMain), 2),
    checked: p50(times) / p50(bareMain),
    target: { max: 3 },
  });
  await api.app.close();
  await db.destroy();
}

await main();
