/**
 * The hot statements of the tasking system (SQL functions of migration 0002_tasking).
 *
 * Strategy. Pulp decides runnability by scanning every unfinished task on each unblock pass (O(queue) per
 * event). Here runnability is decided incrementally, and only where it can change:
 * - at dispatch, under per-resource advisory locks, a task is runnable at once when no unfinished task holds a
 *   conflicting reservation (two index probes on `task_reservation (resource, seq)`);
 * - when a task ends, only the heads of its resources' queues are re-examined (the first task, or the leading
 *   run of shared ones), each with one index probe per resource of the candidate.
 * A blocked task therefore costs nothing until it reaches the head of its queue: claim time does not depend
 * on how many tasks wait (bench/tasks.ts, measurement 4).
 *
 * Ownership. A claim is one `UPDATE ... WHERE pulp_id = (SELECT ... ORDER BY immediate DESC, seq LIMIT 1 FOR
 * UPDATE SKIP LOCKED)` over a partial index holding only claimable rows. SKIP LOCKED, not advisory locks:
 * concurrent workers take different rows without waiting on each other and without holding any session
 * state (safe behind a transaction pooler); the owner is the `worker_id` column, visible to the missing-worker
 * cleanup, whereas a session advisory lock would be invisible to it and lost on any reconnect.
 */
import { sql } from 'kysely';

import type { Database } from '../db/database.js';
import type { TaskOutcome } from './run-task.js';

export interface ClaimedTask {
  task_id: string;
  task_name: string;
  task_args: Record<string, unknown>;
  /** `running` (claimed to run) or `canceling` (canceled while waiting: finalise as canceled). */
  task_state: string;
  task_logging_cid: string;
  task_user_id: number | null;
  task_immediate: boolean;
}

/**
 * Unblocks what the previous task of this worker freed (`previousRecord`, from finishTask), then claims the
 * oldest claimable task: one round trip per task.
 */
export async function claimTask(
  db: Database,
  workerId: string,
  previousRecord: string[] | null = null,
): Promise<ClaimedTask | null> {
  const r = await sql<ClaimedTask>`SELECT * FROM pulp_task_claim(${workerId}::uuid, ${previousRecord}::text[])`.execute(
    db,
  );
  return r.rows[0] ?? null;
}

/**
 * Ends a task this owner runs (`ownerId` null for unowned inline tasks). Returns its reservation record, to be
 * passed to unblockAfter (or claimTask) AFTER this commit, or null when the task was no longer ours.
 */
export async function finishTask(
  db: Database,
  taskId: string,
  ownerId: string | null,
  outcome: TaskOutcome,
): Promise<string[] | null> {
  const result = outcome.outcome === 'completed' ? JSON.stringify(outcome.result ?? null) : null;
  const error = outcome.outcome === 'completed' ? null : JSON.stringify(outcome.error);
  const r = await sql<{ record: string[] | null }>`
    SELECT pulp_task_finish(${taskId}::uuid, ${ownerId}::uuid, ${outcome.outcome}, ${result}::jsonb, ${error}::jsonb) AS record`.execute(
    db,
  );
  return r.rows[0]?.record ?? null;
}

/** Marks runnable the tasks that the end of a task freed; must run after the finishing transaction. */
export async function unblockAfter(db: Database, record: string[] | null): Promise<number> {
  if (!record) return 0;
  const r = await sql<{ n: number }>`SELECT pulp_task_unblock(${record}::text[]) AS n`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/** Pacemaker: re-examines the oldest blocked tasks, covering an evaluation lost with a crashed process. */
export async function unblockOldest(db: Database, limit = 100): Promise<number> {
  const r = await sql<{ n: number }>`SELECT pulp_task_unblock_oldest(${limit}::integer) AS n`.execute(db);
  return r.rows[0]?.n ?? 0;
}
