// Real worker processes on a real PostgreSQL: ordering under concurrency, cancellation, unknown tasks,
// a graceful stop and a worker killed with -9. The three main workers use the default WORKER_TTL, so that a
// worker stalled by a loaded machine is never taken for missing; the kill test starts two workers of its own
// with a short TTL, so that the dead one is noticed quickly.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApiApp, type ApiApp } from '../../src/api/build-app.js';
import { apiModules } from '../../src/api/modules.js';
import { loadRegistry } from '../../src/cli/registry.js';
import { hashPassword } from '../../src/core/passwords.js';
import type { Dispatcher } from '../../src/plugin-api/tasks.js';
import { createDispatcher } from '../../src/tasking/dispatch.js';
import { createTestSettings, silentLogger } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../helpers/db.js';
import { tasks } from '../helpers/tasking-tasks.js';
import { startWorker, stopWorker, type WorkerProcess } from '../helpers/workers.js';
import { createStorage } from '../../src/storage/create-storage.js';

const TTL = 30;
/** WORKER_TTL of the kill test's workers: a dead worker is noticed after TTL plus one check (TTL / 3). */
const KILL_TTL = 8;
const P = '/pulp/api/v3/';
let database: TestDatabase;
let workers: WorkerProcess[] = [];
let dispatcher: Dispatcher;
let api: ApiApp;
let auth: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const settings = await createTestSettings({ WORKER_TTL: KILL_TTL });
  dispatcher = createDispatcher({
    db: database.db,
    settings,
    logger: silentLogger,
    tasks: new Map(Object.entries(tasks)),
    storage: await createStorage(settings),
  });
  api = await buildApiApp({
    settings,
    db: database.db,
    logger: silentLogger,
    modules: apiModules(loadRegistry(settings)),
    dispatcher,
    storage: await createStorage(settings),
  });
  await api.app.ready();
  await database.db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword('x', 1000), is_superuser: true })
    .execute();
  auth = 'Basic ' + Buffer.from('admin:x').toString('base64');
  workers = await Promise.all(
    ['w1', 'w2', 'w3'].map((name) => startWorker(database.db, database.url, { name: `${name}@e2e`, workerTtl: TTL })),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => stopWorker(w)));
  await api?.app.close();
  await database?.drop();
});

interface Row {
  pulp_id: string;
  state: string;
  seq: number;
  started_at: string;
  finished_at: string;
  worker_id: string;
  exclusive_resources: string[];
  shared_resources: string[];
  result: { start: number; end: number } | null;
  error: Record<string, unknown> | null;
}

const taskRow = (id: string) =>
  database.db
    .selectFrom('task')
    .selectAll()
    .where('pulp_id', '=', id)
    .executeTakeFirstOrThrow() as unknown as Promise<Row>;

async function waitState(id: string, states: string[], timeoutMs = 60_000): Promise<Row> {
  return waitFor(
    async () => {
      const r = await taskRow(id);
      return states.includes(r.state) ? r : null;
    },
    { timeoutMs, what: `task ${id} to reach ${states.join('|')}` },
  );
}

function conflicts(a: Row, b: Row): boolean {
  const held = (r: Row) => [
    ...r.exclusive_resources.map((x) => [x, true] as const),
    ...r.shared_resources.map((x) => [x, false] as const),
  ];
  return held(a).some(([ra, ea]) => held(b).some(([rb, eb]) => ra === rb && (ea || eb)));
}

describe('three worker processes', () => {
  it('never overlap conflicting tasks, keep each resource in dispatch order, and overlap unrelated ones', async () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const resources = Array.from({ length: 10 }, (_, i) => `prn:test.resource:r${i}`);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const picked = resources.filter(() => random() < 0.15);
      const exclusive = picked.filter(() => random() < 0.5);
      const shared = picked.filter((r) => !exclusive.includes(r));
      const ref = await dispatcher.dispatch(
        'test.record',
        { ms: Math.floor(random() * 15) },
        { exclusiveResources: exclusive, sharedResources: shared },
      );
      ids.push(ref.pulp_id);
    }
    await waitFor(
      async () => {
        const r = await database.db
          .selectFrom('task')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('pulp_id', 'in', ids)
          .where('state', '=', 'completed')
          .executeTakeFirstOrThrow();
        return Number(r.n) === ids.length;
      },
      { timeoutMs: 90_000, what: 'all 200 tasks to complete' },
    );
    const rows = (await database.db
      .selectFrom('task')
      .selectAll()
      .where('pulp_id', 'in', ids)
      .orderBy('seq')
      .execute()) as unknown as Row[];
    let unrelatedOverlaps = 0;
    for (let i = 0; i < rows.length; i++) {
      for (let j = i + 1; j < rows.length; j++) {
        const a = rows[i] as Row;
        const b = rows[j] as Row;
        const dbOverlap = !(a.finished_at <= b.started_at || b.finished_at <= a.started_at);
        const runOverlap = a.result!.start < b.result!.end && b.result!.start < a.result!.end;
        if (conflicts(a, b)) {
          // a was dispatched first: it must have finished before b started, by the database and by the task's clock.
          expect(a.finished_at <= b.started_at, `${a.pulp_id} before ${b.pulp_id}`).toBe(true);
          expect(a.result!.end <= b.result!.start).toBe(true);
        } else if (dbOverlap && runOverlap) {
          unrelatedOverlaps += 1;
        }
      }
    }
    expect(unrelatedOverlaps).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.worker_id)).size).toBe(3);
  }, 120_000);
});

describe('task records', () => {
  it('show progress reports, created resources, child tasks and the result through the API', async () => {
    const t = await dispatcher.dispatch('test.progress', {}, {});
    await waitState(t.pulp_id, ['completed']);
    const body = (await api.app.inject({ method: 'GET', url: t.href, headers: { authorization: auth } })).json();
    expect(body.progress_reports).toEqual([
      { message: 'Counting', code: 'test.counting', state: 'completed', total: 3, done: 3, suffix: null },
    ]);
    expect(body.created_resources).toEqual(['/pulp/api/v3/test/things/1/']);
    expect(body.child_tasks).toHaveLength(1);
    expect(body.result).toEqual({ child: body.child_tasks[0] });
    const child = (
      await api.app.inject({ method: 'GET', url: body.child_tasks[0], headers: { authorization: auth } })
    ).json();
    expect(child.parent_task).toBe(t.href);
  });
});

describe('cancellation through the API', () => {
  const cancel = (id: string) =>
    api.app.inject({
      method: 'PATCH',
      url: `${P}tasks/${id}/`,
      payload: { state: 'canceled' },
      headers: { authorization: auth },
    });

  it('cancels a waiting task, which never runs, and a running cooperative one', async () => {
    const blocker = await dispatcher.dispatch(
      'test.sleep',
      { ms: 60_000 },
      { exclusiveResources: ['prn:test.resource:c1'] },
    );
    const waiting = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: ['prn:test.resource:c1'] });
    await waitState(blocker.pulp_id, ['running']);
    const res = await cancel(waiting.pulp_id);
    expect(res.statusCode).toBe(200);
    expect(res.json().state).toBe('canceling');
    const w = await waitState(waiting.pulp_id, ['canceled']);
    expect(w.started_at).toBeNull();
    expect((await cancel(blocker.pulp_id)).json().state).toBe('canceling');
    const b = await waitState(blocker.pulp_id, ['canceled']);
    expect(b.finished_at).not.toBeNull();
  });

  it('stops a running task that ignores its signal within 3 s of the cancel, and the worker carries on', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-stubborn-'));
    const aliveFile = path.join(dir, 'alive');
    try {
      const stubborn = await dispatcher.dispatch(
        'test.ignore_signal',
        { ms: 120_000, aliveFile },
        { exclusiveResources: ['prn:test.resource:c2'] },
      );
      const running = await waitState(stubborn.pulp_id, ['running']);
      await waitFor(async () => existsSync(aliveFile), { timeoutMs: 60_000, what: 'the busy loop to start' });
      const canceledAt = performance.timeOrigin + performance.now();
      await cancel(stubborn.pulp_id);
      const ended = await waitState(stubborn.pulp_id, ['canceled']);
      // Its last sign of life, written every 10 ms by the busy loop itself.
      const lastAlive = Number(readFileSync(aliveFile, 'utf8'));
      expect(lastAlive - canceledAt).toBeLessThan(3000);
      expect(lastAlive - canceledAt).toBeGreaterThan(0);
      expect(ended.error).toMatchObject({ reason: expect.stringMatching(/did not stop on its cancellation signal/) });
      // The same worker process is alive and runs the next task on that resource.
      const next = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: ['prn:test.resource:c2'] });
      expect((await waitState(next.pulp_id, ['completed'])).state).toBe('completed');
      expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
      const owner = await database.db
        .selectFrom('app_status')
        .select('stopped_at')
        .where('pulp_id', '=', running.worker_id)
        .executeTakeFirstOrThrow();
      expect(owner.stopped_at).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bad input', () => {
  it('fails a task whose name no worker knows, with a readable error', async () => {
    const r = await sql<{
      task_id: string;
    }>`SELECT * FROM pulp_task_dispatch('pulp_gone.app.tasks.x', '{}', '{}', '{}', '', NULL, NULL, NULL, false, true, NULL)`.execute(
      database.db,
    );
    const row = await waitState(r.rows[0]!.task_id, ['failed']);
    expect(String(row.error?.description)).toMatch(/not registered/);
  });

  it('refuses invalid state transitions with 400 and leaves the task unchanged', async () => {
    const t = await dispatcher.dispatch('test.noop', {}, {});
    await waitState(t.pulp_id, ['completed']);
    const res = await api.app.inject({
      method: 'PATCH',
      url: `${P}tasks/${t.pulp_id}/`,
      payload: { state: 'waiting' },
      headers: { authorization: auth },
    });
    expect(res.statusCode).toBe(400);
    expect((await taskRow(t.pulp_id)).state).toBe('completed');
  });
});

describe('graceful stop', () => {
  it('unregisters the worker on SIGTERM, so it leaves the worker list at once', async () => {
    const w = workers.pop()!;
    await stopWorker(w);
    expect(w.child.exitCode).toBe(0);
    const res = await api.app.inject({
      method: 'GET',
      url: `${P}workers/?name=${encodeURIComponent(w.name)}`,
      headers: { authorization: auth },
    });
    expect(res.json().count).toBe(0);
  });
});

describe('a worker killed with SIGKILL', () => {
  let pair: WorkerProcess[] = [];
  beforeAll(async () => {
    // The main workers (TTL 30 s) would also look for missing workers: only the short-TTL pair runs now.
    await Promise.all(workers.map((w) => stopWorker(w)));
    workers = [];
    pair = await Promise.all(
      ['k1', 'k2'].map((name) => startWorker(database.db, database.url, { name: `${name}@e2e`, workerTtl: KILL_TTL })),
    );
    workers = [...pair];
  }, 180_000);

  it('has its task failed within WORKER_TTL plus a heartbeat check, is listed missing, and its resource is freed', async () => {
    const victimTask = await dispatcher.dispatch(
      'test.sleep',
      { ms: 120_000 },
      { exclusiveResources: ['prn:test.resource:k1'] },
    );
    const running = await waitState(victimTask.pulp_id, ['running']);
    const owner = await database.db
      .selectFrom('app_status')
      .select(['name'])
      .where('pulp_id', '=', running.worker_id)
      .executeTakeFirstOrThrow();
    const victim = pair.find((w) => w.name === owner.name)!;
    const next = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: ['prn:test.resource:k1'] });
    victim.child.kill('SIGKILL');
    // Noticed by the survivor's next check after the TTL has passed; the margin is for a loaded machine.
    const failed = await waitState(victimTask.pulp_id, ['failed'], (KILL_TTL + KILL_TTL / 3) * 1000 + 20_000);
    expect(String(failed.error?.description)).toMatch(/gone missing/);
    const missing = await api.app.inject({
      method: 'GET',
      url: `${P}workers/?missing=true`,
      headers: { authorization: auth },
    });
    expect(missing.json().results.map((w: { name: string }) => w.name)).toContain(victim.name);
    const done = await waitState(next.pulp_id, ['completed']);
    expect(done.worker_id).not.toBe(running.worker_id);
    workers = workers.filter((w) => w !== victim);
  }, 120_000);
});
