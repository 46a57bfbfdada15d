import { sql } from 'kysely';
import type { Logger } from 'pino';

import { PulpError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import type { Services } from '../plugin-api/operations.js';
import { applyCreationHooks } from '../plugin-api/rbac-permissions.js';
import type { ProgressReporter, TaskContext, TaskFunction } from '../plugin-api/tasks.js';
import { withTaskProfilers } from './task-profilers.js';

/** How a task run ended, as handed to pulp_task_finish. */
export type TaskOutcome =
  { outcome: 'completed'; result: unknown } | { outcome: 'failed' | 'canceled'; error: Record<string, unknown> };

export interface RunnableTask {
  id: string;
  name: string;
  args: Record<string, unknown>;
  loggingCid: string;
  userId: number | null;
}

/** Progress writes are batched: at most one per report per interval while it runs. */
const PROGRESS_FLUSH_MS = 500;

/** Pulp's task error shape: `description` (what clients print), `traceback`, and the PLP code when known. */
export function errorRecord(err: unknown): Record<string, unknown> {
  const e = err instanceof Error ? err : new Error(String(err));
  const out: Record<string, unknown> = { description: e.message || e.name, traceback: e.stack ?? null };
  if (err instanceof PulpError) out.error_code = err.code;
  return out;
}

class BatchedProgress implements ProgressReporter {
  private pending = 0;
  private totalChanged = false;
  private timer: NodeJS.Timeout | null = null;
  private total: number | null;
  private writing: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly db: Database,
    private readonly id: string,
    total: number | null,
    private readonly logger: Logger,
  ) {
    this.total = total;
  }

  increment(n = 1): void {
    this.pending += n;
    this.schedule();
  }

  setTotal(total: number): void {
    this.total = total;
    this.totalChanged = true;
    this.schedule();
  }

  async done(state: 'completed' | 'failed' | 'canceled' | 'skipped' = 'completed'): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const first = !this.finished;
    this.finished = true;
    await this.flush(first ? state : undefined);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((err: unknown) => this.logger.warn({ err }, 'progress report write failed'));
    }, PROGRESS_FLUSH_MS);
    this.timer.unref();
  }

  private flush(state?: string): Promise<void> {
    const add = this.pending;
    const setTotal = this.totalChanged;
    this.pending = 0;
    this.totalChanged = false;
    this.writing = this.writing.then(async () => {
      if (add === 0 && !setTotal && !state) return;
      await this.db
        .updateTable('progress_report')
        .set({
          done: sql<number>`done + ${add}`,
          ...(setTotal ? { total: this.total } : {}),
          ...(state ? { state } : {}),
          pulp_last_updated: sql<string>`clock_timestamp()`,
        })
        .where('pulp_id', '=', this.id)
        .execute();
    });
    return this.writing;
  }
}

export interface RunTaskOptions {
  fn: TaskFunction;
  task: RunnableTask;
  services: Services;
  logger: Logger;
  signal: AbortSignal;
  /** Fails the task when the function has not returned after this long (immediate tasks only). */
  timeoutMs?: number;
}

/** Builds the task's context and runs its function; never throws (errors become the failed outcome). */
export async function runTaskFunction(options: RunTaskOptions): Promise<TaskOutcome> {
  const { task, services, signal } = options;
  const db = services.db;
  const logger = options.logger.child({ task: task.id, task_name: task.name, cid: task.loggingCid });
  const reporters: BatchedProgress[] = [];
  const ctx: TaskContext = {
    taskId: task.id,
    args: task.args,
    services,
    logger,
    signal,
    async progress(message, code, opts = {}) {
      const row = await db
        .insertInto('progress_report')
        .values({
          task_id: task.id,
          message,
          code,
          total: opts.total ?? null,
          suffix: opts.suffix ?? null,
          state: opts.state ?? 'running',
        })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      const reporter = new BatchedProgress(db, row.pulp_id, opts.total ?? null, logger);
      reporters.push(reporter);
      return reporter;
    },
    async addCreatedResource(href) {
      await db
        .updateTable('task')
        .set({ created_resources: sql<string[]>`array_append(created_resources, ${href})` })
        .where('pulp_id', '=', task.id)
        .execute();
      // Pulp's creation hooks: the task's user becomes owner of what the task created.
      await applyCreationHooks(db, services.apiPrefix, task.userId, href);
    },
    dispatch(name, args, opts) {
      return services.dispatcher.dispatch(name, args, {
        ...opts,
        loggingCid: task.loggingCid,
        userId: task.userId,
        parentTaskId: task.id,
      });
    },
  };
  logger.info('task started');
  let outcome: TaskOutcome;
  try {
    let result: unknown;
    const fn = options.fn;
    const run = () => withTaskProfilers(services, task.id, logger, () => fn(ctx));
    if (options.timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new PulpError(`Immediate task timed out after ${options.timeoutMs! / 1000} seconds.`)),
          options.timeoutMs,
        );
      });
      try {
        result = await Promise.race([run(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } else {
      result = await run();
    }
    outcome = { outcome: 'completed', result: result === undefined ? null : result };
  } catch (err) {
    outcome = signal.aborted
      ? { outcome: 'canceled', error: errorRecord(err) }
      : { outcome: 'failed', error: errorRecord(err) };
  }
  // Unflushed increments still reach the database; final states are set with the task's.
  await Promise.all(
    reporters.map((r) =>
      r.done(outcome.outcome === 'completed' ? 'completed' : outcome.outcome).catch(() => undefined),
    ),
  );
  logger.info({ state: outcome.outcome }, 'task finished');
  return outcome;
}
