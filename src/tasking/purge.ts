import { sql } from 'kysely';

import type { Database } from '../db/database.js';
import { loadUserPermissions, objectIdsWithPermission } from '../plugin-api/rbac-permissions.js';
import type { TaskFunction } from '../plugin-api/tasks.js';

export const PURGE_TASK_NAME = 'pulpcore.app.tasks.purge.purge';

/**
 * Pulp's task purge: deletes tasks in the given final states finished before the cutoff (never the purge task
 * itself), reporting the count as the `purge.tasks.total` progress report.
 */
export const purgeTask: TaskFunction = async (ctx) => {
  const finishedBefore = String(ctx.args.finished_before);
  const states = (ctx.args.states as string[] | undefined) ?? ['completed'];
  let query = ctx.services.db
    .deleteFrom('task')
    .where('state', 'in', states as ('completed' | 'failed' | 'canceled')[])
    .where('finished_at', '<', sql<string>`${finishedBefore}::timestamptz`)
    .where('pulp_id', '<>', ctx.taskId);
  // As in Pulp, a user purges only the tasks it may delete (core.delete_task, model-wide or per task).
  const scope = await deletableTasks(ctx.services.db, ctx.taskId);
  if (scope) query = query.where(scope);
  const deleted = await query.executeTakeFirst();
  const n = Number(deleted.numDeletedRows);
  const report = await ctx.progress('Purged task-related objects total', 'purge.tasks.total', { total: n });
  report.increment(n);
  await report.done();
  return null;
};

/** Null when the purging task's user may delete every task (superuser, global permission or no user). */
async function deletableTasks(db: Database, purgeTaskId: string) {
  const owner = await db
    .selectFrom('task')
    .leftJoin('auth_user', 'auth_user.id', 'task.user_id')
    .select(['auth_user.id', 'auth_user.is_superuser'])
    .where('task.pulp_id', '=', purgeTaskId)
    .executeTakeFirst();
  if (!owner?.id) return null;
  const perms = await loadUserPermissions(db, { id: owner.id, isSuperuser: owner.is_superuser ?? false });
  if (perms.hasModel('core.delete_task')) return null;
  return sql<boolean>`pulp_id::text IN ${objectIdsWithPermission(owner.id, 'core.task', 'core.delete_task')}`;
}

/** Tasks the tasking system itself provides, merged into every registry it runs. */
export const taskingTasks = { [PURGE_TASK_NAME]: purgeTask };
