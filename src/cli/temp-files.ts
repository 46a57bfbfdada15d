import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';

import type { Logger } from 'pino';

import type { TempOwner } from '../core/temp-names.js';
import { API_APP_TTL_SECONDS, liveProcessNames } from '../db/app-status.js';
import type { Database } from '../db/database.js';
import { removeTempFilesOf, sweepTempDir } from '../storage/temp-sweep.js';

/** How often each process sweeps the temporary folder. */
const SWEEP_INTERVAL_MS = 10 * 60_000;
/** Unowned temporary files (not named by ownedTempName) are removed after this long without a change. */
const UNOWNED_MAX_AGE_MS = 60 * 60_000;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Sweeps `MEDIA_ROOT/tmp` now and every SWEEP_INTERVAL_MS: files of processes that are gone (killed hard,
 * crashed) go, files of live processes stay. On this host a process is alive when its pid exists; this
 * process's own task threads clean up after themselves (see `removeThreadTempFiles`); on other hosts sharing
 * the storage, a process is alive while it heartbeats. Returns the stop function.
 */
export function startTempSweeper(options: { dir: string; db: Database; logger: Logger }): () => void {
  const { dir, db, logger } = options;
  const me = hostname();
  const sweep = async () => {
    const remote = await liveProcessNames(db, API_APP_TTL_SECONDS * 2).catch(() => null);
    const isOwnerAlive = (owner: TempOwner) => {
      if (owner.host === me) return owner.pid === process.pid || processExists(owner.pid);
      // Without the database, nothing of another host is removed.
      return remote === null || remote.has(`${owner.pid}@${owner.host}`);
    };
    const removed = await sweepTempDir(dir, { isOwnerAlive, unownedMaxAgeMs: UNOWNED_MAX_AGE_MS });
    if (removed.length > 0)
      logger.info({ dir, files: removed.length }, 'removed temporary files left by gone processes');
  };
  const run = () => void sweep().catch((err: unknown) => logger.warn({ err, dir }, 'temporary file sweep failed'));
  run();
  const timer = setInterval(run, SWEEP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Removes the temporary files of one of this process's threads, once that thread has ended. */
export async function removeThreadTempFiles(dir: string, thread: number, logger: Logger): Promise<void> {
  if (thread === threadId) return;
  const me = hostname();
  const removed = await removeTempFilesOf(
    dir,
    (o) => o.host === me && o.pid === process.pid && o.threadId === thread,
  ).catch(() => []);
  if (removed.length > 0)
    logger.info({ dir, files: removed.length, thread }, 'removed temporary files of a task thread');
}
