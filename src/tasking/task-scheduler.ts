import { randomUUID } from 'node:crypto';

import { sql } from 'kysely';
import type { Logger } from 'pino';

import type { Database } from '../db/database.js';
import { insertTaskStatement, reservationLists } from './dispatch.js';

/** Pulp's advisory lock key of one scheduling pass, `(0, 42)`. */
const SCHEDULE_LOCK = sql`0, 42`;

/**
 * One scheduling pass, run by every worker on every beat (Pulp's `dispatch_scheduled_tasks`). Exactly once
 * across workers: a pass runs under a transaction-scoped advisory lock that other workers skip, and each due
 * schedule's task is inserted and the schedule moved to its next time in that same transaction, so no pass can
 * see a schedule as due again once its task exists. A schedule whose last task is still unfinished waits; a
 * recurring one moves to its first future slot (missed slots are not made up), a one-shot one ends (null).
 * Returns the number of tasks dispatched.
 */
export async function dispatchDueSchedules(db: Database, logger: Logger): Promise<number> {
  const dispatched = await db.transaction().execute(async (trx) => {
    const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${SCHEDULE_LOCK}) AS ok`.execute(trx);
    if (!lock.rows[0]?.ok) return [];
    const due = await sql<{ pulp_id: string; name: string; task_name: string; task_args: Record<string, unknown> }>`
      SELECT s.pulp_id, s.name, s.task_name, s.task_args FROM task_schedule s
      LEFT JOIN task t ON t.pulp_id = s.last_task_id
      WHERE s.next_dispatch <= clock_timestamp()
        AND (t.pulp_id IS NULL OR t.state IN ('completed', 'failed', 'canceled', 'skipped'))
      ORDER BY s.next_dispatch FOR UPDATE OF s`.execute(trx);
    const out: { schedule: string; task: string }[] = [];
    for (const s of due.rows) {
      const { exclusive, shared } = reservationLists({});
      const cid = randomUUID().replace(/-/g, '');
      const task = await insertTaskStatement({
        name: s.task_name,
        args: s.task_args,
        exclusive,
        shared,
        loggingCid: cid,
        userId: null,
        parentTaskId: null,
        taskGroupId: null,
        inline: false,
        deferred: true,
        appId: null,
      }).execute(trx);
      const id = task.rows[0]?.task_id;
      if (!id) continue;
      await sql`UPDATE task_schedule SET last_task_id = ${id}, pulp_last_updated = clock_timestamp(),
          next_dispatch = CASE WHEN dispatch_interval IS NULL THEN NULL
            ELSE next_dispatch + dispatch_interval * (1 + floor(extract(epoch FROM clock_timestamp() - next_dispatch)
              / greatest(extract(epoch FROM dispatch_interval), 0.001))) END
        WHERE pulp_id = ${s.pulp_id}`.execute(trx);
      out.push({ schedule: s.name, task: id });
    }
    return out;
  });
  for (const d of dispatched) logger.info({ schedule: d.schedule, task: d.task }, 'dispatched scheduled task');
  return dispatched.length;
}
