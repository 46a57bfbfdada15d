/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatabase, type Database } from '../../../src/db/database.js';
import { dispatchDueSchedules } from '../../../src/tasking/task-scheduler.js';
import { silentLogger } from '../../helpers/api.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

let h: ApiWithTasks;
/** Separate pools, as separate worker processes would have. */
let workers: Database[] = [];
const API = '/pulp/api/v3/';
const TASK = 'pulpcore.app.tasks.orphan.orphan_cleanup';

async function schedule(name: string, next: string, interval: string | null): Promise<string> {
  const row = await sql<{
    pulp_id: string;
  }>`INSERT INTO task_schedule (name, task_name, task_args, next_dispatch, dispatch_interval)
    VALUES (${name}, ${TASK}, ${JSON.stringify({ orphan_protection_time: 0 })}::jsonb, ${next}::timestamptz, ${interval}::interval)
    RETURNING pulp_id`.execute(h.api.database.db);
  return row.rows[0]!.pulp_id;
}

async function tasksOf(id: string): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM task WHERE name = ${TASK}
    AND pulp_created >= (SELECT pulp_created FROM task_schedule WHERE pulp_id = ${id})`.execute(h.api.database.db);
  return r.rows[0]!.n;
}

beforeAll(async () => {
  h = await createApiWithTasks();
  workers = Array.from({ length: 4 }, () => createDatabase({ url: h.api.database.url, max: 2 }).db);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.destroy()));
  await h.api.close();
});

describe('the task scheduler', () => {
  it('dispatches a due schedule exactly once however many workers run a pass at the same time', async () => {
    const id = await schedule('every-hour', new Date(Date.now() - 5_000).toISOString(), '1 hour');
    const counts = await Promise.all(
      [...workers, ...workers].map((w) => dispatchDueSchedules(w, silentLogger).catch(() => 0)),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    for (const w of workers) expect(await dispatchDueSchedules(w, silentLogger)).toBe(0);
    const row = await h.api.database.db
      .selectFrom('task_schedule')
      .selectAll()
      .where('pulp_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.last_task_id).not.toBeNull();
    expect(new Date(row.next_dispatch!).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    const task = await h.task(`${API}tasks/${row.last_task_id}/`);
    expect(task).toMatchObject({ name: TASK, state: 'waiting' });
    expect(task.logging_cid).toMatch(/^[0-9a-f]{32}$/);
    await h.runTasks();
  });

  it('does not dispatch while the previous task is unfinished, and skips missed slots', async () => {
    const id = await schedule('busy', new Date(Date.now() - 10 * 60_000).toISOString(), '1 minute');
    expect(await dispatchDueSchedules(workers[0]!, silentLogger)).toBe(1);
    // Due again (made so by hand), but its task has not run yet.
    await sql`UPDATE task_schedule SET next_dispatch = clock_timestamp() - interval '1 second' WHERE pulp_id = ${id}`.execute(
      h.api.database.db,
    );
    expect(await dispatchDueSchedules(workers[1]!, silentLogger)).toBe(0);
    await h.runTasks();
    expect(await dispatchDueSchedules(workers[2]!, silentLogger)).toBe(1);
    expect(await tasksOf(id)).toBe(2);
    const row = await h.api.database.db
      .selectFrom('task_schedule')
      .select('next_dispatch')
      .where('pulp_id', '=', id)
      .executeTakeFirstOrThrow();
    const next = new Date(row.next_dispatch!).getTime();
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + 61_000);
    await h.runTasks();
  });

  it('ends a one-shot schedule after its dispatch, and leaves future ones alone', async () => {
    const once = await schedule('once', new Date(Date.now() - 1000).toISOString(), null);
    const later = await schedule('later', new Date(Date.now() + 3_600_000).toISOString(), '1 day');
    expect(await dispatchDueSchedules(workers[3]!, silentLogger)).toBe(1);
    const rows = await h.api.database.db
      .selectFrom('task_schedule')
      .select(['pulp_id', 'next_dispatch', 'last_task_id'])
      .where('pulp_id', 'in', [once, later])
      .execute();
    const byId = new Map(rows.map((r) => [r.pulp_id, r]));
    expect(byId.get(once)!.next_dispatch).toBeNull();
    expect(byId.get(later)!.last_task_id).toBeNull();
    await h.runTasks();
  });
});

describe('task-schedules/', () => {
  it('lists schedules read-only with Pulp fields and filters, and mounts the roles actions', async () => {
    const get = (url: string) => h.api.app.inject({ method: 'GET', url, headers: { authorization: h.api.adminAuth } });
    const list = await get(`${API}task-schedules/?name=later`);
    expect(list.statusCode).toBe(200);
    const [item] = list.json().results as any[];
    expect(item).toMatchObject({ name: 'later', task_name: TASK, dispatch_interval: '1 00:00:00', last_task: null });
    expect(item.pulp_href).toMatch(/^\/pulp\/api\/v3\/task-schedules\/[0-9a-f-]{36}\/$/);
    const every = (await get(`${API}task-schedules/?name__contains=every`)).json().results[0];
    expect(every.dispatch_interval).toBe('01:00:00');
    expect(every.last_task).toMatch(/^\/pulp\/api\/v3\/tasks\//);
    expect((await get(`${API}task-schedules/?task_name__contains=orphan`)).json().count).toBe(4);
    expect((await get(item.pulp_href)).json().name).toBe('later');
    expect((await get(`${item.pulp_href}list_roles/`)).statusCode).toBe(200);
    const post = await h.api.app.inject({
      method: 'POST',
      url: `${API}task-schedules/`,
      payload: { name: 'x' },
      headers: { authorization: h.api.adminAuth },
    });
    expect(post.statusCode).toBe(405);
  });
});
