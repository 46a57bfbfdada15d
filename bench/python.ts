// bench/python: pip download of 200 packages from pulp-ts vs the same static PEP 503 tree on nginx, and an immediate
// sync of a 5,000-package static index vs curl + sha256sum of the same pages and files; worker RSS by index size.
// Usage: npm run bench -- python [pip=200] [sync=5000]
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { buildWheel, type BuiltDist } from '../test/helpers/python-packages.js';
import {
  apiCall,
  createBenchUser,
  freePort,
  memoryOf,
  sleep,
  spawnBin,
  startApi,
  startBenchDatabase,
  stopProcess,
  waitRegistered,
  waitTask,
} from './lib/pulp.js';
import { fmt, printSummary, report } from './lib/targets.js';

const PIP_PACKAGES = Number(process.argv[2] ?? 200);
const SYNC_PACKAGES = Number(process.argv[3] ?? 5000);
const SMALL_INDEX = Math.max(1, Math.round(SYNC_PACKAGES / 5));
const CONCURRENCY = 10;
const PIP_RUNS = 3;
const root = mkdtempSync(path.join(tmpdir(), 'pulp-bench-python-'));
chmodSync(root, 0o755);
const www = path.join(root, 'www');
const home = path.join(root, 'home');

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** A static PEP 503 tree as `pip` needs it: `simple/`, `simple/<name>/` and the files under `packages/`. */
function writeTree(dir: string, dists: BuiltDist[]): void {
  mkdirSync(path.join(dir, 'packages'), { recursive: true });
  const names: string[] = [];
  for (const d of dists) {
    writeFileSync(path.join(dir, 'packages', d.filename), d.bytes);
    mkdirSync(path.join(dir, 'simple', d.name), { recursive: true });
    writeFileSync(
      path.join(dir, 'simple', d.name, 'index.html'),
      `<!DOCTYPE html>\n<html><body>\n<a href="../../packages/${esc(d.filename)}#sha256=${d.sha256}">${esc(d.filename)}</a><br/>\n</body></html>\n`,
    );
    names.push(d.name);
  }
  writeFileSync(
    path.join(dir, 'simple', 'index.html'),
    `<!DOCTYPE html>\n<html><body>\n${names.map((n) => `<a href="${n}/">${n}</a><br/>`).join('\n')}\n</body></html>\n`,
  );
}

function generate(): { pip: BuiltDist[]; sync: BuiltDist[] } {
  const pip = Array.from({ length: PIP_PACKAGES }, (_, i) =>
    buildWheel({ name: `pip-pkg-${String(i).padStart(4, '0')}`, version: '1.0' }),
  );
  const sync = Array.from({ length: SYNC_PACKAGES }, (_, i) =>
    buildWheel({ name: `sync-pkg-${String(i).padStart(5, '0')}`, version: '1.0' }),
  );
  writeTree(path.join(www, 'pip'), pip);
  writeTree(path.join(www, 'sync'), sync);
  writeTree(path.join(www, 'small'), sync.slice(0, SMALL_INDEX));
  return { pip, sync };
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
  types { text/html html; application/octet-stream whl; }
  server { listen 127.0.0.1:${port}; root ${www}; index index.html; } }`,
  );
  execFileSync('nginx', ['-c', conf, '-p', root]);
  return { url: `http://127.0.0.1:${port}/`, stop: () => spawnSync('nginx', ['-c', conf, '-p', root, '-s', 'stop']) };
}

function ensureNginx(): void {
  if (spawnSync('sh', ['-c', 'command -v nginx']).status === 0) return;
  console.log('nginx is missing: installing the Debian package');
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('nginx could not be installed (apt-get install nginx)');
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

/** `pip download` of every package (no dependencies), best of PIP_RUNS after one warm-up run; ms. */
function pipDownload(python: string, indexUrl: string, names: string[]): number {
  const times: number[] = [];
  for (let run = 0; run <= PIP_RUNS; run++) {
    const dest = path.join(root, `dl-${Date.now()}`);
    const t0 = performance.now();
    const r = spawnSync(
      python,
      ['-m', 'pip', 'download', '--no-deps', '--quiet', '-d', dest, '--index-url', indexUrl, ...names],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: root,
          PIP_CONFIG_FILE: '/dev/null',
          PIP_NO_CACHE_DIR: '1',
          PIP_DISABLE_PIP_VERSION_CHECK: '1',
          PIP_NO_INPUT: '1',
        },
        encoding: 'utf8',
      },
    );
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`pip download from ${indexUrl} failed: ${r.stderr}`);
    const got = readdirSync(dest).length;
    rmSync(dest, { recursive: true, force: true });
    if (got !== names.length) throw new Error(`pip download from ${indexUrl}: ${got} of ${names.length} files`);
    if (run > 0) times.push(ms);
  }
  return Math.min(...times);
}

/** The limit of a sync: curl fetches the same project pages and files, sha256sum hashes each file as it lands. */
function curlLimit(baseUrl: string, dists: BuiltDist[]): number {
  const out = path.join(root, 'curl');
  mkdirSync(out);
  const config = dists
    .flatMap((d, i) => [
      `url = "${baseUrl}simple/${d.name}/"\noutput = "${out}/p${i}.html"`,
      `url = "${baseUrl}packages/${d.filename}"\noutput = "${out}/f${i}.whl"`,
    ])
    .join('\n');
  writeFileSync(path.join(root, 'curl.cfg'), config);
  const t0 = performance.now();
  const r = spawnSync(
    'sh',
    [
      '-c',
      `curl -s --no-progress-meter --parallel --parallel-max ${CONCURRENCY} -K ${root}/curl.cfg -w '%{filename_effective}\\n' | grep '\\.whl$' | xargs -P 2 -n 50 sha256sum > /dev/null`,
    ],
    { stdio: 'inherit' },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error('curl limit failed');
  rmSync(out, { recursive: true, force: true });
  return ms;
}

async function main(): Promise<void> {
  console.log(
    `bench/python: pip download of ${PIP_PACKAGES} packages, sync of ${SYNC_PACKAGES} (and ${SMALL_INDEX}) packages, concurrency ${CONCURRENCY}, workdir ${root}`,
  );
  ensureNginx();
  const venv = path.join(root, 'venv');
  execFileSync(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ['-m', 'venv', venv]);
  const python = path.join(venv, 'bin', 'python');
  const { pip, sync } = generate();
  const nginx = await startNginx();
  const database = await startBenchDatabase(root);
  const contentPort = await freePort();
  const env = {
    PULP_DATABASE_URL: database.url,
    PULP_HOME: home,
    PULP_CONTENT_ORIGIN: `http://127.0.0.1:${contentPort}`,
    PULP_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    // Profiling: BENCH_NODE_OPTIONS='--import <a script starting node:inspector's profiler>' reaches the API, content app and
    // workers (node 20 refuses --cpu-prof in NODE_OPTIONS).
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  };
  const children: ChildProcess[] = [];
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  try {
    await createBenchUser(database.db);
    api = await startApi(env);
    children.push(spawnBin('pulpcore-content.js', ['--bind', `127.0.0.1:${contentPort}`], env));
    await waitHttp(`http://127.0.0.1:${contentPort}/pulp/content/`);
    const base = api.base;
    const origin = new URL(base).origin;
    const create = async (url: string, body: unknown) => {
      const r = await apiCall('POST', `${base}${url}`, body);
      if (r.status !== 201) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.pulp_href as string;
    };
    const async = async (url: string, body: unknown) => {
      const r = await apiCall('POST', url.startsWith('/') ? `${origin}${url}` : `${base}${url}`, body);
      if (r.status !== 202) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
      return waitTask(origin, r.body.task);
    };
    /** A sync run by a fresh worker; its duration and the worker's peak RSS. */
    const syncFresh = async (repo: string, remote: string) => {
      const name = `bench-python-${Date.now()}`;
      const worker = spawnBin(
        'pulpcore-worker.js',
        ['--name', name],
        env,
        process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore',
        // BENCH_WORKER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the syncing worker.
        process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean),
      );
      await waitRegistered(database.db, [name]);
      const idleMb = memoryOf(worker.pid!).rssMb;
      const { task, runMs } = await async(`${repo}sync/`, { remote });
      const { peakMb } = memoryOf(worker.pid!);
      await stopProcess(worker);
      return { task, runMs, idleMb, peakMb };
    };
    const remote = (name: string, tree: string) =>
      create('remotes/python/python/', {
        name,
        url: `${nginx.url}${tree}/simple/`,
        policy: 'immediate',
        download_concurrency: CONCURRENCY,
      });

    // (a) pip download: the same tree synced into pulp-ts, served by the API (pages) and the content app (files).
    const pipRepo = await create('repositories/python/python/', { name: 'pip' });
    await syncFresh(pipRepo, await remote('pip', 'pip'));
    const worker = spawnBin('pulpcore-worker.js', ['--name', 'bench-python-dist'], env);
    children.push(worker);
    await waitRegistered(database.db, ['bench-python-dist']);
    await async('distributions/python/pypi/', { name: 'pip', base_path: 'pip', repository: pipRepo });
    const names = pip.map((d) => d.name);
    const staticMs = pipDownload(python, `${nginx.url}pip/simple/`, names);
    const oursMs = pipDownload(python, `${origin}/pypi/pip/simple/`, names);
    report({
      measurement: `pip download of ${fmt(PIP_PACKAGES)} packages (s, best of ${PIP_RUNS})`,
      ours: fmt(oursMs / 1000, 2),
      peer: `static PEP 503 tree on nginx ${fmt(staticMs / 1000, 2)}`,
      ratio: fmt(staticMs / oursMs, 2),
      checked: staticMs / oursMs,
      target: { min: 0.8 },
    });
    await stopProcess(worker);

    // (b) sync of the large static index vs curl + sha256sum of its pages and files.
    curlLimit(`${nginx.url}sync/`, sync);
    const limit = curlLimit(`${nginx.url}sync/`, sync);
    const small = await syncFresh(
      await create('repositories/python/python/', { name: 'small' }),
      await remote('small', 'small'),
    );
    const bigRepo = await create('repositories/python/python/', { name: 'sync' });
    const bigRemote = await remote('sync', 'sync');
    const big = await syncFresh(bigRepo, bigRemote);
    const count = (
      await apiCall('GET', `${base}content/python/packages/?repository_version=${bigRepo}versions/1/&limit=1`)
    ).body.count;
    if (count !== SYNC_PACKAGES) throw new Error(`synced ${count} of ${SYNC_PACKAGES} packages`);
    report({
      measurement: `immediate sync of a ${fmt(SYNC_PACKAGES)}-package static index (s)`,
      ours: fmt(big.runMs / 1000, 2),
      peer: `curl of the same ${fmt(SYNC_PACKAGES * 2)} pages and files | sha256sum ${fmt(limit / 1000, 2)}`,
      ratio: fmt(big.runMs / limit, 2),
      checked: big.runMs / limit,
      target: { max: 1.5 },
    });
    report({
      measurement: `worker peak RSS, sync of ${fmt(SYNC_PACKAGES)} vs ${fmt(SMALL_INDEX)} packages (MB)`,
      ours: `${fmt(big.peakMb)} vs ${fmt(small.peakMb)} (idle ${fmt(big.idleMb)})`,
      ratio: fmt(big.peakMb / small.peakMb, 2),
      checked: big.peakMb / small.peakMb,
      target: { max: 1.25 },
    });
    const again = await syncFresh(bigRepo, bigRemote);
    report({
      measurement: `no-change re-sync of ${fmt(SYNC_PACKAGES)} packages (s per 1,000 packages)`,
      ours: `${fmt(again.runMs / 1000, 2)} s in all (new version: ${again.task.created_resources.length ? 'yes' : 'none'})`,
      checked: again.runMs / 1000 / (SYNC_PACKAGES / 1000),
      target: { max: 1 },
      unit: 's',
    });
  } finally {
    for (const c of children) await stopProcess(c);
    if (api) await stopProcess(api.child);
    await database.close();
    nginx.stop();
    rmSync(root, { recursive: true, force: true });
  }
  printSummary(`bench/python, pip ${PIP_PACKAGES} packages, sync ${SYNC_PACKAGES} packages`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
