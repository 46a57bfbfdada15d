import type { Dispatcher, TaskFunction } from '../../src/plugin-api/tasks.js';
import { claimTask, finishTask, unblockAfter } from '../../src/tasking/claim-task.js';
import { createDispatcher } from '../../src/tasking/dispatch.js';
import { taskingTasks } from '../../src/tasking/purge.js';
import { runTaskFunction } from '../../src/tasking/run-task.js';
import type { PluginDefinition } from '../../src/plugin-api/define-plugin.js';
import { createTestApi, silentLogger, type TestApi } from './api.js';

export interface ApiWithTasks {
  api: TestApi;
  /** Runs every claimable task in this process, through the real claim/finish code, until none is left. */
  runTasks(): Promise<number>;
  /** The task resource after running the queue. */
  task(href: string): Promise<Record<string, unknown>>;
}

/**
 * An API whose dispatcher is the real tasking dispatcher over the test database; tasks stay queued until
 * `runTasks()` plays the worker's part in this process.
 */
export async function createApiWithTasks(
  settings: Record<string, unknown> = {},
  plugins?: PluginDefinition[],
  /** Run immediate tasks inline in the dispatching request, as the API process does (default: queue them too). */
  options: { runImmediate?: boolean } = {},
): Promise<ApiWithTasks> {
  const ref: { current: Dispatcher | null } = { current: null };
  const lazy: Dispatcher = { dispatch: (...args) => ref.current!.dispatch(...args) };
  const api = await createTestApi({ dispatcher: lazy, settings, plugins });
  // The worker merges the tasking system's own tasks (purge) into the registry's; so does this runner.
  const tasks: ReadonlyMap<string, TaskFunction> = new Map([...Object.entries(taskingTasks), ...api.registry.tasks]);
  ref.current = createDispatcher({
    db: api.database.db,
    settings: api.settings,
    logger: silentLogger,
    tasks,
    storage: api.services.storage,
    runImmediate: options.runImmediate ?? false,
  });
  const worker = await api.database.db
    .insertInto('app_status')
    .values({ name: `test-worker-${process.pid}`, app_type: 'worker', versions: '{}' })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  async function runTasks(): Promise<number> {
    let n = 0;
    let record: string[] | null = null;
    for (;;) {
      const claimed = await claimTask(api.database.db, worker.pulp_id, record);
      if (!claimed) return n;
      const fn = tasks.get(claimed.task_name);
      if (!fn) throw new Error(`no task function ${claimed.task_name}`);
      const outcome = await runTaskFunction({
        fn,
        task: {
          id: claimed.task_id,
          name: claimed.task_name,
          args: claimed.task_args,
          loggingCid: claimed.task_logging_cid,
          userId: claimed.task_user_id,
        },
        services: api.services,
        logger: silentLogger,
        signal: new AbortController().signal,
      });
      record = await finishTask(api.database.db, claimed.task_id, worker.pulp_id, outcome);
      n += 1;
    }
  }
  return {
    api,
    runTasks: async () => {
      const n = await runTasks();
      await unblockAfter(api.database.db, null);
      return n;
    },
    async task(href) {
      const res = await api.app.inject({ method: 'GET', url: href, headers: { authorization: api.adminAuth } });
      return res.json<Record<string, unknown>>();
    },
  };
}
