import { loadSettings } from '../core/settings.js';
import { createDatabase, databaseTimeouts } from '../db/database.js';
import { TaskExecutor } from '../tasking/executor.js';
import type { TaskThreadData } from '../tasking/task-thread.js';
import { createStorage } from '../storage/create-storage.js';
import { TaskWorker } from '../tasking/worker.js';
import { findDatabaseUrl, noDatabaseError } from './database.js';
import { createLogger } from './logger.js';
// Declares the plugins' settings (not the plugins: the task thread loads those).
import './plugin-settings.js';
import { EXIT_CANNOT_SERVE, parseArgs, runCli } from './run-cli.js';
import { removeThreadTempFiles, startTempSweeper } from './temp-files.js';

const TASK_THREAD_YOUNG_GENERATION_MB = 24;

const USAGE = `usage: pulpcore-worker [--name NAME]

Runs one task worker (one task at a time) on the configured database (PULP_DATABASE_URL or DATABASES in
settings.yaml), or else on the running embedded database of its PULP_HOME (started by \`pulp-ts run\`).
PULP_TS_EXTRA_TASK_MODULES (comma separated module paths exporting \`tasks\`) adds task functions; the
test suite uses it for its test tasks.`;

runCli(
  'pulpcore-worker',
  async () => {
    const { flags } = parseArgs(process.argv.slice(2), { strings: ['name'], booleans: ['help'] });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const settings = loadSettings({ env: process.env });
    const databaseUrl = await findDatabaseUrl(settings);
    if (!databaseUrl) throw noDatabaseError(settings);
    const logger = createLogger(settings, 'worker');
    const extraTaskModules = (process.env.PULP_TS_EXTRA_TASK_MODULES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const threadModule = new URL(
      import.meta.url.endsWith('.ts') ? './task-thread.ts' : './task-thread.js',
      import.meta.url,
    );
    const workerData: TaskThreadData = { settings, databaseUrl, extraTaskModules };
    const tempDir = (await createStorage(settings)).tempDir();
    const executor = new TaskExecutor({
      threadModule,
      workerData: { ...workerData },
      logger: logger.child({ component: 'executor' }),
      onThreadExit: (threadId) => void removeThreadTempFiles(tempDir, threadId, logger),
      // The thread allocates heavily while it syncs: its young generation keeps room (the process's own flag,
      // which `pulp-ts run` sets small for the idle main thread, would apply to it too).
      maxYoungGenerationSizeMb: TASK_THREAD_YOUNG_GENERATION_MB,
    });
    const { db } = createDatabase({
      url: databaseUrl,
      max: 3,
      applicationName: 'pulpcore-worker',
      ...databaseTimeouts(settings),
    });
    const stopSweeper = startTempSweeper({ dir: tempDir, db, logger });
    const worker = new TaskWorker({
      db,
      databaseUrl,
      settings,
      logger,
      executor,
      name: typeof flags.name === 'string' ? flags.name : undefined,
    });
    try {
      await worker.start();
    } catch (err) {
      await executor.close();
      await db.destroy();
      throw err;
    }
    await new Promise<void>((resolve) => {
      let stopping = false;
      const onSignal = (signal: string) => {
        if (stopping) return;
        stopping = true;
        // The supervisor of `pulp-ts run` died (bin/supervisor-watch.js): a task left running here would hold
        // its locks for as long as it takes, in a process nobody supervises, while a new run starts beside it.
        const orphaned = process.env.PULP_TS_SUPERVISOR_GONE === '1';
        logger.info(
          { signal, orphaned },
          orphaned ? 'the supervisor is gone; aborting the running task' : 'graceful shutdown',
        );
        worker.stop(orphaned ? 0 : undefined).then(resolve, (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve();
        });
      };
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGHUP', () => onSignal('SIGHUP'));
    });
    stopSweeper();
    await db.destroy();
    return 0;
  },
  { cannotServeExitCode: EXIT_CANNOT_SERVE },
);
