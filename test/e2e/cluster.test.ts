// Three application hosts (network namespaces, each with its own address and hostname) run pulpcore-api,
// pulpcore-content and two workers against one PostgreSQL and one S3-compatible server (s3rver), both reached by
// address; nginx balances the API and the content app. Syncs dispatched through one host run on workers of any
// host and their files are served byte-exact by every host. One host is then cut off (its link down) and killed
// (-9 of everything in it) in the middle of its tasks: they fail as missing within WORKER_TTL plus a check, their
// locks are freed, the other hosts run new tasks, the balancer keeps answering, and the bucket holds exactly the
// artifacts the database names.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../src/core/passwords.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { buildRegistry } from '../../src/plugin-api/registry.js';
import type { Dispatcher } from '../../src/plugin-api/tasks.js';
import { builtinPlugins } from '../../src/plugins/builtin.js';
import { createStorage } from '../../src/storage/create-storage.js';
import { createDispatcher } from '../../src/tasking/dispatch.js';
import { createTestSettings, silentLogger } from '../helpers/api.js';
import { waitFor } from '../helpers/db.js';
import { freePort } from '../helpers/global-setup.js';
import { canUseNetns, createNetwork, type HostProcess, type Network } from '../helpers/netns-cluster.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { tasks } from '../helpers/tasking-tasks.js';
import { TEST_TASKS_MODULE } from '../helpers/workers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TTL = 8;
const API_PORT = 24817;
const CONTENT_PORT = 24816;
const usable = canUseNetns() && hasNginx();

function hasNginx(): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
let network: Network;
let pg: EmbeddedDatabase;
let db: Database;
let dispatcher: Dispatcher;
let nginx: ChildProcess;
let balancer: number;
let s3: S3TestServer;
let fileServer: Server;
let upstreamUrl: string;
const processes: HostProcess[] = [];
const WORKERS_PER_HOST = 2;
/** What the upstream serves: three repositories of files, each with its own PULP_MANIFEST. */
const repos = [0, 1, 2].map((r) => ({
  name: `up${r}`,
  files: Array.from({ length: 12 }, (_, i) => {
    const data = randomBytes(20_000 + i * 5000 + r * 777);
    return { path: `d${i % 3}/f${i}.bin`, data, sha256: createHash('sha256').update(data).digest('hex') };
  }),
}));
const auth = 'Basic ' + Buffer.from('admin:x').toString('base64');

async function get(p: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${balancer}${p}`, { headers, signal: AbortSignal.timeout(10_000) });
}

async function taskRow(id: string) {
  return db
    .selectFrom('task')
    .select(['state', 'worker_id', 'error'])
    .where('pulp_id', '=', id)
    .executeTakeFirstOrThrow();
}

async function workerHost(workerId: string | null): Promise<string | null> {
  if (!workerId) return null;
  const row = await db.selectFrom('app_status').select('name').where('pulp_id', '=', workerId).executeTakeFirst();
  return row?.name.split('@')[1] ?? null;
}

beforeAll(async () => {
  if (!usable) return;
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-cluster-'));
  network = createNetwork(3);
  pg = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    listenAddresses: [network.gateway],
    allowNetworks: [network.subnet],
  });
  const url = new URL(pg.url);
  url.hostname = network.gateway;
  ({ db } = createDatabase({ url: url.href, max: 5 }));
  await migrate(
    db,
    buildRegistry(
      builtinPlugins,
      builtinPlugins.map((p) => p.name),
    ).migrations,
  );
  await db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword('x', 1000), is_superuser: true })
    .execute();
  const settings = await createTestSettings({ WORKER_TTL: TTL });
  dispatcher = createDispatcher({
    db,
    settings,
    logger: silentLogger,
    tasks: new Map(Object.entries(tasks)),
    storage: await createStorage(settings),
  });
  s3 = await startS3Server({ address: network.gateway });
  fileServer = createServer((req, res) => {
    const [, name, ...rest] = decodeURIComponent(req.url ?? '/').split('/');
    const repo = repos.find((r) => r.name === name);
    const rel = rest.join('/');
    if (repo && rel === 'PULP_MANIFEST') {
      return res.end(repo.files.map((f) => `${f.path},${f.sha256},${f.data.length}\n`).join(''));
    }
    const file = repo?.files.find((f) => f.path === rel);
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': file.data.length }).end(file.data);
  });
  await new Promise<void>((r) => fileServer.listen(0, network.gateway, r));
  upstreamUrl = `http://${network.gateway}:${(fileServer.address() as AddressInfo).port}/`;
  for (const host of network.hosts) {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PULP_DATABASE_URL: url.href,
      PULP_HOME: path.join(dir, host.name),
      // The hosts share nothing but PostgreSQL and the bucket (each has its own media folder for temporary files).
      PULP_STORAGES: JSON.stringify(s3.storages()),
      PULP_REDIRECT_TO_OBJECT_STORAGE: 'false',
      PULP_WORKER_TTL: String(TTL),
      PULP_LOG_LEVEL: 'warn',
      PULP_TS_EXTRA_TASK_MODULES: TEST_TASKS_MODULE,
    };
    const bin = (script: string) => path.join(root, 'bin', script);
    const at = (port: number) => ['--bind', `${host.address}:${port}`, '--processes', '1'];
    processes.push(
      network.run(host, process.execPath, [bin('pulpcore-api.js'), ...at(API_PORT)], env),
      network.run(host, process.execPath, [bin('pulpcore-content.js'), ...at(CONTENT_PORT)], env),
      ...Array.from({ length: WORKERS_PER_HOST }, () =>
        network.run(host, process.execPath, [bin('pulpcore-worker.js')], env),
      ),
    );
  }
  balancer = await freePort();
  const upstream = (name: string, port: number) =>
    `upstream ${name} { ${network.hosts.map((h) => `server ${h.address}:${port} max_fails=1 fail_timeout=5s;`).join(' ')} }`;
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off; client_body_temp_path ${dir}/nginx-body; proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fcgi; uwsgi_temp_path ${dir}/nginx-uwsgi; scgi_temp_path ${dir}/nginx-scgi;
  ${upstream('api', API_PORT)}
  ${upstream('content', CONTENT_PORT)}
  server {
    listen 127.0.0.1:${balancer};
    proxy_connect_timeout 1s; proxy_read_timeout 10s;
    proxy_next_upstream error timeout http_502 http_503;
    location /pulp/content/ { proxy_pass http://content; }
    location / { proxy_pass http://api; proxy_set_header Host $http_host; }
  }
}
`,
  );
  nginx = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  await waitFor(
    async () => {
      const dead = processes.find((p) => p.child.exitCode !== null);
      if (dead) throw new Error(`a host process exited: ${dead.output()}`);
      const r = await get('/pulp/api/v3/status/').catch(() => null);
      if (!r?.ok) return false;
      const s = (await r.json()) as Record<string, { name: string }[]>;
      const hostsOf = (k: string) => new Set((s[k] ?? []).map((a) => a.name.split('@')[1]));
      return (
        ['online_workers', 'online_api_apps', 'online_content_apps'].every((k) => hostsOf(k).size === 3) &&
        (s.online_workers ?? []).length === 3 * WORKERS_PER_HOST
      );
    },
    { timeoutMs: 120_000, intervalMs: 500, what: 'every host to be online in /status/' },
  );
}, 150_000);

afterAll(async () => {
  if (!usable) return;
  nginx?.kill('SIGKILL');
  network?.destroy();
  fileServer?.closeAllConnections();
  await new Promise((r) => fileServer?.close(r));
  await s3?.close();
  await db?.destroy();
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!usable)('a cluster of three hosts', () => {
  it('runs tasks on every host and answers through the balancer from every host', async () => {
    const refs = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        dispatcher.dispatch('test.record', { ms: 300 }, { exclusiveResources: [`prn:test.resource:spread${i}`] }),
      ),
    );
    const hosts = new Set<string>();
    for (const ref of refs) {
      const row = await waitFor(
        async () => {
          const r = await taskRow(ref.pulp_id);
          return r.state === 'completed' ? r : null;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `task ${ref.pulp_id}` },
      );
      hosts.add(String(await workerHost(row.worker_id)));
    }
    expect(hosts.size).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 6; i++) {
      expect((await get('/pulp/api/v3/status/')).status).toBe(200);
      expect((await get('/pulp/content/')).status).toBeLessThan(500);
    }
  });

  it('syncs through one host on workers of any host into the bucket, and every host serves the files byte-exact', async () => {
    const hostA = network.hosts[0]!;
    const api = async (method: string, url: string, body?: unknown) => {
      const r = await fetch(url.startsWith('http') ? url : `http://${hostA.address}:${API_PORT}${url}`, {
        method,
        headers: { Authorization: auth, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(20_000),
      });
      return { status: r.status, body: await r.json() };
    };
    const finished = async (taskHref: string) =>
      waitFor(
        async () => {
          const t = (await api('GET', taskHref)).body;
          if (t.state === 'failed') throw new Error(`task failed: ${JSON.stringify(t.error)}`);
          return t.state === 'completed' ? t : null;
        },
        { timeoutMs: 120_000, intervalMs: 250, what: `task ${taskHref}` },
      );
    const syncs = await Promise.all(
      repos.map(async (r) => {
        const remote = (
          await api('POST', '/pulp/api/v3/remotes/file/file/', {
            name: r.name,
            url: `${upstreamUrl}${r.name}/PULP_MANIFEST`,
          })
        ).body;
        const repo = (
          await api('POST', '/pulp/api/v3/repositories/file/file/', {
            name: r.name,
            remote: remote.pulp_href,
            autopublish: true,
          })
        ).body;
        const sync = await api('POST', `${repo.pulp_href}sync/`, {});
        expect(sync.status).toBe(202);
        return { r, repo, task: await finished(sync.body.task) };
      }),
    );
    const names = await Promise.all(
      syncs.map(async (x) =>
        String(await workerHost((await taskRow(String(x.task.pulp_href).split('/').at(-2)!)).worker_id)),
      ),
    );
    expect(names.every((n) => network.hosts.some((h) => h.name === n))).toBe(true);
    for (const { r, repo } of syncs) {
      const pub = await finished(
        (await api('POST', '/pulp/api/v3/publications/file/file/', { repository: repo.pulp_href })).body.task,
      );
      const dist = await api('POST', '/pulp/api/v3/distributions/file/file/', {
        name: r.name,
        base_path: `cluster/${r.name}`,
        publication: pub.created_resources[0],
      });
      await finished(dist.body.task);
      for (const host of network.hosts) {
        for (const f of r.files) {
          const got = await fetch(`http://${host.address}:${CONTENT_PORT}/pulp/content/cluster/${r.name}/${f.path}`);
          expect(got.status).toBe(200);
          expect(
            createHash('sha256')
              .update(Buffer.from(await got.arrayBuffer()))
              .digest('hex'),
          ).toBe(f.sha256);
        }
      }
    }
    // The artifacts live in the bucket, none on a host's disk.
    const keys = await s3.keys('artifact/');
    for (const f of repos.flatMap((r) => r.files))
      expect(keys).toContain(`artifact/${f.sha256.slice(0, 2)}/${f.sha256.slice(2)}`);
  });

  it('survives kill -9 of one host mid-task: its tasks fail as missing, locks are freed, the rest keeps serving', async () => {
    const victim = network.hosts[2]!;
    // One long task per worker, each on a resource of its own, so the victim's workers surely hold some.
    const long = await Promise.all(
      Array.from({ length: 3 * WORKERS_PER_HOST }, (_, i) => i).map((i) =>
        dispatcher.dispatch('test.sleep', { ms: 120_000 }, { exclusiveResources: [`prn:test.resource:long${i}`] }),
      ),
    );
    const running = await waitFor(
      async () => {
        const rows = await Promise.all(long.map(async (t) => ({ id: t.pulp_id, ...(await taskRow(t.pulp_id)) })));
        return rows.every((r) => r.state === 'running') ? rows : null;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'a long task running on each worker' },
    );
    const onVictim: typeof running = [];
    for (const r of running) if ((await workerHost(r.worker_id)) === victim.name) onVictim.push(r);
    expect(onVictim).toHaveLength(WORKERS_PER_HOST);
    const dead = onVictim[0]!;
    const lockedResource = `prn:test.resource:long${running.indexOf(dead)}`;
    // First the host's link goes down (its processes run on but reach nothing), then the host dies.
    const killedAt = Date.now();
    network.cut(victim);
    for (let i = 0; i < 6; i++) {
      expect((await get('/pulp/api/v3/status/')).status).toBe(200);
      expect((await get('/pulp/content/')).status).toBeLessThan(500);
    }
    expect(network.kill(victim).length).toBeGreaterThanOrEqual(2 + WORKERS_PER_HOST);

    // The balancer keeps answering (a dead upstream is skipped).
    for (let i = 0; i < 6; i++) {
      expect((await get('/pulp/api/v3/status/')).status).toBe(200);
      expect((await get('/pulp/content/')).status).toBeLessThan(500);
    }

    const failed = await waitFor(
      async () => {
        const rows = await Promise.all(onVictim.map((v) => taskRow(v.id)));
        return rows.every((r) => r.state === 'failed') ? rows[0]! : null;
      },
      { timeoutMs: (TTL + TTL / 3) * 1000 + 20_000, intervalMs: 200, what: 'the dead host task to fail' },
    );
    expect(Date.now() - killedAt).toBeLessThan((TTL + TTL / 3) * 1000 + 20_000);
    expect(JSON.stringify(failed.error)).toMatch(/missing/);
    const missing = await get('/pulp/api/v3/workers/?missing=true', { Authorization: auth });
    const names = ((await missing.json()) as { results: { name: string }[] }).results.map((w) => w.name);
    expect(names.some((n) => n.endsWith(`@${victim.name}`))).toBe(true);

    // The survivors' own tasks are untouched; they are canceled to free their workers.
    for (const r of running.filter((x) => !onVictim.includes(x))) {
      expect((await taskRow(r.id)).state).toBe('running');
      const c = await fetch(`http://127.0.0.1:${balancer}/pulp/api/v3/tasks/${r.id}/`, {
        method: 'PATCH',
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ state: 'canceled' }),
      });
      expect(c.status).toBe(200);
    }
    // The dead task's lock is free: a task on its resource runs, on a survivor; then nothing holds a lock.
    const next = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [lockedResource] });
    const done = await waitFor(
      async () => {
        const r = await taskRow(next.pulp_id);
        return r.state === 'completed' ? r : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'a task on the freed resource' },
    );
    expect(await workerHost(done.worker_id)).not.toBe(victim.name);

    await waitFor(
      async () => {
        const open = await db
          .selectFrom('task')
          .select('pulp_id')
          .where('state', 'in', ['waiting', 'running', 'canceling'])
          .execute();
        return open.length === 0;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'no task left holding a resource' },
    );
    // Nothing half-written: the bucket's artifacts are exactly those the database names.
    const rows = await db.selectFrom('artifact').select('file').execute();
    expect(await s3.keys('artifact/')).toEqual(rows.map((r) => r.file).sort());
  });
});
