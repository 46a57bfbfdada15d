/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { readFile, rm, writeFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncTuning } from '../../../src/plugins/file/sync-task.js';
import { FixtureServer, fixtureMap, generateRepository } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

let h: ApiWithTasks;
let fixtures: FixtureServer;
const API = '/pulp/api/v3/';
const generated = generateRepository(['a.bin', 'b.bin', 'c.bin']);
const reclaimed = generateRepository(['a.bin', 'b.bin', 'c.bin']);

async function call(method: 'GET' | 'POST', url: string, payload?: unknown) {
  const res = await h.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: h.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

async function run(href: string): Promise<Record<string, any>> {
  await h.runTasks();
  return h.task(href);
}

async function syncedRepository(name: string, prefix = ''): Promise<string> {
  const remote = (await call('POST', `${API}remotes/file/file/`, { name, url: fixtures.url(`${prefix}PULP_MANIFEST`) }))
    .body!;
  const repo = (await call('POST', `${API}repositories/file/file/`, { name, remote: remote.pulp_href })).body!;
  const task = await run((await call('POST', `${repo.pulp_href}sync/`, {})).body!.task);
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return repo.pulp_href as string;
}

async function artifactFiles(): Promise<Map<string, string>> {
  const rows = await h.api.database.db.selectFrom('artifact').select(['sha256', 'file']).execute();
  return new Map(rows.map((r) => [r.sha256, h.api.services.storage.localPath(r.file)!]));
}

function report(task: Record<string, any>, code: string): Record<string, any> {
  return task.progress_reports.find((p: any) => p.code === code);
}

beforeAll(async () => {
  syncTuning.retryBaseMs = 1;
  h = await createApiWithTasks();
  const files = fixtureMap(generated.files, generated.manifest);
  for (const [k, v] of fixtureMap(reclaimed.files, reclaimed.manifest, 'r/')) files.set(k, v);
  fixtures = await new FixtureServer({ files }).start();
});
afterAll(async () => {
  await fixtures.stop();
  await h.api.close();
});

describe('repair/', () => {
  it('downloads missing and corrupt files again from their remote, and deletes what it cannot repair', async () => {
    await syncedRepository('repair-src');
    const files = await artifactFiles();
    const [a, b] = generated.files;
    await writeFile(files.get(a!.sha256)!, 'corrupted!');
    await rm(files.get(b!.sha256)!);
    const r = await call('POST', `${API}repair/`, { verify_checksums: true });
    expect(r.status).toBe(202);
    const task = await run(r.body!.task);
    expect(task.state, JSON.stringify(task.error)).toBe('completed');
    expect(task.name).toBe('pulpcore.app.tasks.repository.repair_all_artifacts');
    expect(task.reserved_resources_record.some((x: string) => /^pdrn:.*:repair$/.test(x))).toBe(true);
    expect(report(task, 'repair.missing')).toMatchObject({ done: 1, total: 3 });
    expect(report(task, 'repair.corrupted')).toMatchObject({ done: 1, total: 3 });
    expect(report(task, 'repair.repaired')).toMatchObject({ done: 2 });
    expect(await readFile(files.get(a!.sha256)!)).toEqual(a!.content);
    expect(await readFile(files.get(b!.sha256)!)).toEqual(b!.content);
  });

  it('refuses a non-boolean verify_checksums', async () => {
    const r = await call('POST', `${API}repair/`, { verify_checksums: 'maybe' });
    expect(r.status).toBe(400);
    expect(r.body).toHaveProperty('verify_checksums');
  });
});

describe('repositories/reclaim_space/', () => {
  it('validates repo_hrefs as Pulp does', async () => {
    expect((await call('POST', `${API}repositories/reclaim_space/`, { repo_hrefs: [] })).body).toEqual({
      repo_hrefs: ['Must not be [].'],
    });
    expect((await call('POST', `${API}repositories/reclaim_space/`, { repo_hrefs: ['*', 'x'] })).status).toBe(400);
    const missing = await call('POST', `${API}repositories/reclaim_space/`, {
      repo_hrefs: [`${API}repositories/file/file/0199a0c4-0000-7000-8000-0000000000aa/`],
    });
    expect(missing.status).toBe(400);
    expect((await call('POST', `${API}repositories/reclaim_space/`, {})).body).toEqual({
      repo_hrefs: ['This field is required.'],
    });
  });

  it('removes the files of content only its repositories hold, keeping kept versions and other repositories', async () => {
    const repo = await syncedRepository('reclaim-src', 'r/');
    const other = (await call('POST', `${API}repositories/file/file/`, { name: 'reclaim-other' })).body!;
    const units = (await call('GET', `${API}content/file/files/?repository_version=${repo}versions/1/`)).body!.results;
    const c = units.find((u: any) => u.relative_path === 'c.bin');
    const mod = await run(
      (await call('POST', `${other.pulp_href}modify/`, { add_content_units: [c.pulp_href] })).body!.task,
    );
    expect(mod.state).toBe('completed');
    const before = await artifactFiles();
    const r = await call('POST', `${API}repositories/reclaim_space/`, { repo_hrefs: [repo] });
    const task = await run(r.body!.task);
    expect(task.state, JSON.stringify(task.error)).toBe('completed');
    expect(task.name).toBe('pulpcore.app.tasks.reclaim_space.reclaim_space');
    expect(task.reserved_resources_record.some((x: string) => /^shared:prn:file\.filerepository:/.test(x))).toBe(true);
    expect(report(task, 'reclaim-space.artifact')).toMatchObject({ total: 2, done: 2, state: 'completed' });
    const after = await artifactFiles();
    const [a, b, cFile] = reclaimed.files;
    expect(after.has(a!.sha256)).toBe(false);
    expect(after.has(b!.sha256)).toBe(false);
    expect(after.has(cFile!.sha256)).toBe(true);
    await expect(readFile(before.get(a!.sha256)!)).rejects.toThrow();
    // The units are still there, now on demand; no version was created.
    const listed = (await call('GET', `${API}content/file/files/?repository_version=${repo}versions/1/`)).body!;
    expect(listed.count).toBe(3);
    expect((await call('GET', `${repo}`)).body!.latest_version_href).toBe(`${repo}versions/1/`);
    const unitA = units.find((u: any) => u.relative_path === 'a.bin');
    const link = await h.api.database.db
      .selectFrom('content_artifact')
      .select('artifact_id')
      .where('content_id', '=', (unitA.pulp_href as string).split('/').at(-2)!)
      .executeTakeFirstOrThrow();
    expect(link.artifact_id).toBeNull();
  });
});
