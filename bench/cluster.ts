/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of the REST API */
// bench/cluster: content and task throughput through nginx with one, two and three application hosts
// (network namespaces, each running pulpcore-api, pulpcore-content and a worker against one PostgreSQL and one
// media folder reached by address), and the scaling factor over one host. Needs root, iproute2, nginx and wrk.
// The hosts share this machine's cores, so the factor says how well the processes share them, not what separate
// machines would add: the per-core figures are printed beside it.
// Usage: npm run bench -- cluster [seconds=10]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';

import { canUseNetns, createNetwork, type HostProcess } from '../test/helpers/netns-cluster.js';
import { createDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { buildRegistry } from '../src/plugin-api/registry.js';
import { builtinPlugins } from '../src/plugins/builtin.js';
import { benchAuth, createBenchUser, freePort, rootDir, sleep } from './lib/pulp.js';
import { fmt, printSummary, report } from './lib/targets.js';

const SECONDS = Number(process.argv[2] ?? 10);
const API_PORT = 24817;
const CONTENT_PORT = 24816;
const CLIENTS = 8;

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function wrk(url: string, connections: number, seconds: number): number {
  const out = execFileSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, url], { encoding: 'utf8' });
  if (/Non-2xx/.test(out)) console.log(`  warning: non-2xx answers from ${url}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
}

async function call(base: string, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(url.startsWith('http') ? url : `${base}${url}`, {
    method,
    headers: { authorization: benchAuth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

async function finished(base: string, href: string): Promise<any> {
  for (;;) {
    const t = await call(base, 'GET', href);
    if (t.state === 'completed') return t;
    if (t.state === 'failed' || t.state === 'canceled') throw new Error(`${href}: ${JSON.stringify(t.error)}`);
    await sleep(10);
  }
}

async function main(): Promise<void> {
  if (!canUseNetns() || !has('nginx') || !has('wrk')) {
    console.log('bench/cluster needs root (network namespaces), nginx and wrk: skipped.');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'pulp-bench-cluster-'));
  chmodSync(dir, 0o755);
  const network = createNetwork(3);
  const running: HostProcess[] = [];
  let nginx: ChildProcess | null = null;
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    listenAddresses: [network.gateway],
    allowNetworks: [network.subnet],
  });
  const url = new URL(pg.url);
  url.hostname = network.gateway;
  const { db } = createDatabase({ url: url.href, max: 4 });
  try {
    await migrate(
      db,
      buildRegistry(
        builtinPlugins,
        builtinPlugins.map((p) => p.name),
      ).migrations,
    );
    await createBenchUser(db);
    const media = path.join(dir, 'media');
    const startHost = async (i: number) => {
      const host = network.hosts[i]!;
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PULP_DATABASE_URL: url.href,
        PULP_HOME: path.join(dir, host.name),
        PULP_MEDIA_ROOT: media,
        PULP_LOG_LEVEL: 'warn',
      };
      const bin = (script: string) => path.join(rootDir, 'bin', script);
      const at = (port: number) => ['--bind', `${host.address}:${port}`, '--processes', '1'];
      running.push(
        network.run(host, process.execPath, [bin('pulpcore-api.js'), ...at(API_PORT)], env),
        network.run(host, process.execPath, [bin('pulpcore-content.js'), ...at(CONTENT_PORT)], env),
        network.run(host, process.execPath, [bin('pulpcore-worker.js')], env),
      );
      for (const port of [API_PORT, CONTENT_PORT]) {
        for (;;) {
          const ok = await fetch(
            `http://${host.address}:${port}/pulp/${port === API_PORT ? 'api/v3/status/' : 'content/'}`,
          )
            .then((r) => r.status < 500)
            .catch(() => false);
          if (ok) break;
          const dead = running.find((p) => p.child.exitCode !== null);
          if (dead) throw new Error(`a host process exited: ${dead.output()}`);
          await sleep(200);
        }
      }
    };
    const balancer = await freePort();
    const configure = async (hosts: number) => {
      const servers = (port: number) =>
        network.hosts
          .slice(0, hosts)
          .map((h) => `server ${h.address}:${port};`)
          .join(' ');
      const conf = path.join(dir, 'nginx.conf');
      writeFileSync(
        conf,
        `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off; client_body_temp_path ${dir}/nb; proxy_temp_path ${dir}/np;
  fastcgi_temp_path ${dir}/nf; uwsgi_temp_path ${dir}/nu; scgi_temp_path ${dir}/ns;
  upstream api { ${servers(API_PORT)} keepalive 32; }
  upstream content { ${servers(CONTENT_PORT)} keepalive 32; }
  server {
    listen 127.0.0.1:${balancer};
    proxy_http_version 1.1; proxy_set_header Connection "";
    location /pulp/content/ { proxy_pass http://content; }
    location / { proxy_pass http://api; proxy_set_header Host $http_host; }
  }
}
`,
      );
      if (nginx) {
        const exited = new Promise((r) => nginx!.once('exit', r));
        nginx.kill('SIGTERM');
        await exited;
      }
      nginx = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
      const base = `http://127.0.0.1:${balancer}`;
      for (;;) {
        if ((await fetch(`${base}/pulp/api/v3/status/`).catch(() => null))?.ok) return base;
        await sleep(100);
      }
    };

    await startHost(0);
    let base = await configure(1);
    // One published 4 KiB file and CLIENTS repositories for the modify tasks.
    const repo = await call(base, 'POST', '/pulp/api/v3/repositories/file/file/', { name: 'served' });
    const form = new FormData();
    form.append('file', new Blob([randomBytes(4096)]), 'small.bin');
    form.append('relative_path', 'small.bin');
    form.append('repository', repo.pulp_href);
    const upload = await fetch(`${base}/pulp/api/v3/content/file/files/`, {
      method: 'POST',
      headers: { authorization: benchAuth },
      body: form,
    });
    await finished(base, (await upload.json()).task);
    const pub = await finished(
      base,
      (await call(base, 'POST', '/pulp/api/v3/publications/file/file/', { repository: repo.pulp_href })).task,
    );
    await finished(
      base,
      (
        await call(base, 'POST', '/pulp/api/v3/distributions/file/file/', {
          name: 'served',
          base_path: 'served',
          publication: pub.created_resources[0],
        })
      ).task,
    );
    const repos = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        call(base, 'POST', '/pulp/api/v3/repositories/file/file/', { name: `modify-${i}` }),
      ),
    );

    const cores = cpus().length;
    console.log(
      `\nbench/cluster: 1 API process, 1 content process and 1 worker per host; the hosts share this machine's ${cores} cores; nginx in front; wrk -t2 -c64 and ${CLIENTS} task clients for ${SECONDS} s each\n`,
    );
    const results: { hosts: number; rps: number; tasks: number }[] = [];
    for (let hosts = 1; hosts <= 3; hosts++) {
      if (hosts > 1) {
        await startHost(hosts - 1);
        base = await configure(hosts);
      }
      const file = `${base}/pulp/content/served/small.bin`;
      wrk(file, 64, 2);
      const rps = wrk(file, 64, SECONDS);
      // Empty modify tasks, one client per repository, each waiting for its task before the next.
      const until = Date.now() + SECONDS * 1000;
      const started = Date.now();
      const counts = await Promise.all(
        repos.map(async (r) => {
          let n = 0;
          while (Date.now() < until) {
            const t = await call(base, 'POST', `${r.pulp_href}modify/`, {});
            await finished(base, t.task);
            n++;
          }
          return n;
        }),
      );
      const tasks = counts.reduce((a, b) => a + b, 0) / ((Date.now() - started) / 1000);
      results.push({ hosts, rps, tasks });
      const one = results[0]!;
      report({
        measurement: `content 4 KiB, ${hosts} host(s)`,
        ours: `${fmt(rps)} req/s (${fmt(rps / cores)} per core)`,
        peer: hosts > 1 ? `1 host ${fmt(one.rps)} req/s` : undefined,
        ratio: hosts > 1 ? `${fmt(rps / one.rps, 2)}x` : undefined,
      });
      report({
        measurement: `modify tasks through the API, ${hosts} host(s)`,
        ours: `${fmt(tasks, 1)} tasks/s (${fmt(tasks / cores, 1)} per core)`,
        peer: hosts > 1 ? `1 host ${fmt(one.tasks, 1)} tasks/s` : undefined,
        ratio: hosts > 1 ? `${fmt(tasks / one.tasks, 2)}x` : undefined,
      });
    }
    printSummary(`bench/cluster (${cores} shared cores: a factor near 1 means the hosts share the cores well)`);
  } finally {
    (nginx as ChildProcess | null)?.kill('SIGKILL');
    network.destroy();
    await db.destroy();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
