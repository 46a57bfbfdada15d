import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claimTask, finishTask, unblockAfter } from '../../../src/tasking/claim-task.js';
import { createDispatcher } from '../../../src/tasking/dispatch.js';
import type { Dispatcher } from '../../../src/plugin-api/tasks.js';
import { createTestApi, silentLogger, type TestApi } from '../../helpers/api.js';
import { tasks } from '../../helpers/tasking-tasks.js';
import { createStorage } from '../../../src/storage/create-storage.js';

let api: TestApi;
let workerId: string;
const P = '/pulp/api/v3/';
const dispatcherRef: { current: Dispatcher | null } = { current: null };

beforeAll(async () => {
  // The API's dispatcher needs the API's database, which createTestApi creates: resolve it lazily.
  const lazy: Dispatcher = { dispatch: (...args) => dispatcherRef.current!.dispatch(...args) };
  api = await createTestApi({ dispatcher: lazy });
  dispatcherRef.current = createDispatcher({
    db: api.database.db,
    settings: api.settings,
    logger: silentLogger,
    tasks: new Map(Object.entries(tasks)),
    storage: await createStorage(api.settings),
  });
  const row = await api.database.db
    .insertInto('app_status')
    .values({ name: 'api-test-worker', app_type: 'worker', versions: '{"core":"3.0"}' })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  workerId = row.pulp_id;
});
afterAll(async () => {
  await api?.close();
});

const get = (url: string) => api.app.inject({ method: 'GET', url, headers: { authorization: api.adminAuth } });
const patch = (url: string, payload: unknown) =>
  api.app.inject({ method: 'PATCH', url, payload: payload as object, headers: { authorization: api.adminAuth } });
const del = (url: string) => api.app.inject({ method: 'DELETE', url, headers: { authorization: api.adminAuth } });
const dispatch = (name: string, args: Record<string, unknown> = {}, opts: Record<string, unknown> = {}) =>
  dispatcherRef.current!.dispatch(name, args, opts);

async function runNext(outcome: 'completed' | 'failed' = 'completed') {
  const t = await claimTask(api.database.db, workerId);
  if (!t) throw new Error('nothing claimable');
  const rec = await finishTask(
    api.database.db,
    t.task_id,
    workerId,
    outcome === 'completed' ? { outcome, result: { ok: true } } : { outcome, error: { description: 'boom' } },
  );
  await unblockAfter(api.database.db, rec);
  return t.task_id;
}

describe('task detail', () => {
  it("has exactly Pulp's fields, with worker always null", async () => {
    const t = await dispatch(
      'test.noop',
      {},
      {
        exclusiveResources: ['prn:file.filerepository:0199a0c4-0000-7000-8000-00000000000a'],
        loggingCid: 'cid-1',
        userId: 1,
      },
    );
    await runNext();
    const res = await get(t.href);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'pulp_href',
        'prn',
        'pulp_created',
        'pulp_last_updated',
        'state',
        'name',
        'logging_cid',
        'created_by',
        'unblocked_at',
        'started_at',
        'finished_at',
        'error',
        'worker',
        'parent_task',
        'child_tasks',
        'task_group',
        'progress_reports',
        'created_resources',
        'reserved_resources_record',
        'result',
      ].sort(),
    );
    expect(body).toMatchObject({
      pulp_href: t.href,
      state: 'completed',
      name: 'test.noop',
      logging_cid: 'cid-1',
      created_by: `${P}users/1/`,
      worker: null,
      result: { ok: true },
      error: null,
    });
    expect(body.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const minimal = (await get(`${t.href}?minimal=true`)).json();
    expect(Object.keys(minimal)).not.toContain('progress_reports');
  });

  it('answers 404 for an unknown or malformed id', async () => {
    expect((await get(`${P}tasks/0199a0c4-0000-7000-8000-0000000000ff/`)).statusCode).toBe(404);
    expect((await get(`${P}tasks/not-a-uuid/`)).json()).toEqual({ detail: 'No Task matches the given query.' });
  });
});

describe('task list filters', () => {
  it('filters by state, name, resources, parent and group', async () => {
    const group = await api.database.db
      .insertInto('task_group')
      .values({ description: 'g' })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    const repo = 'prn:file.filerepository:0199a0c4-0000-7000-8000-0000000000aa';
    const parent = await dispatch('test.sleep', {}, { exclusiveResources: [repo], taskGroup: group.pulp_id });
    const child = await dispatch('test.noop', {}, { sharedResources: [repo], parentTaskId: parent.pulp_id });
    const names = async (q: string) =>
      (await get(`${P}tasks/?${q}`)).json().results.map((r: { pulp_href: string }) => r.pulp_href);
    expect(await names(`reserved_resources=${repo}`)).toEqual([child.href, parent.href]);
    // An href of the same object matches the PRN it was recorded under.
    expect(
      await names('exclusive_resources=/pulp/api/v3/repositories/file/file/0199a0c4-0000-7000-8000-0000000000aa/'),
    ).toEqual([parent.href]);
    expect(await names(`shared_resources=${repo}`)).toEqual([child.href]);
    expect(await names(`parent_task=${parent.href}`)).toEqual([child.href]);
    expect(await names(`child_tasks=${child.href}`)).toEqual([parent.href]);
    expect(await names(`task_group=${P}task-groups/${group.pulp_id}/`)).toEqual([parent.href]);
    expect(await names('state=waiting&name=test.noop')).toEqual([child.href]);
    expect(await names('state__in=waiting,running&name__contains=sleep')).toEqual([parent.href]);
    // Pulp ANDs the comma-joined resources of reserved_resources__in: a task must hold every one.
    expect(await names(`state__ne=completed&reserved_resources__in=${repo}&ordering=pulp_created`)).toEqual([
      parent.href,
      child.href,
    ]);
    expect(await names(`reserved_resources__in=${repo},prn:x.y:z`)).toEqual([]);
    expect(await names('worker=anything')).toEqual([]);
    const groupBody = (await get(`${P}task-groups/${group.pulp_id}/`)).json();
    expect(groupBody).toMatchObject({ waiting: 1, running: 0, description: 'g' });
    expect(groupBody.tasks[0].pulp_href).toBe(parent.href);
    await runNext();
    await runNext();
  });

  it('refuses malformed filters with a 400 naming the filter', async () => {
    const bad = async (q: string) => {
      const res = await get(`${P}tasks/?${q}`);
      expect(res.statusCode).toBe(400);
      return res.json();
    };
    expect(await bad('state=bogus')).toEqual({
      state: ['Select a valid choice. bogus is not one of the available choices.'],
    });
    expect(await bad('started_at__gte=yesterday')).toHaveProperty('started_at');
    expect(await bad('parent_task=not-a-task')).toHaveProperty('parent_task');
    expect(await bad('no_such_filter=1')).toEqual({ errors: ["Invalid Filter: 'no_such_filter'"] });
    expect(await bad('ordering=args')).toHaveProperty('ordering');
  });
});

describe('cancel and delete', () => {
  it('moves a waiting task to canceling, and refuses any other target state', async () => {
    const t = await dispatch('test.sleep', { ms: 1 }, {});
    const wrong = await patch(t.href, { state: 'running' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({ state: ['"running" is not a valid choice.'] });
    expect((await get(t.href)).json().state).toBe('waiting');
    const res = await patch(t.href, { state: 'canceled' });
    expect(res.statusCode).toBe(200);
    expect(res.json().state).toBe('canceling');
    expect((await patch(t.href, { state: 'canceled' })).statusCode).toBe(200);
    // A worker finalises it without running it.
    const claimed = await claimTask(api.database.db, workerId);
    expect(claimed?.task_state).toBe('canceling');
    await finishTask(api.database.db, t.pulp_id, workerId, { outcome: 'canceled', error: { reason: 'canceled' } });
    const after = (await get(t.href)).json();
    expect(after.state).toBe('canceled');
    expect(after.started_at).toBeNull();
    expect((await patch(t.href, { state: 'canceled' })).statusCode).toBe(200);
  });

  it('answers 409 with the task when canceling a finished task, and deletes only finished tasks', async () => {
    const t = await dispatch('test.noop');
    const running = await claimTask(api.database.db, workerId);
    const delRunning = await del(t.href);
    expect(delRunning.statusCode).toBe(409);
    expect((await get(t.href)).json().state).toBe('running');
    await finishTask(api.database.db, running!.task_id, workerId, {
      outcome: 'failed',
      error: { description: 'boom' },
    });
    const res = await patch(t.href, { state: 'canceled' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ pulp_href: t.href, state: 'failed', error: { description: 'boom' } });
    expect((await del(t.href)).statusCode).toBe(204);
    expect((await get(t.href)).statusCode).toBe(404);
  });

  it('dispatches a purge task for old finished tasks', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: `${P}tasks/purge/`,
      payload: { finished_before: '2020-01-01T00:00:00Z', states: ['completed'] },
      headers: { authorization: api.adminAuth },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().task).toMatch(/^\/pulp\/api\/v3\/tasks\/[0-9a-f-]{36}\/$/);
    const refused = await api.app.inject({
      method: 'POST',
      url: `${P}tasks/purge/`,
      payload: { states: ['running'] },
      headers: { authorization: api.adminAuth },
    });
    expect(refused.statusCode).toBe(400);
    await runNext();
  });
});

describe('workers', () => {
  it('lists online and missing workers', async () => {
    const old = await api.database.db
      .insertInto('app_status')
      .values({
        name: 'gone@host',
        app_type: 'worker',
        versions: '{}',
        last_heartbeat: new Date(Date.now() - 3600_000),
      })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    const names = async (q: string) =>
      (await get(`${P}workers/?${q}`))
        .json()
        .results.map((r: { name: string }) => r.name)
        .sort();
    expect(await names('missing=true')).toEqual(['gone@host']);
    expect(await names('missing=false')).toEqual(['api-test-worker']);
    expect(await names('online=true')).toEqual(['api-test-worker']);
    expect(await names('online=false')).toEqual(['gone@host']);
    expect(await names('')).toEqual(['api-test-worker', 'gone@host']);
    expect(await names('name__startswith=gone')).toEqual(['gone@host']);
    expect((await get(`${P}workers/?online=maybe`)).statusCode).toBe(400);
    const one = (await get(`${P}workers/${old.pulp_id}/`)).json();
    expect(one).toMatchObject({ name: 'gone@host', current_task: null, pulp_href: `${P}workers/${old.pulp_id}/` });
  });
});
