/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of the REST API */
// bench/memory: resident memory of each process type of `npm start` (1 API process, 2 content processes, 2 workers)
// idle, and under load (API: 8 clients listing; content: wrk on a published file; worker: an immediate sync of
// 10,000 files), beside the same processes run from the TypeScript sources through tsx (PULP_TS_SOURCE=1, idle).
// Usage: npm run bench -- memory [files=10000] [load-seconds=10]
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { freePort, rootDir, sleep } from './lib/pulp.js';
import { fmt, printSummary, report } from './lib/targets.js';

const FILES = Number(process.argv[2] ?? 10_000);
const SECONDS = Number(process.argv[3] ?? 10);
const root = mkdtempSync(path.join(tmpdir(), 'pulp-bench-memory-'));
chmodSync(root, 0o755);
const www = path.join(root, 'www');
const ADMIN_PASSWORD = 'bench-admin-password';
const auth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

/** The issue's figures before this work (a fresh `npm start`, idle), and the targets. */
const KINDS = {
  supervisor: { before: '107-144', max: 60 },
  api: { before: '164-166', max: 100 },
  'content (each)': { before: '141-143', max: 100 },
  'worker (each)': { before: '219-229', max: 100 },
} as const;
type Kind = keyof typeof KINDS | 'content primary';

interface Proc {
  pid: number;
  kind: Kind;
}

const kb = (pid: number, key: string): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
};
const rss = (pid: number) => kb(pid, 'VmRSS');
const hwm = (pid: number) => kb(pid, 'VmHWM');

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

/** The node processes below `top` (npm -> sh -> supervisor -> children), by type. */
function processTree(top: number): Proc[] {
  const out: Proc[] = [];
  const visit = (pid: number) => {
    for (const c of childrenOf(pid)) {
      let cmd = '';
      try {
        cmd = cmdline(c);
      } catch {
        continue;
      }
      // npm runs the start script through a shell whose command line names the script too.
      if (!/(^|\/)node /.test(cmd)) {
        visit(c);
        continue;
      }
      if (/pulp-ts\.js run/.test(cmd)) out.push({ pid: c, kind: 'supervisor' });
      else if (/pulpcore-api\.js/.test(cmd)) out.push({ pid: c, kind: 'api' });
      else if (/pulpcore-content\.js/.test(cmd))
        out.push({ pid: c, kind: childrenOf(c).length > 0 ? 'content primary' : 'content (each)' });
      else if (/pulpcore-worker\.js/.test(cmd)) out.push({ pid: c, kind: 'worker (each)' });
      if (!/postgres/.test(cmd)) visit(c);
    }
  };
  visit(top);
  return out;
}

interface Running {
  npm: ChildProcess;
  api: string;
  content: string;
  output: () => string;
  stop(): Promise<void>;
}

/** `npm start` with its own PULP_HOME and ports, until it prints that it is ready. */
async function npmStart(name: string, env: Record<string, string>): Promise<Running> {
  const home = path.join(root, name);
  mkdirSync(home, { recursive: true });
  const [apiPort, contentPort, dbPort] = [await freePort(), await freePort(), await freePort()];
  let out = '';
  const npm = spawn(
    'npm',
    ['start', '--', '--bind', `127.0.0.1:${apiPort}`, '--content-bind', `127.0.0.1:${contentPort}`],
    {
      cwd: rootDir,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PULP_HOME: home,
        PULP_EMBEDDED_DB_PORT: String(dbPort),
        PULP_ADMIN_PASSWORD: ADMIN_PASSWORD,
        PULP_API_PROCESSES: '1',
        PULP_CONTENT_PROCESSES: '2',
        PULP_WORKERS: '2',
        PULP_LOG_LEVEL: 'warn',
        PULP_CONTENT_ORIGIN: `http://127.0.0.1:${contentPort}`,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  npm.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 180_000;
  while (!out.includes('pulp-ts is ready')) {
    if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not get ready:\n${out}`);
    await sleep(200);
  }
  return {
    npm,
    api: `http://127.0.0.1:${apiPort}/pulp/api/v3/`,
    content: `http://127.0.0.1:${contentPort}/pulp/content/`,
    output: () => out,
    async stop() {
      const exited = new Promise((r) => npm.once('exit', r));
      process.kill(-npm.pid!, 'SIGINT');
      await exited;
      // npm may leave before the supervisor finished stopping PostgreSQL.
      await sleep(3000);
    },
  };
}

/** Idle RSS per type: the largest process of each type after `settleMs`. */
async function idle(run: Running, settleMs: number): Promise<Map<Kind, number>> {
  await sleep(settleMs);
  const out = new Map<Kind, number>();
  for (const p of processTree(run.npm.pid!)) out.set(p.kind, Math.max(out.get(p.kind) ?? 0, rss(p.pid)));
  return out;
}

async function call(method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitTask(api: string, href: string): Promise<any> {
  const origin = new URL(api).origin;
  for (;;) {
    const t = await call('GET', `${origin}${href}`);
    if (['completed', 'failed', 'canceled'].includes(t.state)) {
      if (t.state !== 'completed') throw new Error(`task ${t.state}: ${JSON.stringify(t.error)}`);
      return t;
    }
    await sleep(100);
  }
}

/** 10,000 files of 1-64 KiB and their PULP_MANIFEST, served by nginx. */
function generate(): number {
  const dir = path.join(www, 'repo');
  const pool = randomBytes(64 * 1024);
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const size = Math.round(1024 * 64 ** Math.random());
    const buf = Buffer.concat([randomBytes(16), pool.subarray(0, size - 16)]);
    const rel = `d${i % 100}/f-${i}.bin`;
    mkdirSync(path.join(dir, `d${i % 100}`), { recursive: true });
    writeFileSync(path.join(dir, rel), buf);
    lines.push(`${rel},${createHash('sha256').update(buf).digest('hex')},${size}`);
    bytes += size;
  }
  writeFileSync(path.join(dir, 'PULP_MANIFEST'), `${lines.join('\n')}\n`);
  return bytes;
}

async function startNginx(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const conf = path.join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1; pid ${root}/nginx.pid; error_log ${root}/nginx-error.log; daemon on;
events { worker_connections 1024; }
http { access_log off; sendfile on; keepalive_requests 100000; client_body_temp_path ${root}/nb; proxy_temp_path ${root}/np;
  fastcgi_temp_path ${root}/nf; uwsgi_temp_path ${root}/nu; scgi_temp_path ${root}/ns;
  server { listen 127.0.0.1:${port}; root ${www}; } }`,
  );
  execFileSync('nginx', ['-c', conf, '-p', root]);
  return { url: `http://127.0.0.1:${port}/`, stop: () => spawnSync('nginx', ['-c', conf, '-p', root, '-s', 'stop']) };
}

/** Samples the RSS of `pids` every 200 ms while `work` runs; returns the largest per pid. */
async function peakDuring(pids: number[], work: Promise<unknown>): Promise<Map<number, number>> {
  const peak = new Map<number, number>();
  let done = false;
  const finished = work.finally(() => (done = true));
  while (!done) {
    for (const p of pids) peak.set(p, Math.max(peak.get(p) ?? 0, rss(p)));
    await Promise.race([sleep(200), finished]);
  }
  await finished;
  return peak;
}

async function apiLoad(api: string, clients: number, seconds: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const urls = ['repositories/file/file/?limit=100', 'tasks/?limit=50', 'status/', 'content/file/files/?limit=100'];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; Date.now() < end; i++) {
        await call('GET', `${api}${urls[i % urls.length]}`);
        n++;
      }
    }),
  );
  return n / seconds;
}

function wrk(url: string, connections: number, seconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, url], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

async function main(): Promise<void> {
  console.log(`bench/memory: npm start (1 API, 2 content, 2 workers); sync of ${FILES} files; workdir ${root}`);

  // Peer first: the same processes from the sources through tsx (as `npm start` ran before the compiled build).
  const tsx = await npmStart('tsx', { PULP_TS_SOURCE: '1' });
  const tsxIdle = await idle(tsx, 10_000);
  await tsx.stop();

  const run = await npmStart('compiled', {});
  const ours = await idle(run, 10_000);
  for (const [kind, limits] of Object.entries(KINDS) as [keyof typeof KINDS, { before: string; max: number }][]) {
    const mb = ours.get(kind) ?? NaN;
    report({
      measurement: `${kind} RSS idle (MB)`,
      ours: fmt(mb),
      peer: `tsx ${fmt(tsxIdle.get(kind) ?? NaN)}; issue before ${limits.before}`,
      ratio: fmt(mb / (tsxIdle.get(kind) ?? NaN), 2),
      checked: mb,
      target: { max: limits.max },
      unit: 'MB',
    });
  }
  report({
    measurement: 'content cluster primary RSS idle (MB)',
    ours: fmt(ours.get('content primary') ?? NaN),
    peer: `tsx ${fmt(tsxIdle.get('content primary') ?? NaN)}`,
  });

  const bytes = generate();
  let nginx: Awaited<ReturnType<typeof startNginx>> | null = null;
  try {
    nginx = await startNginx();
    const procs = processTree(run.npm.pid!);
    const pidsOf = (k: Kind) => procs.filter((p) => p.kind === k).map((p) => p.pid);

    const apiPid = pidsOf('api')[0]!;
    let rps = 0;
    const apiPeak = await peakDuring(
      [apiPid],
      apiLoad(run.api, 8, SECONDS).then((r) => (rps = r)),
    );
    report({
      measurement: `api RSS under load, 8 clients listing (${fmt(rps)} requests/s) (MB)`,
      ours: fmt(apiPeak.get(apiPid) ?? NaN),
      peer: `idle ${fmt(ours.get('api') ?? NaN)}`,
      checked: apiPeak.get(apiPid) ?? NaN,
      target: { max: 100 },
      unit: 'MB',
    });

    const repo = (await call('POST', `${run.api}repositories/file/file/`, { name: 'mem' })).pulp_href as string;
    const remote = (
      await call('POST', `${run.api}remotes/file/file/`, {
        name: 'mem',
        url: `${nginx.url}repo/PULP_MANIFEST`,
        policy: 'immediate',
      })
    ).pulp_href as string;
    const origin = new URL(run.api).origin;
    const workers = pidsOf('worker (each)');
    const sync = (async () => {
      const { task } = await call('POST', `${origin}${repo}sync/`, { remote });
      return waitTask(run.api, task as string);
    })();
    const t0 = Date.now();
    const workerPeak = await peakDuring(workers, sync);
    await sync;
    const syncS = (Date.now() - t0) / 1000;
    const peak = Math.max(...workers.map((p) => Math.max(workerPeak.get(p) ?? 0, hwm(p))));
    report({
      measurement: `worker RSS syncing ${fmt(FILES)} files (${fmt(bytes / 2 ** 20)} MiB, ${fmt(syncS, 1)} s) (MB)`,
      ours: fmt(peak),
      peer: `issue before 248 (282 high-water)`,
      checked: peak,
      target: { max: 200 },
      unit: 'MB',
    });
    await sleep(5000);
    const afterSync = Math.max(...workers.map(rss));
    report({ measurement: 'worker RSS 5 s after the sync (MB)', ours: fmt(afterSync) });

    const pub = await call('POST', `${run.api}publications/file/file/`, { repository: repo });
    const pubHref = (await waitTask(run.api, pub.task as string)).created_resources[0] as string;
    const dist = await call('POST', `${run.api}distributions/file/file/`, {
      name: 'mem',
      base_path: 'mem',
      publication: pubHref,
    });
    await waitTask(run.api, dist.task as string);
    const content = pidsOf('content (each)');
    const file = readFileSync(path.join(www, 'repo', 'PULP_MANIFEST'), 'utf8')
      .split('\n')[0]!
      .split(',')[0]!;
    const contentPeak = await peakDuring(content, wrk(`${run.content}mem/${file}`, 32, SECONDS));
    const cPeak = Math.max(...content.map((p) => contentPeak.get(p) ?? 0));
    report({
      measurement: 'content RSS under load, wrk 32 connections on a published file (MB)',
      ours: fmt(cPeak),
      peer: `idle ${fmt(ours.get('content (each)') ?? NaN)}`,
      checked: cPeak,
      target: { max: 100 },
      unit: 'MB',
    });
    const sup = pidsOf('supervisor')[0]!;
    report({
      measurement: 'supervisor RSS after all of the above (MB)',
      ours: fmt(rss(sup)),
      checked: rss(sup),
      target: { max: 60 },
      unit: 'MB',
    });
  } finally {
    nginx?.stop();
    await run.stop();
    rmSync(root, { recursive: true, force: true });
  }
  printSummary(`bench/memory, npm start with 1 API, 2 content and 2 worker processes, sync of ${FILES} files`);
}

await main();
