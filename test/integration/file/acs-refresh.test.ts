/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncTuning } from '../../../src/plugins/file/sync-task.js';
import { FixtureServer, fixtureMap, generateRepository } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
const SYNC = 'pulp_file.app.tasks.synchronizing.synchronize';
let t: ApiWithTasks;
let server: FixtureServer;
const good = generateRepository(['one.txt', 'sub/two.txt']);
const other = generateRepository(['three.txt']);
const root = generateRepository(['top.bin']);

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

async function acs(name: string, url: string, paths?: string[]): Promise<any> {
  const remote = await call('POST', `${API}remotes/file/file/`, { name, url, policy: 'on_demand' });
  expect(remote.status, JSON.stringify(remote.body)).toBe(201);
  const created = await call('POST', `${API}acs/file/file/`, { name, remote: remote.body.pulp_href, paths });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function pathRows(acsHref: string) {
  const id = acsHref.split('/').at(-2)!;
  const rows = await t.api.database.db
    .selectFrom('file_acs_path' as any)
    .innerJoin('repository as r', 'r.pulp_id', 'file_acs_path.repository_id' as any)
    .select(['path', 'repository_id', 'r.name', 'r.user_hidden', 'r.retain_repo_versions'] as any)
    .where('acs_id' as any, '=', id)
    .orderBy('path' as any)
    .execute();
  return rows as unknown as Array<{
    path: string;
    repository_id: string;
    name: string;
    user_hidden: boolean;
    retain_repo_versions: number;
  }>;
}

async function repoPaths(repositoryId: string): Promise<string[]> {
  const rows = await t.api.database.db
    .selectFrom('repository_content as rc')
    .innerJoin('content_artifact as ca', 'ca.content_id', 'rc.content_id')
    .select('ca.relative_path')
    .where('rc.repository_id', '=', repositoryId)
    .where('rc.version_removed', 'is', null)
    .orderBy('ca.relative_path')
    .execute();
  return rows.map((r) => r.relative_path);
}

beforeAll(async () => {
  syncTuning.retryBaseMs = 5;
  t = await createApiWithTasks();
  const files = new Map([
    ...fixtureMap(good.files, good.manifest, 'good/'),
    ...fixtureMap(other.files, other.manifest, 'other/'),
    ...fixtureMap(root.files, root.manifest),
  ]);
  files.set('bad/PULP_MANIFEST', 'this is not a manifest\n');
  server = await new FixtureServer({ files }).start();
});
afterAll(async () => {
  await server.stop();
  await t.api.close();
});

describe('POST {acs_href}refresh/', () => {
  it('syncs each path into its own hidden repository in one task group; a bad path fails only its task', async () => {
    const a = await acs('refresh-a', server.baseUrl, ['good/PULP_MANIFEST', 'other/', 'missing/PULP_MANIFEST', 'bad/']);
    const reply = await call('POST', `${a.pulp_href}refresh/`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    expect(Object.keys(reply.body)).toEqual(['task_group']);
    expect(reply.body.task_group).toMatch(/\/pulp\/api\/v3\/task-groups\/[0-9a-f-]{36}\/$/);

    const queued = (await call('GET', reply.body.task_group)).body;
    expect(queued).toMatchObject({
      description: 'Refreshing 4 alternate content source paths.',
      all_tasks_dispatched: true,
      waiting: 4,
    });
    await t.runTasks();
    const group = (await call('GET', reply.body.task_group)).body;
    const all = await Promise.all(group.tasks.map((m: any) => t.task(m.pulp_href)));
    expect(group, JSON.stringify(all.map((x: any) => [x.state, x.error]))).toMatchObject({
      completed: 2,
      failed: 2,
      waiting: 0,
    });
    const tasks = await Promise.all(group.tasks.map((m: any) => t.task(m.pulp_href)));
    expect(tasks.map((task: any) => task.name)).toEqual([SYNC, SYNC, SYNC, SYNC]);
    const failed = tasks.filter((task: any) => task.state === 'failed').map((task: any) => task.error.description);
    expect(
      failed.some((d: string) => d.includes('missing/PULP_MANIFEST') && d.includes('404')),
      failed.join(' | '),
    ).toBe(true);
    expect(failed.some((d: string) => /Manifest line 1 is malformed/.test(d) && d.includes('bad/PULP_MANIFEST'))).toBe(
      true,
    );
    const acsId = a.pulp_href.split('/').at(-2);
    for (const task of tasks) {
      expect(task.reserved_resources_record).toEqual(
        expect.arrayContaining([`shared:prn:file.filealternatecontentsource:${acsId}`]),
      );
      expect(task.task_group).toBe(reply.body.task_group);
    }

    const rows = await pathRows(a.pulp_href);
    expect(rows.map((r) => r.path)).toEqual(['bad/', 'good/PULP_MANIFEST', 'missing/PULP_MANIFEST', 'other/']);
    for (const r of rows) {
      expect(r).toMatchObject({ user_hidden: true, retain_repo_versions: 1 });
      expect(r.name).toMatch(/^refresh-a--[0-9a-f-]{36}--repository$/);
    }
    const of = (p: string) => rows.find((r) => r.path === p)!.repository_id;
    expect(await repoPaths(of('good/PULP_MANIFEST'))).toEqual(['one.txt', 'sub/two.txt']);
    expect(await repoPaths(of('other/'))).toEqual(['three.txt']);
    expect(await repoPaths(of('missing/PULP_MANIFEST'))).toEqual([]);
    // on_demand: listings only, not one file downloaded.
    for (const f of [...good.files, ...other.files]) expect(server.count(`good/${f.relativePath}`)).toBe(0);
    expect(server.count('other/three.txt')).toBe(0);

    const after = (await call('GET', a.pulp_href)).body;
    expect(after.last_refreshed).not.toBeNull();
    // Hidden: not in the repository lists.
    const listed = (await call('GET', `${API}repositories/file/file/?name__startswith=refresh-a`)).body;
    expect(listed.count).toBe(0);

    // A second refresh reuses the path rows and their repositories.
    const again = await call('POST', `${a.pulp_href}refresh/`);
    expect(again.status).toBe(202);
    await t.runTasks();
    expect((await pathRows(a.pulp_href)).map((r) => r.repository_id)).toEqual(rows.map((r) => r.repository_id));
  });

  it('an ACS without paths refreshes the remote URL itself, and dropping a path drops its repository', async () => {
    const b = await acs('refresh-b', server.url('PULP_MANIFEST'));
    const reply = await call('POST', `${b.pulp_href}refresh/`);
    expect(reply.status).toBe(202);
    await t.runTasks();
    const group = (await call('GET', reply.body.task_group)).body;
    expect(group).toMatchObject({ completed: 1, description: 'Refreshing 1 alternate content source paths.' });
    const task = await t.task(group.tasks[0].pulp_href);
    expect(task.name).toBe(SYNC);
    const rows = await pathRows(b.pulp_href);
    expect(rows.map((r) => r.path)).toEqual(['']);
    expect(await repoPaths(rows[0]!.repository_id)).toEqual(['top.bin']);

    const c = await acs('refresh-c', server.baseUrl, ['good/', 'other/']);
    await call('POST', `${c.pulp_href}refresh/`);
    await t.runTasks();
    const before = await pathRows(c.pulp_href);
    expect(before).toHaveLength(2);
    expect((await call('PATCH', c.pulp_href, { paths: ['good/'] })).status).toBe(200);
    const kept = await pathRows(c.pulp_href);
    expect(kept.map((r) => r.path)).toEqual(['good/']);
    const dropped = before.find((r) => r.path === 'other/')!.repository_id;
    const gone = await t.api.database.db
      .selectFrom('repository')
      .select('pulp_id')
      .where('pulp_id', '=', dropped)
      .execute();
    expect(gone).toEqual([]);

    expect((await call('DELETE', c.pulp_href)).status).toBe(204);
    const left = await t.api.database.db
      .selectFrom('repository')
      .select('pulp_id')
      .where('pulp_id', '=', kept[0]!.repository_id)
      .execute();
    expect(left).toEqual([]);
  });

  it('answers 404 for an unknown ACS and is documented with its upstream operationId', async () => {
    expect((await call('POST', `${API}acs/file/file/00000000-0000-4000-8000-000000000000/refresh/`)).status).toBe(404);
    expect((await call('POST', `${API}acs/file/file/not-a-uuid/refresh/`)).status).toBe(404);
    const doc = (await call('GET', `${API}docs/api.json`)).body;
    const op = doc.paths['{file_file_alternate_content_source_href}refresh/']?.post;
    expect(op?.operationId).toBe('acs_file_file_refresh');
    expect(JSON.stringify(op.responses['202'])).toContain('TaskGroupOperationResponse');
  });
});
