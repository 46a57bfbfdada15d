// Scheduling rules at the database level: the claim, finish and unblock statements a worker uses, driven
// directly so that each ordering case is deterministic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSettings } from '../../../src/core/settings.js';
import type { Dispatcher } from '../../../src/plugin-api/tasks.js';
import { claimTask, finishTask, unblockAfter } from '../../../src/tasking/claim-task.js';
import { createDispatcher, DOMAIN_RESOURCE } from '../../../src/tasking/dispatch.js';
import { silentLogger } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { tasks } from '../../helpers/tasking-tasks.js';
import { createStorage } from '../../../src/storage/create-storage.js';

let database: TestDatabase;
let dispatcher: Dispatcher;
let workerId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const settings = loadSettings({ env: {}, overrides: { LOG_LEVEL: 'silent' } });
  dispatcher = createDispatcher({
    db: database.db,
    settings,
    logger: silentLogger,
    tasks: new Map(Object.entries(tasks)),
    storage: await createStorage(settings),
  });
  const row = await database.db
    .insertInto('app_status')
    .values({ name: 'fake-worker', app_type: 'worker', versions: '{}' })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  workerId = row.pulp_id;
});
afterAll(async () => {
  await database?.drop();
});

async function drainClaimable(): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const t = await claimTask(database.db, workerId);
    if (!t) return out;
    out.push(t.task_id);
  }
}

async function complete(id: string) {
  const record = await finishTask(database.db, id, workerId, { outcome: 'completed', result: null });
  await unblockAfter(database.db, record);
}

const state = async (id: string) =>
  (await database.db.selectFrom('task').select('state').where('pulp_id', '=', id).executeTakeFirstOrThrow()).state;

describe('resource reservations', () => {
  it('records the implicit shared domain resource after the exclusive and shared ones', async () => {
    const t = await dispatcher.dispatch(
      'test.noop',
      {},
      { exclusiveResources: ['prn:x.repo:r0'], sharedResources: ['prn:x.remote:m0'] },
    );
    const row = await database.db
      .selectFrom('task')
      .select(['reserved_resources_record', 'state', 'unblocked_at'])
      .where('pulp_id', '=', t.pulp_id)
      .executeTakeFirstOrThrow();
    expect(row.reserved_resources_record).toEqual([
      'prn:x.repo:r0',
      'shared:prn:x.remote:m0',
      `shared:${DOMAIN_RESOURCE}`,
    ]);
    expect(row.unblocked_at).not.toBeNull();
    await drainClaimable().then((ids) => Promise.all(ids.map(complete)));
  });

  it('runs shared users together, keeps an exclusive one apart, and keeps per-resource dispatch order', async () => {
    const r = 'prn:x.repo:r1';
    const a = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [r] });
    const b = await dispatcher.dispatch('test.noop', {}, { sharedResources: [r] });
    const c = await dispatcher.dispatch('test.noop', {}, { sharedResources: [r] });
    const d = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [r] });
    // A later shared task must not overtake the earlier, still blocked, exclusive one.
    const e = await dispatcher.dispatch('test.noop', {}, { sharedResources: [r] });
    const unrelated = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: ['prn:x.repo:other'] });

    expect(await drainClaimable()).toEqual([a.pulp_id, unrelated.pulp_id]);
    await complete(unrelated.pulp_id);
    expect(await drainClaimable()).toEqual([]);
    await complete(a.pulp_id);
    expect(await drainClaimable()).toEqual([b.pulp_id, c.pulp_id]);
    await complete(b.pulp_id);
    expect(await drainClaimable()).toEqual([]);
    await complete(c.pulp_id);
    expect(await drainClaimable()).toEqual([d.pulp_id]);
    await complete(d.pulp_id);
    expect(await drainClaimable()).toEqual([e.pulp_id]);
    await complete(e.pulp_id);
    expect(await state(e.pulp_id)).toBe('completed');
  });

  it('a task exclusive on the domain waits for every earlier task and blocks every later one', async () => {
    const before = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: ['prn:x.repo:r2'] });
    const domain = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [DOMAIN_RESOURCE] });
    const after = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: ['prn:x.repo:r3'] });
    expect(await drainClaimable()).toEqual([before.pulp_id]);
    await complete(before.pulp_id);
    expect(await drainClaimable()).toEqual([domain.pulp_id]);
    await complete(domain.pulp_id);
    expect(await drainClaimable()).toEqual([after.pulp_id]);
    await complete(after.pulp_id);
  });

  it('frees the resources of a task canceled while waiting, which never runs', async () => {
    const r = 'prn:x.repo:r4';
    const a = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [r] });
    const b = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [r] });
    const c = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [r] });
    expect(await drainClaimable()).toEqual([a.pulp_id]);
    await database.db.updateTable('task').set({ state: 'canceling' }).where('pulp_id', '=', b.pulp_id).execute();
    // The canceled task is claimable at once (to be finalised), though its resource is still busy.
    const claimed = await claimTask(database.db, workerId);
    expect(claimed).toMatchObject({ task_id: b.pulp_id, task_state: 'canceling' });
    const record = await finishTask(database.db, b.pulp_id, workerId, { outcome: 'canceled', error: { reason: 'x' } });
    await unblockAfter(database.db, record);
    expect(await state(b.pulp_id)).toBe('canceled');
    expect(await drainClaimable()).toEqual([]);
    await complete(a.pulp_id);
    expect(await drainClaimable()).toEqual([c.pulp_id]);
    await complete(c.pulp_id);
  });

  it('does not let another owner finish a task', async () => {
    const a = await dispatcher.dispatch('test.noop', {}, {});
    await drainClaimable();
    const other = await database.db
      .insertInto('app_status')
      .values({ name: 'intruder', app_type: 'worker', versions: '{}' })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    expect(await finishTask(database.db, a.pulp_id, other.pulp_id, { outcome: 'completed', result: 1 })).toBeNull();
    expect(await state(a.pulp_id)).toBe('running');
    await complete(a.pulp_id);
  });
});

describe('immediate tasks', () => {
  it('run inline when their resources are free', async () => {
    const t = await dispatcher.dispatch(
      'test.record',
      { ms: 1 },
      { immediate: true, exclusiveResources: ['prn:x.repo:i1'] },
    );
    const row = await database.db
      .selectFrom('task')
      .selectAll()
      .where('pulp_id', '=', t.pulp_id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('completed');
    expect(row.result).toMatchObject({ pid: process.pid });
  });

  it('are deferred to a worker, or refused, when their resources are busy', async () => {
    const r = 'prn:x.repo:i2';
    const busy = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: [r] });
    const deferred = await dispatcher.dispatch(
      'test.noop',
      {},
      { immediate: true, deferred: true, exclusiveResources: [r] },
    );
    const refused = await dispatcher.dispatch(
      'test.noop',
      {},
      { immediate: true, deferred: false, exclusiveResources: [r] },
    );
    expect(await state(deferred.pulp_id)).toBe('waiting');
    const row = await database.db
      .selectFrom('task')
      .select(['state', 'error'])
      .where('pulp_id', '=', refused.pulp_id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'canceled', error: { reason: 'Resources temporarily unavailable.' } });
    expect(await drainClaimable()).toEqual([busy.pulp_id]);
    await complete(busy.pulp_id);
    expect(await drainClaimable()).toEqual([deferred.pulp_id]);
    await complete(deferred.pulp_id);
  });
});

describe('dispatch refuses bad input', () => {
  it('rejects an unknown task name and creates nothing', async () => {
    const before = await database.db
      .selectFrom('task')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    await expect(dispatcher.dispatch('no.such.task', {}, {})).rejects.toThrow(/Unknown task name/);
    const after = await database.db
      .selectFrom('task')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
