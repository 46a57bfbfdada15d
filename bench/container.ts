// bench/container: skopeo copy push and pull of a 200 MiB image (4 layers) against pulp-ts (pulpcore-api with its
// token server + pulpcore-content) and Debian's docker-registry in the same run, and manifest GET requests/s (wrk).
// Usage: npm run bench -- container [runs=3] [seconds=10] [layer-MiB=50]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';

import { makeImage, makeLayer, writeOciLayout } from '../test/helpers/container-images.js';
import {
  BENCH_PASSWORD,
  BENCH_USER,
  createBenchUser,
  freePort,
  sleep,
  spawnBin,
  startBenchDatabase,
  stopProcess,
} from './lib/pulp.js';
import { fmt, printSummary, report } from './lib/targets.js';

const RUNS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 10);
const LAYER_MIB = Number(process.argv[4] ?? 50);
const PROCESSES = Math.max(1, cpus().length);
const root = mkdtempSync(path.join(tmpdir(), 'pulp-bench-container-'));
chmodSync(root, 0o755);
const children: ChildProcess[] = [];
const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json';

function ensureTools(): void {
  const missing = ['skopeo', 'docker-registry', 'wrk'].filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const packages = missing.map((t) => (t === 'docker-registry' ? 'docker-registry' : t));
  console.log(`installing ${packages.join(' ')} with apt-get`);
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit' });
}

async function waitHttp(url: string, ok: (status: number) => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (ok(status)) return;
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

async function startReference(): Promise<string> {
  const port = await freePort();
  const dir = path.join(root, 'registry');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
http:
  addr: 127.0.0.1:${port}
`,
  );
  children.push(spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' }));
  await waitHttp(`http://127.0.0.1:${port}/v2/`, (s) => s === 200);
  return `127.0.0.1:${port}`;
}

/** skopeo with its own HOME (no blob-info cache shared between runs) and the accept-anything policy. */
function skopeo(args: string[]): number {
  const home = mkdtempSync(path.join(root, 'home-'));
  const started = performance.now();
  execFileSync('skopeo', ['--insecure-policy', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH ?? '', HOME: home, XDG_RUNTIME_DIR: home },
  });
  const seconds = (performance.now() - started) / 1000;
  rmSync(home, { recursive: true, force: true });
  return seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function wrk(url: string, headers: Record<string, string>): number {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const args = ['-t2', '-c32', ...h];
  execFileSync('wrk', [...args, '-d2s', url], { encoding: 'utf8' });
  const out = execFileSync('wrk', [...args, `-d${SECONDS}s`, url], { encoding: 'utf8' });
  if (/Non-2xx/.test(out)) console.log(`  warning: non-2xx answers from ${url}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
}

async function main(): Promise<void> {
  ensureTools();
  const database = await startBenchDatabase(root);
  await createBenchUser(database.db);
  const apiPort = await freePort();
  const contentPort = await freePort();
  const env = {
    PULP_DATABASE_URL: database.url,
    PULP_HOME: path.join(root, 'pulp'),
    PULP_CONTENT_ORIGIN: `http://127.0.0.1:${contentPort}`,
    PULP_CONTENT_BIND: `127.0.0.1:${contentPort}`,
  };
  children.push(spawnBin('pulpcore-api.js', ['--bind', `127.0.0.1:${apiPort}`, '--processes', String(PROCESSES)], env));
  children.push(
    spawnBin('pulpcore-content.js', ['--bind', `127.0.0.1:${contentPort}`, '--processes', String(PROCESSES)], env),
  );
  const pulp = `127.0.0.1:${apiPort}`;
  await waitHttp(`http://${pulp}/v2/`, (s) => s === 401);
  await waitHttp(`http://127.0.0.1:${contentPort}/pulp/content/`, (s) => s > 0);
  const reference = await startReference();
  const creds = `${BENCH_USER}:${BENCH_PASSWORD}`;

  const pushes = { pulp: [] as number[], reference: [] as number[] };
  const pulls = { pulp: [] as number[], reference: [] as number[] };
  let sizeMiB = 0;
  for (let run = 0; run < RUNS; run++) {
    // A new image every run: nothing of it is in either registry, nor in any client cache.
    const layers = [0, 1, 2, 3].map((i) => makeLayer(`layer-${run}-${i}`, { randomSize: LAYER_MIB * 1024 * 1024 }));
    const image = makeImage('amd64', layers, { run: String(run) });
    sizeMiB = layers.reduce((n, l) => n + l.size, 0) / 1024 / 1024;
    const layout = path.join(root, `src-${run}`);
    await writeOciLayout(layout, [image.manifest, image.config, ...layers], [{ blob: image.manifest, tag: 'v1' }]);
    const targets = run % 2 === 0 ? (['pulp', 'reference'] as const) : (['reference', 'pulp'] as const);
    for (const t of targets) {
      const host = t === 'pulp' ? pulp : reference;
      const auth = t === 'pulp' ? ['--dest-creds', creds] : [];
      pushes[t].push(
        skopeo(['copy', '--dest-tls-verify=false', ...auth, `oci:${layout}:v1`, `docker://${host}/bench/img${run}:v1`]),
      );
    }
    for (const t of targets) {
      const host = t === 'pulp' ? pulp : reference;
      const auth = t === 'pulp' ? ['--src-creds', creds] : [];
      const out = path.join(root, `out-${t}-${run}`);
      pulls[t].push(
        skopeo(['copy', '--src-tls-verify=false', ...auth, `docker://${host}/bench/img${run}:v1`, `oci:${out}:v1`]),
      );
      rmSync(out, { recursive: true, force: true });
    }
    rmSync(layout, { recursive: true, force: true });
  }

  const token = (await (
    await fetch(`http://${pulp}/token/?service=${pulp}&scope=repository:bench/img0:pull`, {
      headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` },
    })
  ).json()) as { token: string };
  const pulpRps = wrk(`http://${pulp}/v2/bench/img0/manifests/v1`, {
    Authorization: `Bearer ${token.token}`,
    Accept: MANIFEST_ACCEPT,
  });
  const referenceRps = wrk(`http://${reference}/v2/bench/img0/manifests/v1`, { Accept: MANIFEST_ACCEPT });

  console.log(
    `\nskopeo copy of a ${fmt(sizeMiB)} MiB image (4 layers), median of ${RUNS} runs, a new image each run;` +
      ` pulp-ts: ${PROCESSES} API and ${PROCESSES} content processes; wrk -t2 -c32 ${SECONDS} s\n`,
  );
  for (const [what, runs] of [
    ['push', pushes],
    ['pull', pulls],
  ] as const) {
    const ours = sizeMiB / median(runs.pulp);
    const peer = sizeMiB / median(runs.reference);
    report({
      measurement: `skopeo ${what}, MiB/s (vs docker-registry)`,
      ours: `${fmt(ours, 1)} (${fmt(median(runs.pulp), 2)} s)`,
      peer: `${fmt(peer, 1)} (${fmt(median(runs.reference), 2)} s)`,
      ratio: `${fmt(ours / peer, 2)}x`,
      checked: ours / peer,
      target: { min: 0.8 },
    });
  }
  report({
    measurement: 'manifest GET, requests/s (token auth)',
    ours: fmt(pulpRps),
    peer: fmt(referenceRps),
    ratio: `${fmt(pulpRps / referenceRps, 2)}x`,
    checked: pulpRps,
    target: { min: 1000 },
    unit: 'req/s',
  });
  printSummary('bench/container summary');
  for (const c of children) await stopProcess(c);
  await database.close();
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
