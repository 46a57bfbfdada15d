/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncTuning } from '../../../src/plugins/file/sync-task.js';
import { FixtureServer, fixtureMap, generateRepository, manifestFor } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
let t: ApiWithTasks;
let server: FixtureServer;
const first = generateRepository(['a.txt', 'dir/b.txt', 'dir/c.txt']);
const other = generateRepository(['a.txt']);

async function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

/** Runs the queue and returns the task the reply pointed at. */
async function finish(reply: { status: number; body: any }): Promise<any> {
  expect(reply.status).toBe(202);
  await t.runTasks();
  return t.task(reply.body.task);
}

async function storedArtifacts(): Promise<string[]> {
  const root = path.join(t.api.settings.MEDIA_ROOT, 'artifact');
  const out: string[] = [];
  for (const d of await readdir(root).catch(() => []))
    for (const f of await readdir(path.join(root, d))) out.push(`${d}${f}`);
  return out.sort();
}

beforeAll(async () => {
  syncTuning.retryBaseMs = 5;
  t = await createApiWithTasks();
  server = await new FixtureServer({ files: fixtureMap(first.files, first.manifest) }).start();
});
afterAll(async () => {
  await server.stop();
  await t.api.close();
});

describe('file workflow over HTTP', () => {
  let repo: any;
  let remote: any;

  it('syncs a remote into version 1 and lists its content', async () => {
    remote = (await call('POST', `${API}remotes/file/file/`, { name: 'wf', url: server.url('PULP_MANIFEST') })).body;
    repo = (await call('POST', `${API}repositories/file/file/`, { name: 'wf', remote: remote.pulp_href })).body;
    const task = await finish(await call('POST', `${repo.pulp_href}sync/`, {}));
    expect(task.state).toBe('completed');
    expect(task.name).toBe('pulp_file.app.tasks.synchronizing.synchronize');
    expect(task.created_resources).toEqual([`${repo.pulp_href}versions/1/`]);
    expect(task.progress_reports.map((p: any) => p.code)).toEqual(
      expect.arrayContaining([
        'sync.downloading.metadata',
        'sync.parsing.metadata',
        'sync.downloading.artifacts',
        'associating.content',
      ]),
    );
    const v1 = await call('GET', `${repo.pulp_href}versions/1/`);
    expect(v1.body.content_summary.added['file.file'].count).toBe(3);
    const list = await call(
      'GET',
      `${API}content/file/files/?repository_version=${repo.pulp_href}versions/1/&ordering=relative_path`,
    );
    expect(list.body.results.map((c: any) => c.relative_path)).toEqual(['a.txt', 'dir/b.txt', 'dir/c.txt']);
    expect((await storedArtifacts()).sort()).toEqual(first.files.map((f) => f.sha256).sort());
  });

  it('an on_demand sync of files already synced reuses the same units and their artifacts', async () => {
    const od = (
      await call('POST', `${API}remotes/file/file/`, {
        name: 'wf-od',
        url: server.url('PULP_MANIFEST'),
        policy: 'on_demand',
      })
    ).body;
    const odRepo = (await call('POST', `${API}repositories/file/file/`, { name: 'wf-od' })).body;
    const task = await finish(await call('POST', `${odRepo.pulp_href}sync/`, { remote: od.pulp_href }));
    expect(task.state).toBe('completed');
    const list = await call('GET', `${API}content/file/files/?repository_version=${odRepo.pulp_href}versions/1/`);
    expect(list.body.count).toBe(3);
    // Same (relative_path, sha256) as the immediate sync: the very same units, which already have artifacts.
    expect(list.body.results.every((c: any) => c.artifact !== null)).toBe(true);
  });

  it('uploads a file into the repository, modifies, publishes and distributes', async () => {
    const boundary = 'XBOUNDARY';
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="relative_path"\r\n\r\nnew/up.txt\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="repository"\r\n\r\n${repo.pulp_href}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="up.txt"\r\nContent-Type: text/plain\r\n\r\nuploaded bytes\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const res = await t.api.app.inject({
      method: 'POST',
      url: `${API}content/file/files/`,
      payload: body,
      headers: { authorization: t.api.adminAuth, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const task = await finish({ status: res.statusCode, body: res.json() });
    expect(task.state).toBe('completed');
    expect(task.created_resources[0]).toBe(`${repo.pulp_href}versions/2/`);
    expect(task.created_resources[1]).toMatch(/\/content\/file\/files\/[0-9a-f-]{36}\/$/);
    expect(task.result.relative_path).toBe('new/up.txt');

    const a = (await call('GET', `${API}content/file/files/?relative_path=a.txt`)).body.results[0];
    const mod = await finish(await call('POST', `${repo.pulp_href}modify/`, { remove_content_units: [a.pulp_href] }));
    expect(mod.created_resources).toEqual([`${repo.pulp_href}versions/3/`]);
    const v3 = await call('GET', `${repo.pulp_href}versions/3/`);
    expect(v3.body.content_summary.present['file.file'].count).toBe(3);
    expect(v3.body.content_summary.removed['file.file'].count).toBe(1);

    const pubTask = await finish(await call('POST', `${API}publications/file/file/`, { repository: repo.pulp_href }));
    expect(pubTask.state).toBe('completed');
    const pub = pubTask.result;
    expect(pub.repository_version).toBe(`${repo.pulp_href}versions/3/`);
    const distTask = await finish(
      await call('POST', `${API}distributions/file/file/`, { name: 'wf', base_path: 'wf', publication: pub.pulp_href }),
    );
    expect(distTask.state).toBe('completed');
    expect(distTask.result.base_url).toBe('/pulp/content/wf/');
  });

  it('a mirror re-sync of a changed manifest removes units and creates a publication', async () => {
    const files = [first.files[1]!, ...other.files];
    server.files = fixtureMap(files, manifestFor(files));
    const task = await finish(await call('POST', `${repo.pulp_href}sync/`, { mirror: true }));
    expect(task.state).toBe('completed');
    expect(task.created_resources).toHaveLength(2);
    const latest = (await call('GET', repo.pulp_href)).body.latest_version_href;
    const list = await call('GET', `${API}content/file/files/?repository_version=${latest}&ordering=relative_path`);
    expect(list.body.results.map((c: any) => [c.relative_path, c.sha256])).toEqual([
      ['a.txt', other.files[0]!.sha256],
      ['dir/b.txt', first.files[1]!.sha256],
    ]);
  });

  it('a sync of a corrupt file fails, names the file and creates no version', async () => {
    const before = (await call('GET', repo.pulp_href)).body.latest_version_href;
    const bad = generateRepository(['bad.bin']);
    server.files = fixtureMap(bad.files, manifestFor(bad.files).replace(bad.files[0]!.sha256, 'f'.repeat(64)));
    const task = await finish(await call('POST', `${repo.pulp_href}sync/`, {}));
    expect(task.state).toBe('failed');
    expect(task.error.description).toMatch(/bad\.bin: expected sha256 f{64}/);
    expect((await call('GET', repo.pulp_href)).body.latest_version_href).toBe(before);
    expect(await readdir(t.api.services.storage.tempDir())).toEqual([]);
  });

  it('refuses non-canonical relative paths and NUL bytes at upload', async () => {
    for (const p of ['../x.txt', '/abs.txt', 'a//b.txt', 'a/./b.txt', 'trailing/', 'a\u0000b.txt', 'q?x']) {
      const res = await call('POST', `${API}content/file/files/`, {
        relative_path: p,
        artifact: '/pulp/api/v3/artifacts/00000000-0000-4000-8000-000000000000/',
      });
      expect(res.status, p).toBe(400);
      expect(res.body, p).toHaveProperty('relative_path');
    }
  });

  it('deleting the repository and cleaning orphans leaves exactly the files still in use', async () => {
    const od = (await call('GET', `${API}repositories/file/file/?name=wf-od`)).body.results[0];
    expect((await finish(await call('DELETE', repo.pulp_href))).state).toBe('completed');
    expect((await finish(await call('DELETE', od.pulp_href))).state).toBe('completed');
    const cleanup = await finish(await call('POST', `${API}orphans/cleanup/`, { orphan_protection_time: 0 }));
    expect(cleanup.state).toBe('completed');
    const content = await call('GET', `${API}content/file/files/`);
    expect(content.body.count).toBe(0);
    // The remaining artifacts are the published manifests (publications are gone with their versions) or none.
    const rows = await t.api.database.db.selectFrom('artifact').select('sha256').execute();
    expect(await storedArtifacts()).toEqual(rows.map((r) => r.sha256).sort());
  });
});
