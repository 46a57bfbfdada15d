// bench/content: the content app vs nginx (sendfile) vs a bare Node server, each with as many processes as cores,
// each warmed, all loaded by wrk on loopback: (a) 4 KiB file rps, (b) 100 MiB file MB/s, (c) on-demand time to
// first byte and throughput vs fetching the same file straight from the upstream, (d) lookups in a repository of
// 1,000 vs 1,000,000 units: one hot path, and cold paths (each path's first request).
// Usage: npm run bench -- content [seconds=10] [large-repository-units=1000000]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { request } from 'undici';

import { loadSettings } from '../src/core/settings.js';
import { createDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { buildRegistry } from '../src/plugin-api/registry.js';
import { builtinPlugins } from '../src/plugins/builtin.js';
import { ContentFixtures } from '../test/integration/content-app/fixtures.js';
import { fmt, printSummary, report } from './lib/targets.js';
import { createStorage } from '../src/storage/create-storage.js';

const SECONDS = Number(process.argv[2] ?? 10);
const LARGE = Number(process.argv[3] ?? 1_000_000);
const PROCESSES = cpus().length;
const root = mkdtempSync(path.join(tmpdir(), 'pulp-bench-content-'));
chmodSync(root, 0o755);
const www = path.join(root, 'www');
const children: ChildProcess[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function startNginx(port: number): void {
  const conf = path.join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${PROCESSES}; pid ${root}/nginx.pid; error_log ${root}/nginx-error.log; daemon off;
events { worker_connections 4096; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000; default_type application/octet-stream;
  server { listen 127.0.0.1:${port}; root ${www}; } }
`,
  );
  children.push(spawn('nginx', ['-c', conf, '-p', root], { stdio: 'inherit' }));
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    try {
      const r = await request(url);
      await r.body.dump();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

function wrk(
  url: string,
  connections: number,
  seconds = SECONDS,
  script?: string,
): { rps: number; bytesPerSec: number } {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, ...(script ? ['-s', script] : []), url];
  const out = execFileSync('wrk', args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const m = /Transfer\/sec:\s+([\d.]+)([KMG]?B)/.exec(out);
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m?.[2] ?? 'B'] ?? 1;
  if (/Non-2xx/.test(out)) console.log(`  warning: non-2xx answers from ${url}`);
  return { rps, bytesPerSec: Number(m?.[1] ?? 0) * unit };
}

/** Time to first body byte and total throughput of one GET. */
async function timedGet(url: string): Promise<{ ttfbMs: number; mbps: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  const res = await request(url);
  let first = 0n;
  let bytes = 0;
  for await (const chunk of res.body) {
    if (first === 0n) first = process.hrtime.bigint();
    bytes += (chunk as Buffer).length;
  }
  const t1 = process.hrtime.bigint();
  if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
  return { ttfbMs: Number(first - t0) / 1e6, mbps: bytes / 1024 ** 2 / (Number(t1 - t0) / 1e9), bytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A warm-up run, then the measured one. */
function warmWrk(url: string, connections: number, script?: string): { rps: number; bytesPerSec: number } {
  wrk(url, connections, 2, script);
  return wrk(url, connections, SECONDS, script);
}

async function main(): Promise<void> {
  const pgPort = await freePort();
  const server = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: pgPort, database: 'pulp_bench' });
  const { db } = createDatabase({ url: server.url, max: 5 });
  try {
    const registry = buildRegistry(
      builtinPlugins,
      builtinPlugins.map((p) => p.name),
    );
    await migrate(db, registry.migrations);
    const home = path.join(root, 'home');
    const settings = loadSettings({ env: {}, overrides: { PULP_HOME: home, DATABASE_URL: server.url } });
    const storage = await createStorage(settings);
    const f = new ContentFixtures(db, storage, settings);

    console.log('preparing files...');
    const small = randomBytes(4096);
    const big = randomBytes(100 * 1024 * 1024);
    const mid = randomBytes(1024 * 1024);
    mkdirSync(path.join(www, 'pub'), { recursive: true });
    writeFileSync(path.join(www, 'pub', 'small.bin'), small);
    writeFileSync(path.join(www, 'pub', 'big.bin'), big);
    writeFileSync(path.join(www, 'pub', 'mid.bin'), mid);
    const nginxPort = await freePort();
    startNginx(nginxPort);
    const nginx = `http://127.0.0.1:${nginxPort}`;
    const barePort = await freePort();
    children.push(
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(import.meta.dirname, 'bare-server-child.ts'),
          String(barePort),
          String(PROCESSES),
        ].concat([path.join(www, 'pub')]),
        { stdio: 'inherit' },
      ),
    );
    const bare = `http://127.0.0.1:${barePort}`;

    const repo = await f.repository();
    const units = [];
    for (const [name, data] of [
      ['small.bin', small],
      ['big.bin', big],
    ] as const) {
      units.push((await f.content(name, (await f.artifact(data)).pulp_id)).contentId);
    }
    // On-demand units: fresh content each time so every request is a first request.
    const remote = await f.remote(`${nginx}/pub/`, 'on_demand');
    const ODN = 15;
    for (let i = 0; i < ODN; i++) {
      for (const [name, data] of [
        ['mid', mid],
        ['big', big],
      ] as const) {
        const c = await f.content(`od/${name}-${i}.bin`, null);
        await f.remoteArtifact(c.contentArtifactId, remote, `${nginx}/pub/${name}.bin`, null, { size: data.length });
        units.push(c.contentId);
      }
    }
    await f.distribution('bench', { publication_id: await f.publication(await f.version(repo, 1, units)) });

    const contentPort = await freePort();
    children.push(
      spawn(
        process.execPath,
        [
          // BENCH_CPU_PROF=<dir>: a CPU profile of each content process, written when it stops.
          ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
          'bin/pulpcore-content.js',
          '--bind',
          `127.0.0.1:${contentPort}`,
          '--processes',
          String(PROCESSES),
        ],
        {
          env: { ...process.env, PULP_DATABASE_URL: server.url, PULP_HOME: home, PULP_LOG_LEVEL: 'warn' },
          stdio: 'inherit',
        },
      ),
    );
    const content = `http://127.0.0.1:${contentPort}/pulp/content/bench`;
    await waitHttp(`${nginx}/pub/small.bin`);
    await waitHttp(`${content}/small.bin`);
    await waitHttp(`${bare}/small.bin`);
    console.log(
      `content app, nginx (sendfile) and bare Node: ${PROCESSES} processes each; wrk -t2, ${SECONDS} s per run after a 2 s warm-up\n`,
    );

    // (a)
    const aN = warmWrk(`${nginx}/pub/small.bin`, 64);
    const aB = warmWrk(`${bare}/small.bin`, 64);
    const aC = warmWrk(`${content}/small.bin`, 64);
    report({
      measurement: '(a) 4 KiB file (req/s)',
      ours: fmt(aC.rps),
      peer: `nginx ${fmt(aN.rps)}; bare Node ${fmt(aB.rps)} (${fmt(aB.rps / aN.rps, 2)}x nginx)`,
      ratio: fmt(aC.rps / aN.rps, 2),
      checked: aC.rps / aN.rps,
      target: { min: 0.5 },
    });

    // (b)
    const mb = (x: number) => x / 1024 ** 2;
    const bN = warmWrk(`${nginx}/pub/big.bin`, 4);
    const bB = warmWrk(`${bare}/big.bin`, 4);
    const bC = warmWrk(`${content}/big.bin`, 4);
    report({
      measurement: '(b) 100 MiB file (MB/s)',
      ours: fmt(mb(bC.bytesPerSec)),
      peer: `nginx ${fmt(mb(bN.bytesPerSec))}; bare Node ${fmt(mb(bB.bytesPerSec))} (${fmt(bB.bytesPerSec / bN.bytesPerSec, 2)}x nginx)`,
      ratio: fmt(bC.bytesPerSec / bN.bytesPerSec, 2),
      checked: bC.bytesPerSec / bN.bytesPerSec,
      target: { min: 0.8 },
    });

    // (c)
    const dTtfb: number[] = [];
    const cTtfb: number[] = [];
    for (let i = 0; i < ODN; i++) {
      dTtfb.push((await timedGet(`${nginx}/pub/mid.bin`)).ttfbMs);
      cTtfb.push((await timedGet(`${content}/od/mid-${i}.bin`)).ttfbMs);
    }
    const dThr: number[] = [];
    const cThr: number[] = [];
    for (let i = 0; i < 5; i++) {
      dThr.push((await timedGet(`${nginx}/pub/big.bin`)).mbps);
      cThr.push((await timedGet(`${content}/od/big-${i}.bin`)).mbps);
    }
    const added = median(cTtfb) - median(dTtfb);
    report({
      measurement: '(c) on-demand time to first byte p50, added to direct (ms)',
      ours: `${fmt(median(cTtfb), 2)} (+${fmt(added, 2)})`,
      peer: `direct from nginx ${fmt(median(dTtfb), 2)}`,
      checked: added,
      target: { max: 5 },
      unit: 'ms',
    });
    report({
      measurement: '(c) on-demand throughput, 100 MiB (MB/s)',
      ours: fmt(median(cThr)),
      peer: `direct from nginx ${fmt(median(dThr))}`,
      ratio: fmt(median(cThr) / median(dThr), 2),
      checked: median(cThr) / median(dThr),
      target: { min: 0.7 },
    });

    // (d)
    const results: Record<string, { hotRps: number; coldMs: number; coldRps: number | null }> = {};
    for (const size of [1_000, LARGE]) {
      const r = await f.repository();
      const artifact = await f.artifact(small);
      const t0 = Date.now();
      await sql`WITH c AS (
          INSERT INTO content (pulp_type) SELECT 'file.file' FROM generate_series(1, ${size}) RETURNING pulp_id),
        numbered AS (SELECT pulp_id, row_number() OVER () AS n FROM c),
        ca AS (INSERT INTO content_artifact (content_id, artifact_id, relative_path)
          SELECT pulp_id, ${artifact.pulp_id}::uuid, 'dir-' || (n % 1000) || '/unit-' || n || '.bin' FROM numbered)
        INSERT INTO repository_content (repository_id, content_id, version_added) SELECT ${r}::uuid, pulp_id, 1 FROM numbered`.execute(
        db,
      );
      await sql`ANALYZE`.execute(db);
      const v = await db
        .insertInto('repository_version')
        .values({ repository_id: r, number: 1, complete: true })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await f.distribution(`units-${size}`, { publication_id: await f.publication(v.pulp_id) });
      console.log(`    ${fmt(size)} units inserted in ${fmt((Date.now() - t0) / 1000, 1)} s`);
      const base = `http://127.0.0.1:${contentPort}/pulp/content/units-${size}`;
      // Cold: each path's first request (nothing of it cached), one at a time.
      const cold: number[] = [];
      for (let i = 0; i < 200; i++) {
        const n = 1 + Math.floor((i * size) / 200);
        const t = process.hrtime.bigint();
        const res = await request(`${base}/dir-${n % 1000}/unit-${n}.bin`);
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`units-${size}: HTTP ${res.statusCode}`);
        cold.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      // Cold under load: every request a unit not asked for before (only where there are enough units).
      let coldRps: number | null = null;
      if (size >= 500_000) {
        const script = path.join(root, `cold-${size}.lua`);
        writeFileSync(
          script,
          `local n = 300 + math.random(0, 1000)\nrequest = function()\n  n = n + 7\n  local u = (n % ${size}) + 1\n  return wrk.format("GET", "/pulp/content/units-${size}/dir-" .. (u % 1000) .. "/unit-" .. u .. ".bin")\nend\n`,
        );
        coldRps = wrk(base, 64, SECONDS, script).rps;
      }
      const hot = `${base}/dir-500/unit-500.bin`;
      results[size] = { hotRps: warmWrk(hot, 64).rps, coldMs: median(cold), coldRps };
    }
    const k = results[1_000]!;
    const m = results[LARGE]!;
    report({
      measurement: `(d) one hot path, ${fmt(LARGE)} vs 1,000 units (req/s)`,
      ours: `${fmt(m.hotRps)} vs ${fmt(k.hotRps)}`,
      ratio: fmt(m.hotRps / k.hotRps, 2),
      checked: m.hotRps / k.hotRps,
      target: { min: 0.8 },
    });
    report({
      measurement: `(d) cold lookup (first request of a path) p50, ${fmt(LARGE)} vs 1,000 units (ms)`,
      ours: `${fmt(m.coldMs, 2)} vs ${fmt(k.coldMs, 2)}`,
      ratio: fmt(k.coldMs / m.coldMs, 2),
      checked: k.coldMs / m.coldMs,
      target: { min: 0.8 },
    });
    if (m.coldRps !== null)
      report({
        measurement: `(d) cold paths under load, ${fmt(LARGE)} units (req/s; every request a new unit)`,
        ours: fmt(m.coldRps),
        peer: `one hot path ${fmt(m.hotRps)}`,
        ratio: fmt(m.coldRps / m.hotRps, 2),
      });
    printSummary(`bench/content, ${SECONDS} s runs, ${PROCESSES} processes each`);
  } finally {
    // Every server stops before PostgreSQL does.
    await Promise.all(
      children.map(
        (c) =>
          new Promise((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r(null);
            const kill = setTimeout(() => c.kill('SIGKILL'), 15_000);
            c.once('exit', () => r(clearTimeout(kill)));
            c.kill('SIGTERM');
          }),
      ),
    );
    await db.destroy();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
