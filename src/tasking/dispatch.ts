import { sql } from 'kysely';
import type { Logger } from 'pino';

import { ValidationError } from '../core/errors.js';
import { requestedDiagnostics } from '../core/task-diagnostics.js';
import { apiPrefix, DEFAULT_DOMAIN_ID, isUuid, prn } from '../core/ids.js';
import type { Settings } from '../core/settings.js';
import type { Database } from '../db/database.js';
import type { Services } from '../plugin-api/operations.js';
import type { DispatchOptions, Dispatcher, TaskFunction, TaskRef } from '../plugin-api/tasks.js';
import type { Storage } from '../storage/storage.js';
import { finishTask, unblockAfter } from './claim-task.js';
import { taskingTasks } from './purge.js';
import { runTaskFunction } from './run-task.js';

/** Every task holds its domain shared unless it takes the domain exclusively (Pulp's implicit domain lock). */
export const DOMAIN_RESOURCE = prn('core.domain', DEFAULT_DOMAIN_ID);

/** Pulp's IMMEDIATE_TIMEOUT: an immediate task running inline fails after this long. */
export const IMMEDIATE_TIMEOUT_MS = 5000;

export interface DispatcherOptions {
  db: Database;
  settings: Settings;
  logger: Logger;
  /** Known task functions; dispatching another name is refused. */
  tasks: ReadonlyMap<string, TaskFunction>;
  storage: Storage;
  /**
   * Run immediate tasks inline when their resources are free (API processes and tasks). The content app
   * passes false: it queues them for workers, as Pulp's content app does.
   */
  runImmediate?: boolean;
  /** app_status id of this process: owner of inline tasks, so a crash mid-task is cleaned up as missing. */
  appId?: () => string | null;
}

export type ExtendedDispatchOptions = DispatchOptions & {
  loggingCid?: string;
  userId?: number | null;
  parentTaskId?: string | null;
};

function trailingId(value: string | null | undefined): string | null {
  if (!value) return null;
  const last = value.split(/[/:]/).filter(Boolean).pop() ?? '';
  if (!isUuid(last)) throw new ValidationError({ task_group: [`Invalid task group: ${value}`] });
  return last;
}

/** Exclusive and shared resource lists as stored, with the implicit shared domain resource. */
export function reservationLists(options: DispatchOptions): { exclusive: string[]; shared: string[] } {
  const exclusive = [
    ...new Set((options.exclusiveResources ?? []).filter((r): r is string => typeof r === 'string' && r !== '')),
  ];
  const shared = (options.sharedResources ?? [])
    .filter((r): r is string => typeof r === 'string' && r !== '')
    .map((r) => r.replace(/^shared:/, ''));
  if (!exclusive.includes(DOMAIN_RESOURCE)) shared.push(DOMAIN_RESOURCE);
  return { exclusive, shared: [...new Set(shared)].filter((r) => !exclusive.includes(r)) };
}

export interface TaskInsert {
  name: string;
  args: Record<string, unknown>;
  exclusive: string[];
  shared: string[];
  loggingCid: string;
  userId: number | null;
  parentTaskId: string | null;
  taskGroupId: string | null;
  /** Run in the dispatching process at once when the resources are free. */
  inline: boolean;
  deferred: boolean;
  appId: string | null;
}

/**
 * The one statement that creates a task (pulp_task_dispatch, migration 0002), to run on the pool or inside a
 * caller's transaction (the scheduler dispatches and moves the schedule in one transaction).
 */
export function insertTaskStatement(t: TaskInsert) {
  return sql<{ task_id: string; task_state: string }>`
        SELECT * FROM pulp_task_dispatch(${t.name}, ${JSON.stringify(t.args ?? {})}::jsonb, ${t.exclusive}::text[], ${t.shared}::text[],
          ${t.loggingCid}, ${t.userId}::integer, ${t.parentTaskId}::uuid,
          ${t.taskGroupId}::uuid, ${t.inline}, ${t.deferred}, ${t.appId}::uuid)`;
}

export function taskHref(prefix: string, id: string): string {
  return `${prefix}tasks/${id}/`;
}

/**
 * The PostgreSQL dispatcher: one statement inserts the task and its reservations under per-resource locks
 * (dispatch order = database order) and notifies the workers when it is runnable at once.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { db, settings, logger } = options;
  const tasks = new Map<string, TaskFunction>([...Object.entries(taskingTasks), ...options.tasks]);
  const prefix = apiPrefix(settings.API_ROOT);
  const storage = options.storage;
  const runImmediate = options.runImmediate ?? true;
  const log = logger.child({ component: 'dispatch' });

  const dispatcher: Dispatcher = {
    async dispatch(name: string, args: Record<string, unknown>, opts: ExtendedDispatchOptions): Promise<TaskRef> {
      const fn = tasks.get(name);
      if (!fn) throw new ValidationError({ name: [`Unknown task name: '${name}'.`] });
      const immediate = Boolean(opts.immediate);
      const deferred = opts.deferred ?? true;
      if (!immediate && !deferred)
        throw new ValidationError({ non_field_errors: ['A task must be immediate, deferred, or both.'] });
      const inline = immediate && runImmediate;
      const { exclusive, shared } = reservationLists(opts);
      const insert = insertTaskStatement({
        name,
        args,
        exclusive,
        shared,
        loggingCid: opts.loggingCid ?? '',
        userId: opts.userId ?? null,
        parentTaskId: opts.parentTaskId ?? null,
        taskGroupId: trailingId(opts.taskGroup),
        inline,
        deferred: inline ? deferred : true,
        appId: options.appId?.() ?? null,
      });
      // A request's X-Task-Diagnostics: recorded in the dispatch transaction, so no worker sees the task without it.
      const profile = opts.parentTaskId ? undefined : requestedDiagnostics.getStore();
      const row = profile
        ? await db.transaction().execute(async (trx) => {
            const r = (await insert.execute(trx)).rows[0];
            if (r)
              await sql`UPDATE task SET profile_options = ${profile}::text[] WHERE pulp_id = ${r.task_id}`.execute(trx);
            return r;
          })
        : await insert.execute(db).then((r) => r.rows[0]);
      if (!row) throw new Error('dispatch returned no task');
      const ref = { pulp_id: row.task_id, href: taskHref(prefix, row.task_id) };
      log.debug({ task: row.task_id, task_name: name, state: row.task_state }, 'task dispatched');
      if (inline && row.task_state === 'running') await runInline(ref.pulp_id, name, fn, args, opts);
      return ref;
    },
  };

  const services: Services = { db, settings, logger, apiPrefix: prefix, storage, dispatcher, extensions: new Map() };

  async function runInline(
    id: string,
    name: string,
    fn: TaskFunction,
    args: Record<string, unknown>,
    opts: ExtendedDispatchOptions,
  ) {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error('Immediate task timed out after 5 seconds.')),
      IMMEDIATE_TIMEOUT_MS,
    );
    try {
      const outcome = await runTaskFunction({
        fn,
        task: { id, name, args, loggingCid: opts.loggingCid ?? '', userId: opts.userId ?? null },
        services,
        logger: log,
        signal: controller.signal,
        timeoutMs: IMMEDIATE_TIMEOUT_MS,
      });
      const record = await finishTask(db, id, options.appId?.() ?? null, outcome);
      await unblockAfter(db, record);
    } finally {
      clearTimeout(timer);
    }
  }

  return dispatcher;
}
