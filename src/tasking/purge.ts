import { sql } from 'kysely';

import type { TaskFunction } from '../plugin-api/tasks.js';

export const PURGE_TASK_NAME = 'pulpcore.app.tasks.purge.purge';

/**
 * Pulp's task purge: deletes tasks in the given final states finished before the cutoff (never the purge task
 * itself), reporting the count as the `purge.tasks.total` progress report.
 */
export const purgeTask: TaskFunction = async (ctx) => {
  const finishedBefore = String(ctx.args.finished_before);
  const states = (ctx.args.states as string[] | undefined) ?? ['completed'];
  const deleted = await ctx.services.db
    .deleteFrom('task')
    .where('state', 'in', states as ('completed' | 'failed' | 'canceled')[])
    .where('finished_at', '<', sql<string>`${finishedBefore}::timestamptz`)
    .where('pulp_id', '<>', ctx.taskId)
    .executeTakeFirst();
  const n = Number(deleted.numDeletedRows);
  const report = await ctx.progress('Purged task-related objects total', 'purge.tasks.total', { total: n });
  report.increment(n);
  await report.done();
  return null;
};

/** Tasks the tasking system itself provides, merged into every registry it runs. */
export const taskingTasks = { [PURGE_TASK_NAME]: purgeTask };
