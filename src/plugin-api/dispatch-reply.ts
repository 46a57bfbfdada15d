import type { Reply, RequestContext } from './operations.js';
import type { DispatchOptions } from './tasks.js';

/** Dispatches a task for an API request and answers Pulp's 202 `{"task": href}`. */
export async function dispatchReply(
  ctx: RequestContext,
  name: string,
  args: Record<string, unknown>,
  options: DispatchOptions,
): Promise<Reply> {
  const task = await ctx.services.dispatcher.dispatch(name, args, {
    ...options,
    loggingCid: ctx.correlationId,
    userId: ctx.user?.id ?? null,
  });
  return { status: 202, body: { task: task.href } };
}

/** One task of a group (see `dispatchGroupReply`). */
export interface GroupTask {
  name: string;
  args: Record<string, unknown>;
  options: Omit<DispatchOptions, 'taskGroup'>;
}

/**
 * Creates a task group, dispatches `tasks` into it and answers Pulp's 202 `{"task_group": href}`. The group is
 * marked `all_tasks_dispatched` only after the last task is in, so a client polling the group never sees it
 * finished while tasks are still being added (pulpcore's `TaskGroup.finish()`).
 */
export async function dispatchGroupReply(ctx: RequestContext, description: string, tasks: GroupTask[]): Promise<Reply> {
  const { db, dispatcher, apiPrefix } = ctx.services;
  const group = await db
    .insertInto('task_group')
    .values({ description })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  for (const t of tasks)
    await dispatcher.dispatch(t.name, t.args, {
      ...t.options,
      taskGroup: group.pulp_id,
      loggingCid: ctx.correlationId,
      userId: ctx.user?.id ?? null,
    });
  await db.updateTable('task_group').set({ all_tasks_dispatched: true }).where('pulp_id', '=', group.pulp_id).execute();
  return { status: 202, body: { task_group: `${apiPrefix}task-groups/${group.pulp_id}/` } };
}
