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
