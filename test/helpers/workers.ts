import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Database } from '../../src/db/database.js';
import { waitFor } from './db.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_TASKS_MODULE = path.join(root, 'test/helpers/tasking-tasks.ts');

export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  output: () => string;
}

/** Starts a real `pulpcore-worker` process on the test database and waits until it registered. */
export async function startWorker(
  db: Database,
  databaseUrl: string,
  options: { name: string; workerTtl?: number; env?: Record<string, string> },
): Promise<WorkerProcess> {
  let out = '';
  const child = spawn(process.execPath, [path.join(root, 'bin/pulpcore-worker.js'), '--name', options.name], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PULP_DATABASE_URL: databaseUrl,
      PULP_WORKER_TTL: String(options.workerTtl ?? 30),
      PULP_LOG_LEVEL: 'warn',
      PULP_HOME: path.join('/tmp', `pulp-ts-worker-home-${process.pid}`),
      PULP_TS_EXTRA_TASK_MODULES: TEST_TASKS_MODULE,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`worker ${options.name} exited: ${out}`);
      const row = await db
        .selectFrom('app_status')
        .select('pulp_id')
        .where('name', '=', options.name)
        .where('stopped_at', 'is', null)
        .executeTakeFirst();
      return row;
    },
    { timeoutMs: 90_000, what: `worker ${options.name} to register` },
  );
  return { child, name: options.name, output: () => out };
}

/** SIGTERM and wait for the exit (graceful stop). */
export async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill('SIGTERM');
  await exited;
}
