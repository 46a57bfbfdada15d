/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pdrn } from '../../../src/core/ids.js';
import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { syncTuning } from '../../../src/plugins/file/sync-task.js';
import { silentLogger } from '../../helpers/api.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

/*
 * Two pulp-ts systems on loopback, each with its own database, API (listening), content app and in-process
 * worker: files uploaded and published on the upstream are replicated to the downstream and fetched from the
 * downstream's content app; later replications follow upstream changes under each removal policy.
 */

const API = '/pulp/api/v3/';

interface System {
  t: ApiWithTasks;
  content: ContentApp;
  apiUrl: string;
  contentUrl: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Runs the queue; returns the task (or task group) the reply named. */
  finish(reply: { status: number; body: any }): Promise<any>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function startSystem(): Promise<System> {
  const contentPort = await freePort();
  const t = await createApiWithTasks({ CONTENT_ORIGIN: `http://127.0.0.1:${contentPort}` });
  await t.api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.api.app.server.address();
  const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const content = await startContentApp({
    settings: t.api.settings,
    db: t.api.database.db,
    databaseUrl: t.api.database.url,
    logger: silentLogger,
    storage: t.api.services.storage,
    host: '127.0.0.1',
    port: contentPort,
    plugins: t.api.registry,
  });
  const auth = t.api.adminAuth;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: auth,
        ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    t,
    content,
    apiUrl,
    contentUrl: `http://127.0.0.1:${contentPort}`,
    call,
    async finish(reply) {
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
      await t.runTasks();
      const href = reply.body.task ?? reply.body.task_group;
      return (await call('GET', href)).body;
    },
    async close() {
      await content.close();
      await t.api.close();
    },
  };
}

let up: System;
let down: System;

/** Uploads bytes as a file into the repository (a new version), on the upstream. */
async function upload(repo: string, relativePath: string, bytes: Buffer): Promise<void> {
  const form = new FormData();
  form.set('relative_path', relativePath);
  form.set('repository', repo);
  form.set('file', new Blob([new Uint8Array(bytes)]), relativePath.split('/').pop());
  const task = await up.finish(await up.call('POST', `${API}content/file/files/`, form));
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
}

async function publish(repo: string): Promise<string> {
  const task = await up.finish(await up.call('POST', `${API}publications/file/file/`, { repository: repo }));
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task.created_resources[0] as string;
}

async function fetchContent(system: System, path: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${system.contentUrl}/pulp/content/${path}`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Replicates and returns the task group with its tasks. */
async function replicate(upstreamPulp: string): Promise<any> {
  return down.finish(await down.call('POST', `${upstreamPulp}replicate/`));
}

async function localDistributions(): Promise<Record<string, any>> {
  const list = (await down.call('GET', `${API}distributions/file/file/?limit=100`)).body;
  return Object.fromEntries(list.results.map((d: any) => [d.name, d]));
}

const files = {
  'a/one.bin': randomBytes(300_000),
  'two.txt': Buffer.from('two\n'),
  'b.bin': randomBytes(5_000),
  'a/three.bin': randomBytes(70_000),
};
let repoA: string;
let distA: string;
let upstreamPulp: any;

beforeAll(async () => {
  syncTuning.retryBaseMs = 5;
  up = await startSystem();
  down = await startSystem();
  // Upstream: dist-a serves a publication of repo-a, dist-b serves autopublishing repo-b.
  repoA = (await up.call('POST', `${API}repositories/file/file/`, { name: 'repo-a' })).body.pulp_href;
  await upload(repoA, 'a/one.bin', files['a/one.bin']);
  await upload(repoA, 'two.txt', files['two.txt']);
  const pubA = await publish(repoA);
  const a = await up.finish(
    await up.call('POST', `${API}distributions/file/file/`, { name: 'dist-a', base_path: 'up/a', publication: pubA }),
  );
  distA = a.created_resources[0];
  const repoB = (await up.call('POST', `${API}repositories/file/file/`, { name: 'repo-b', autopublish: true })).body
    .pulp_href;
  await upload(repoB, 'b.bin', files['b.bin']);
  await up.finish(
    await up.call('POST', `${API}distributions/file/file/`, { name: 'dist-b', base_path: 'up/b', repository: repoB }),
  );
  // Downstream: a distribution of its own, which no replication labeled.
  await down.finish(
    await down.call('POST', `${API}distributions/file/file/`, { name: 'local-only', base_path: 'mine' }),
  );
}, 240_000);

afterAll(async () => {
  await down?.close();
  await up?.close();
});

describe('replication between two systems', () => {
  it('mirrors the upstream distributions and serves their files byte-exact', async () => {
    const created = await down.call('POST', `${API}upstream-pulps/`, {
      name: 'upstream',
      base_url: up.apiUrl,
      username: 'admin',
      password: 'password',
      policy: 'labeled',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    upstreamPulp = created.body;
    const group = await replicate(upstreamPulp.pulp_href);
    expect(group.description).toBe('Replication of upstream');
    expect(group.all_tasks_dispatched).toBe(true);
    expect(group.failed, JSON.stringify(group.tasks)).toBe(0);
    expect(group.completed).toBe(group.tasks.length);
    const names = group.tasks.map((t: any) => t.name);
    expect(names[0]).toBe('pulpcore.app.tasks.replica.replicate_distributions');
    expect(names.at(-1)).toBe('pulpcore.app.tasks.replica.finalize_replication');
    expect(names.filter((n: string) => n === 'pulp_file.app.tasks.synchronizing.synchronize')).toHaveLength(2);
    const first = (await down.call('GET', group.tasks[0].pulp_href)).body;
    expect(first.reserved_resources_record).toEqual(
      expect.arrayContaining([pdrn('servers'), `shared:prn:core.upstreampulp:${upstreamPulp.prn.split(':')[2]}`]),
    );

    const dists = await localDistributions();
    expect(Object.keys(dists).sort()).toEqual(['dist-a', 'dist-b', 'local-only']);
    expect(dists['dist-a']).toMatchObject({ base_path: 'up/a', publication: null });
    expect(dists['dist-a'].pulp_labels).toEqual({ UpstreamPulp: upstreamPulp.prn.split(':')[2] });
    const remote = (await down.call('GET', `${API}remotes/file/file/?name=dist-a`)).body.results[0];
    expect(remote.url).toBe(`${up.contentUrl}/pulp/content/up/a/PULP_MANIFEST`);
    const repo = (await down.call('GET', dists['dist-a'].repository)).body;
    expect(repo).toMatchObject({ name: 'dist-a', manifest: 'PULP_MANIFEST', autopublish: false });

    for (const [p, bytes] of Object.entries({
      'up/a/a/one.bin': files['a/one.bin'],
      'up/a/two.txt': files['two.txt'],
    })) {
      const got = await fetchContent(down, p);
      expect(got.status, p).toBe(200);
      expect(got.bytes.equals(bytes), p).toBe(true);
    }
    const b = await fetchContent(down, 'up/b/b.bin');
    expect(b.status).toBe(200);
    expect(b.bytes.equals(files['b.bin'])).toBe(true);
    expect((await fetchContent(down, 'up/a/PULP_MANIFEST')).bytes.toString()).toContain('a/one.bin,');

    const after = (await down.call('GET', upstreamPulp.pulp_href)).body;
    expect(after.last_replication).not.toBeNull();
    expect(after.pulp_last_updated).toBe(upstreamPulp.pulp_last_updated);
  }, 120_000);

  it('follows an upstream change; nodelete keeps what q_select leaves out', async () => {
    await upload(repoA, 'a/three.bin', files['a/three.bin']);
    const pub = await publish(repoA);
    expect((await up.finish(await up.call('PATCH', distA, { publication: pub }))).state).toBe('completed');
    await down.call('PATCH', upstreamPulp.pulp_href, { policy: 'nodelete', q_select: 'name=dist-a' });

    const group = await replicate(upstreamPulp.pulp_href);
    expect(group.failed, JSON.stringify(group.tasks)).toBe(0);
    const got = await fetchContent(down, 'up/a/a/three.bin');
    expect(got.status).toBe(200);
    expect(got.bytes.equals(files['a/three.bin'])).toBe(true);
    expect((await fetchContent(down, 'up/a/a/one.bin')).bytes.equals(files['a/one.bin'])).toBe(true);
    expect(Object.keys(await localDistributions()).sort()).toEqual(['dist-a', 'dist-b', 'local-only']);
  }, 120_000);

  it('labeled removes only what replication labeled; all removes the rest', async () => {
    await down.call('PATCH', upstreamPulp.pulp_href, { policy: 'labeled' });
    let group = await replicate(upstreamPulp.pulp_href);
    expect(group.failed, JSON.stringify(group.tasks)).toBe(0);
    expect(Object.keys(await localDistributions()).sort()).toEqual(['dist-a', 'local-only']);
    expect((await down.call('GET', `${API}repositories/file/file/?name=dist-b`)).body.count).toBe(0);
    expect((await down.call('GET', `${API}remotes/file/file/?name=dist-b`)).body.count).toBe(0);
    expect((await fetchContent(down, 'up/b/b.bin')).status).toBe(404);

    await down.call('PATCH', upstreamPulp.pulp_href, { policy: 'all' });
    group = await replicate(upstreamPulp.pulp_href);
    expect(group.failed, JSON.stringify(group.tasks)).toBe(0);
    expect(Object.keys(await localDistributions())).toEqual(['dist-a']);
    expect((await fetchContent(down, 'up/a/two.txt')).bytes.equals(files['two.txt'])).toBe(true);
  }, 120_000);

  it('fails with a readable error naming the URL when the upstream is unreachable', async () => {
    const port = await freePort();
    const gone = (
      await down.call('POST', `${API}upstream-pulps/`, { name: 'gone', base_url: `http://127.0.0.1:${port}` })
    ).body;
    const group = await replicate(gone.pulp_href);
    expect(group.failed).toBe(1);
    const task = (await down.call('GET', group.tasks[0].pulp_href)).body;
    expect(task.state).toBe('failed');
    expect(task.error.description).toContain(`http://127.0.0.1:${port}/pulp/api/v3/docs/api.json`);
    expect((await down.call('GET', gone.pulp_href)).body.last_replication).toBeNull();
    expect(Object.keys(await localDistributions())).toEqual(['dist-a']);
    const refused = (
      await down.call('POST', `${API}upstream-pulps/`, {
        name: 'wrong-password',
        base_url: up.apiUrl,
        username: 'admin',
        password: 'wrong',
      })
    ).body;
    const refusedGroup = await replicate(refused.pulp_href);
    const refusedTask = (await down.call('GET', refusedGroup.tasks[0].pulp_href)).body;
    expect(refusedTask.state).toBe('failed');
    expect(refusedTask.error.description).toContain(`HTTP 401 for ${up.apiUrl}/pulp/api/v3/distributions/file/file/`);
    expect(Object.keys(await localDistributions())).toEqual(['dist-a']);
    expect(
      (await down.call('POST', `${API}upstream-pulps/00000000-0000-0000-0000-000000000000/replicate/`)).status,
    ).toBe(404);
  }, 60_000);
  it('fails the finalizing task, listing the failed subtask, when a local distribution holds the base path', async () => {
    const pub = (await up.call('GET', distA)).body.publication;
    await up.finish(
      await up.call('POST', `${API}distributions/file/file/`, { name: 'dist-c', base_path: 'clash', publication: pub }),
    );
    await down.finish(await down.call('POST', `${API}distributions/file/file/`, { name: 'other', base_path: 'clash' }));
    await down.call('PATCH', upstreamPulp.pulp_href, { policy: 'labeled', q_select: null });
    const before = (await down.call('GET', upstreamPulp.pulp_href)).body.last_replication;

    const group = await replicate(upstreamPulp.pulp_href);
    const failed = group.tasks.filter((t: any) => t.state === 'failed').map((t: any) => t.name);
    expect(failed).toEqual([
      'pulpcore.app.tasks.base.general_create',
      'pulpcore.app.tasks.replica.finalize_replication',
    ]);
    const finalize = (await down.call('GET', group.tasks.at(-1).pulp_href)).body;
    expect(finalize.error.description).toContain('1 subtask(s) did not complete successfully');
    expect(finalize.error.description).toContain('pulpcore.app.tasks.base.general_create');
    expect((await down.call('GET', upstreamPulp.pulp_href)).body.last_replication).toBe(before);
    const dists = await localDistributions();
    expect(Object.keys(dists).sort()).toEqual(['dist-a', 'dist-b', 'other']);
    expect(dists.other.repository).toBeNull();
    expect((await fetchContent(down, 'up/a/two.txt')).bytes.equals(files['two.txt'])).toBe(true);
  }, 120_000);
});
