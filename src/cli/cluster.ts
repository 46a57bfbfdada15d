import cluster, { type Worker } from 'node:cluster';

import type { Logger } from 'pino';

import { answerMetricsRequests } from '../core/metrics.js';
import { EXIT_CANNOT_SERVE } from './run-cli.js';

export interface ClusterOptions {
  processes: number;
  logger: Logger;
  /** Starts one serving process and returns its graceful stop. */
  start(): Promise<() => Promise<void>>;
}

/** Stops on SIGINT/SIGTERM, once (`pulp-ts run` also preloads bin/supervisor-watch.js, which sends SIGTERM when it dies). */
function onShutdown(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * Runs `processes` copies of a server sharing one listening port through node:cluster (the primary only
 * supervises: a copy that dies is replaced, with a growing delay when it keeps dying). One process runs
 * in-process, without a primary.
 */
export async function runClustered(options: ClusterOptions): Promise<void> {
  const { logger } = options;
  if (options.processes <= 1 || cluster.isWorker) {
    const stop = await options.start();
    onShutdown(async (signal) => {
      logger.info({ signal }, 'stopping');
      const force = setTimeout(() => process.exit(1), 15_000);
      force.unref();
      try {
        await stop();
      } catch (err) {
        logger.warn({ err }, 'error while stopping');
      }
      process.exit(0);
    });
    return;
  }

  // Any copy may answer a scrape: it asks the primary for the sum over every copy.
  answerMetricsRequests();
  let stopping = false;
  const failures = new Map<number, number>();
  const fork = (slot: number) => {
    const started = Date.now();
    const worker: Worker = cluster.fork();
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      if (code === EXIT_CANNOT_SERVE) {
        // It said why on stderr (e.g. the port is taken); every copy would fail the same way.
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
        process.exit(EXIT_CANNOT_SERVE);
      }
      const lived = Date.now() - started;
      const n = lived > 60_000 ? 0 : (failures.get(slot) ?? 0) + 1;
      failures.set(slot, n);
      const delay = Math.min(30_000, n === 0 ? 0 : 500 * 2 ** (n - 1));
      logger.warn({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'server process exited; restarting');
      setTimeout(() => !stopping && fork(slot), delay);
    });
  };
  for (let i = 0; i < options.processes; i++) fork(i);
  onShutdown(async (signal) => {
    stopping = true;
    logger.info({ signal }, 'stopping server processes');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), 15_000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    process.exit(0);
  });
}
