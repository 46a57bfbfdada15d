/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';

import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { syncTuning } from '../../../src/plugins/file/sync-task.js';
import { silentLogger } from '../../helpers/api.js';
import { FixtureServer, fixtureMap, generateRepository, manifestFor } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
let t: ApiWithTasks;
let content: ContentApp;
let upstream: FixtureServer;
let mirror: FixtureServer;
let mirror2: FixtureServer;
// Known to the ACS: a.txt and dir/b.bin; stale.txt is listed by the ACS but its mirror answers 404 for it.
const shared = generateRepository(['a.txt', 'dir/b.bin', 'stale.txt'], 4096);
const only = generateRepository(['only.txt'], 4096);
const fresh = generateRepository(['x.txt', 'y.txt'], 4096);

async function call(method: 'GET' | 'POST', url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

async function finish(reply: { status: number; body: any }): Promise<any> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(202);
  await t.runTasks();
  return t.task(reply.body.task);
}

async function refreshedAcs(name: string, server: FixtureServer): Promise<void> {
  const remote = await call('POST', `${API}remotes/file/file/`, { name, url: server.baseUrl, policy: 'on_demand' });
  const acs = await call('POST', `${API}acs/file/file/`, { name, remote: remote.body.pulp_href, paths: ['mirror/'] });
  expect(acs.status, JSON.stringify(acs.body)).toBe(201);
  const refresh = await call('POST', `${acs.body.pulp_href}refresh/`);
  expect(refresh.status).toBe(202);
  await t.runTasks();
  expect((await call('GET', refresh.body.task_group)).body).toMatchObject({ completed: 1, failed: 0 });
}

/** Syncs a new repository from `url` (immediate) and serves its publication at `base_path`. */
async function syncAndDistribute(name: string, url: string): Promise<any> {
  const remote = (await call('POST', `${API}remotes/file/file/`, { name, url })).body;
  const repo = (await call('POST', `${API}repositories/file/file/`, { name, remote: remote.pulp_href })).body;
  const sync = await finish(await call('POST', `${repo.pulp_href}sync/`, {}));
  expect(sync.state, JSON.stringify(sync.error)).toBe('completed');
  const pub = await finish(await call('POST', `${API}publications/file/file/`, { repository: repo.pulp_href }));
  expect(pub.state).toBe('completed');
  const dist = await finish(
    await call('POST', `${API}distributions/file/file/`, {
      name,
      base_path: name,
      publication: pub.created_resources[0],
    }),
  );
  expect(dist.state).toBe('completed');
  return sync;
}

async function served(basePath: string, relativePath: string): Promise<Buffer> {
  const res = await request(`http://127.0.0.1:${content.port}/pulp/content/${basePath}/${relativePath}`);
  expect(res.statusCode).toBe(200);
  return Buffer.from(await res.body.arrayBuffer());
}

beforeAll(async () => {
  syncTuning.retryBaseMs = 5;
  t = await createApiWithTasks();
  const all = [...shared.files, ...only.files];
  const upstreamFiles = fixtureMap(all, manifestFor(all));
  for (const [k, v] of fixtureMap(fresh.files, fresh.manifest, 'two/')) upstreamFiles.set(k, v);
  // The slow upstream: every answer waits.
  upstream = await new FixtureServer({ files: upstreamFiles, delayMs: 30 }).start();
  mirror = await new FixtureServer({
    files: fixtureMap(shared.files, shared.manifest, 'mirror/'),
    fault: (p) => (p === 'mirror/stale.txt' ? 'status-404' : null),
  }).start();
  mirror2 = await new FixtureServer({ files: fixtureMap(fresh.files, fresh.manifest, 'mirror/') }).start();
  content = await startContentApp({
    settings: t.api.settings,
    db: t.api.database.db,
    databaseUrl: t.api.database.url,
    logger: silentLogger,
    storage: t.api.services.storage,
    host: '127.0.0.1',
    port: 0,
    heartbeat: false,
    plugins: t.api.registry,
  });
});
afterAll(async () => {
  await content?.close();
  for (const s of [upstream, mirror, mirror2]) await s?.stop();
  await t?.api.close();
});

describe('file sync with an alternate content source', () => {
  it('downloads the files the ACS knows from the ACS mirror, the rest from the remote, byte-exact', async () => {
    await refreshedAcs('acs-mirror', mirror);
    // The refresh read the listing only.
    expect(mirror.count('mirror/PULP_MANIFEST')).toBe(1);
    expect(mirror.count('mirror/a.txt')).toBe(0);

    await syncAndDistribute('via-acs', upstream.url('PULP_MANIFEST'));
    expect(upstream.count('PULP_MANIFEST')).toBe(1);
    for (const p of ['a.txt', 'dir/b.bin']) {
      expect(mirror.count(`mirror/${p}`), p).toBe(1);
      expect(upstream.count(p), p).toBe(0);
    }
    // The mirror failed for stale.txt: it came from the remote after all.
    expect(mirror.count('mirror/stale.txt')).toBeGreaterThanOrEqual(1);
    expect(upstream.count('stale.txt')).toBe(1);
    // Unknown to the ACS: straight from the remote, the mirror never asked.
    expect(upstream.count('only.txt')).toBe(1);
    expect(mirror.count('mirror/only.txt')).toBe(0);

    for (const f of [...shared.files, ...only.files])
      expect((await served('via-acs', f.relativePath)).equals(f.content), f.relativePath).toBe(true);
  });

  it('falls back to the remote when the ACS server is down', async () => {
    await refreshedAcs('acs-mirror-2', mirror2);
    await mirror2.stop();
    const sync = await syncAndDistribute('acs-down', upstream.url('two/PULP_MANIFEST'));
    expect(sync.created_resources[0]).toMatch(/\/versions\/1\/$/);
    for (const f of fresh.files) {
      expect(upstream.count(`two/${f.relativePath}`), f.relativePath).toBe(1);
      expect(mirror2.count(`mirror/${f.relativePath}`)).toBe(0);
      expect((await served('acs-down', f.relativePath)).equals(f.content), f.relativePath).toBe(true);
    }
  });
});
