import { parentPort, workerData } from 'node:worker_threads';

import { pino } from 'pino';

import { apiPrefix } from '../core/ids.js';
import type { Settings } from '../core/settings.js';
import { createDatabase } from '../db/database.js';
import { setProcessAddressPolicy } from '../download/address-policy.js';
import type { Services } from '../plugin-api/operations.js';
import type { TaskFunction } from '../plugin-api/tasks.js';
import type { Storage } from '../storage/storage.js';
import { createDispatcher } from './dispatch.js';
import type { FromThread, ToThread } from './executor.js';
import { taskingTasks } from './purge.js';
import { runTaskFunction } from './run-task.js';

/** What a worker process hands to its task thread. */
export interface TaskThreadData {
  settings: Settings;
  databaseUrl: string;
  /** Modules exporting `tasks: Record<string, TaskFunction>`, added to the registry (tests use this). */
  extraTaskModules: string[];
}

/** Loads the extra task modules named in TaskThreadData. */
export async function loadExtraTasks(modules: string[]): Promise<Map<string, TaskFunction>> {
  const out = new Map<string, TaskFunction>();
  for (const m of modules) {
    const mod = (await import(m)) as { tasks?: Record<string, TaskFunction> };
    for (const [name, fn] of Object.entries(mod.tasks ?? {})) out.set(name, fn);
  }
  return out;
}

/**
 * The body of a task thread: receives tasks one at a time, runs them with their own services (a small pool of
 * its own), and answers each with its outcome. `loadTasks` builds the task registry (core + plugins); only the
 * thread loads it, so the worker's main thread stays small.
 */
export async function runTaskThread(
  loadTasks: (settings: Settings) => { tasks: ReadonlyMap<string, TaskFunction>; versions: Record<string, string> },
  /** Builds the thread's storage (the thread is its own JS realm, so the entry point builds one for it). */
  createStorage: (settings: Settings) => Storage | Promise<Storage>,
): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runTaskThread must run in a worker thread');
  const data = workerData as TaskThreadData;
  const settings = data.settings;
  setProcessAddressPolicy({ denyPrivate: settings.DENY_PRIVATE_REMOTE_ADDRESSES });
  const registry = loadTasks(settings);
  const tasks = new Map<string, TaskFunction>([
    ...Object.entries(taskingTasks),
    ...registry.tasks,
    ...(await loadExtraTasks(data.extraTaskModules)),
  ]);
  const logger = pino({ level: settings.LOG_LEVEL, base: { pid: process.pid, process: 'worker', thread: 'task' } });
  const { db } = createDatabase({
    url: data.databaseUrl,
    max: 4,
    applicationName: 'pulp-ts task',
    // A task's statements (bulk inserts of a large sync) may legitimately run long: only connecting is bounded.
    connectTimeout: settings.DB_CONNECT_TIMEOUT,
    queryTimeout: null,
  });
  const storage = await createStorage(settings);
  const dispatcher = createDispatcher({ db, settings, logger, tasks, storage });
  const services: Services = {
    db,
    settings,
    logger,
    apiPrefix: apiPrefix(settings.API_ROOT),
    storage,
    dispatcher,
    extensions: new Map(),
  };
  let current: { id: string; controller: AbortController } | null = null;
  // A bug outside any promise (a library throwing from an event handler) would end the thread with only
  // "died unexpectedly"; the task fails with the cause instead, and the thread is replaced, since its state
  // is no longer known to be sound.
  const onFatal = (err: unknown) => {
    logger.error({ err, task: current?.id }, 'uncaught error in the task thread');
    if (current) {
      const description = `The task failed on an unexpected error in the worker: ${(err as Error)?.message ?? String(err)}`;
      port.postMessage({
        type: 'done',
        taskId: current.id,
        outcome: { outcome: 'failed', error: { description, traceback: (err as Error)?.stack ?? null } },
        retire: true,
      } satisfies FromThread);
      current = null;
    } else {
      port.postMessage({ type: 'retire' } satisfies FromThread);
    }
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);

  port.on('message', (msg: ToThread) => {
    if (msg.type === 'cancel') {
      if (current?.id === msg.taskId) current.controller.abort(new Error('Task canceled.'));
      return;
    }
    const task = msg.task;
    const controller = new AbortController();
    current = { id: task.id, controller };
    const fn = tasks.get(task.name);
    const run: Promise<FromThread> = fn
      ? runTaskFunction({ fn, task, services, logger, signal: controller.signal }).then((outcome) => ({
          type: 'done',
          taskId: task.id,
          outcome,
        }))
      : Promise.resolve({
          type: 'done',
          taskId: task.id,
          outcome: {
            outcome: 'failed',
            error: {
              description: `Task name '${task.name}' is not registered in this worker (unknown task or plugin not installed).`,
              traceback: null,
            },
          },
        });
    void run.then((reply) => {
      current = null;
      port.postMessage(reply);
    });
  });
  port.postMessage({ type: 'ready', versions: registry.versions } satisfies FromThread);
}
