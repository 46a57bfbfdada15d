import type { Logger } from 'pino';

import type { Services } from './operations.js';

/** A progress report of a running task, as shown in the task's `progress_reports`. */
export interface ProgressReporter {
  /** Adds `n` (default 1) to `done`; writes are batched by the tasking layer. */
  increment(n?: number): void;
  setTotal(total: number): void;
  /** Final state: `completed` unless given. */
  done(state?: 'completed' | 'failed' | 'canceled' | 'skipped'): Promise<void>;
}

export interface TaskContext {
  taskId: string;
  /** The task's JSON arguments as dispatched. */
  args: Record<string, unknown>;
  services: Services;
  logger: Logger;
  /** Aborted when the task is canceled; pass it to every download and file write. */
  signal: AbortSignal;
  /** Creates a progress report (`message`, `code`, optional `total`, `suffix`). */
  progress(
    message: string,
    code: string,
    options?: { total?: number; suffix?: string; state?: 'running' | 'waiting' },
  ): Promise<ProgressReporter>;
  /** Records an href in the task's `created_resources`. */
  addCreatedResource(href: string): Promise<void>;
  /** Dispatches a child task (its `parent_task` is this task). */
  dispatch(
    name: string,
    args: Record<string, unknown>,
    options: DispatchOptions,
  ): Promise<{ pulp_id: string; href: string }>;
}

export interface DispatchOptions {
  /** Resource strings (hrefs or PRNs) used exclusively. */
  exclusiveResources?: string[];
  /** Resource strings used shared (recorded with the `shared:` prefix). */
  sharedResources?: string[];
  taskGroup?: string | null;
  /** Run at once in the dispatching process when the resources are free (Pulp's immediate=True). */
  immediate?: boolean;
  /** With `immediate`: whether the task may be deferred to a worker when it cannot run at once. */
  deferred?: boolean;
}

/** A task function returns its JSON result (Pulp's `result`), or nothing. */
export type TaskFunction = (ctx: TaskContext) => Promise<unknown>;

export interface TaskRef {
  pulp_id: string;
  /** `<API prefix>tasks/<uuid>/` */
  href: string;
}

/** Dispatches tasks; the API passes the request's correlation id and user. */
export interface Dispatcher {
  dispatch(
    name: string,
    args: Record<string, unknown>,
    options: DispatchOptions & { loggingCid?: string; userId?: number | null; parentTaskId?: string | null },
  ): Promise<TaskRef>;
}
