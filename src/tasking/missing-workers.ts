import { sql } from 'kysely';
import type { Logger } from 'pino';

import { API_APP_TTL_SECONDS } from '../db/app-status.js';
import type { Database } from '../db/database.js';
import { finishTask, unblockAfter } from './claim-task.js';

/** Pulp's API_APP_TTL: owner of inline (immediate) tasks run by an API process. */
/** An unowned running task (inline run without an app record) is abandoned after this long. */
const UNOWNED_RUNNING_SECONDS = 60;

/**
 * Fails the tasks of processes whose heartbeat is older than their TTL (or that stopped) and frees their
 * resources. Any live worker may run it at any time: pulp_task_finish only ends a task still owned by the
 * missing process, so concurrent passes never double-finish. A task that was being canceled ends canceled.
 */
export async function cleanupMissingWorkers(db: Database, workerTtlSeconds: number, logger: Logger): Promise<number> {
  const abandoned = await sql<{ pulp_id: string; worker_id: string | null; name: string | null }>`
    SELECT t.pulp_id, t.worker_id, a.name
    FROM task t LEFT JOIN app_status a ON a.pulp_id = t.worker_id
    WHERE t.state IN ('running', 'canceling')
      AND (
        (t.worker_id IS NULL AND t.state = 'running'
          AND t.started_at < clock_timestamp() - make_interval(secs => ${UNOWNED_RUNNING_SECONDS}))
        OR a.stopped_at IS NOT NULL
        OR a.last_heartbeat < clock_timestamp() - make_interval(secs =>
             CASE WHEN a.app_type = 'worker' THEN ${workerTtlSeconds}::float8 ELSE ${API_APP_TTL_SECONDS}::float8 END))`.execute(
    db,
  );
  let n = 0;
  for (const t of abandoned.rows) {
    const who = t.name ? `Worker ${t.name}` : 'The process running this task';
    const record = await finishTask(db, t.pulp_id, t.worker_id, {
      outcome: 'failed',
      error: {
        description: `${who} has gone missing (no heartbeat); the task was abandoned.`,
        reason: 'Worker has gone missing.',
        traceback: null,
      },
    });
    if (record) {
      n += 1;
      logger.warn({ task: t.pulp_id, worker: t.name }, 'failed a task of a missing worker');
      await unblockAfter(db, record);
    }
  }
  return n;
}
