import type { Logger } from 'pino';

import type { Settings } from '../core/settings.js';
import { heartbeat, processName, registerApp, unregisterApp } from '../db/app-status.js';
import type { Database } from '../db/database.js';
import { type ClaimedTask, claimTask, finishTask, unblockAfter, unblockOldest } from './claim-task.js';
import type { TaskExecutor } from './executor.js';
import { cleanupMissingWorkers } from './missing-workers.js';
import { dispatchDueSchedules } from './task-scheduler.js';
import { CANCEL_CHANNEL, type Listener, listen, WAKEUP_CHANNEL } from './notify.js';
import type { TaskOutcome } from './run-task.js';

export interface WorkerOptions {
  db: Database;
  /** For the dedicated LISTEN connection. */
  databaseUrl: string;
  settings: Settings;
  logger: Logger;
  executor: TaskExecutor;
  name?: string;
  /** How long SIGTERM lets the running task finish before it is aborted (Pulp waits indefinitely). */
  shutdownGraceMs?: number;
}

const CANCELED: TaskOutcome = {
  outcome: 'canceled',
  error: {
    reason: 'Task canceled; it did not stop on its cancellation signal and was killed.',
    description: 'Task canceled.',
  },
};
const SHUTDOWN: TaskOutcome = {
  outcome: 'failed',
  error: { reason: 'Aborted during worker shutdown.', description: 'Aborted during worker shutdown.', traceback: null },
};

/**
 * A worker process: claims one task at a time and runs it in its task thread; sleeps on LISTEN when nothing is
 * claimable and re-checks every WORKER_TTL/3 anyway (heartbeat, missing-worker cleanup, pacemaker unblock).
 */
export class TaskWorker {
  readonly name: string;
  private appId: string | null = null;
  private listener: Listener | null = null;
  private beatTimer: NodeJS.Timeout | null = null;
  private wakePending = false;
  private wakeUp: (() => void) | null = null;
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private current: ClaimedTask | null = null;
  private readonly log: Logger;
  private readonly beatMs: number;

  constructor(private readonly options: WorkerOptions) {
    this.name = options.name ?? processName();
    this.log = options.logger.child({ component: 'worker', worker: this.name });
    this.beatMs = (options.settings.WORKER_TTL * 1000) / 3;
  }

  get id(): string | null {
    return this.appId;
  }

  async start(): Promise<void> {
    const { db } = this.options;
    // Only the task thread loads the registry (plugins): the versions come from it.
    await this.options.executor.start();
    const record = await registerApp(db, 'worker', this.name, this.options.executor.versions);
    this.appId = record.pulp_id;
    this.listener = await listen(
      this.options.databaseUrl,
      [WAKEUP_CHANNEL, CANCEL_CHANNEL],
      (channel, payload) => this.onNotify(channel, payload),
      this.log,
    );
    this.beatTimer = setInterval(() => void this.beat(), this.beatMs);
    this.log.info('worker started');
    // Upstream waits for the next notification; one pass at start picks up anything already runnable.
    await unblockOldest(db).catch((err: unknown) => this.log.warn({ err }, 'initial unblock pass failed'));
    this.loopDone = this.loop();
  }

  private onNotify(channel: string, payload: string): void {
    if (channel === CANCEL_CHANNEL) {
      if (this.current?.task_id === payload) this.options.executor.cancel(payload, CANCELED);
      return;
    }
    this.wake();
  }

  private wake(): void {
    this.wakePending = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async beat(): Promise<void> {
    const { db, settings } = this.options;
    if (!this.appId) return;
    try {
      await heartbeat(db, this.appId);
      await cleanupMissingWorkers(db, settings.WORKER_TTL, this.log);
      if ((await unblockOldest(db)) > 0) this.wake();
      await dispatchDueSchedules(db, this.log);
      const current = this.current;
      if (current) {
        // Recovers a lost cancel notification.
        const row = await db
          .selectFrom('task')
          .select('state')
          .where('pulp_id', '=', current.task_id)
          .executeTakeFirst();
        if (row?.state === 'canceling') this.options.executor.cancel(current.task_id, CANCELED);
      }
    } catch (err) {
      this.log.error({ err }, 'heartbeat failed');
    }
  }

  private async loop(): Promise<void> {
    const { db } = this.options;
    const me = this.appId as string;
    let freed: string[] | null = null;
    while (!this.stopping) {
      this.wakePending = false;
      if (!this.options.executor.isReady()) {
        // The thread is being replaced (a task was killed): let live workers take what we freed meanwhile.
        if (freed) await unblockAfter(db, freed).catch((err: unknown) => this.log.warn({ err }, 'unblock failed'));
        freed = null;
        try {
          await this.options.executor.start();
        } catch (err) {
          this.log.error({ err }, 'task thread failed to start');
          await this.sleep(1000);
        }
        continue;
      }
      let claimed: ClaimedTask | null;
      try {
        claimed = await claimTask(db, me, freed);
        freed = null;
      } catch (err) {
        this.log.error({ err }, 'claim failed');
        await this.sleep(1000);
        continue;
      }
      if (!claimed) {
        await this.sleep(this.beatMs);
        continue;
      }
      try {
        freed = await this.handle(claimed);
      } catch (err) {
        this.log.error({ err, task: claimed.task_id }, 'task handling failed');
      }
    }
    if (freed) await unblockAfter(db, freed).catch((err: unknown) => this.log.warn({ err }, 'final unblock failed'));
  }

  private async handle(claimed: ClaimedTask): Promise<string[] | null> {
    const { db, executor } = this.options;
    const me = this.appId as string;
    if (claimed.task_state === 'canceling') {
      // Canceled while waiting: it never runs.
      return finishTask(db, claimed.task_id, me, {
        outcome: 'canceled',
        error: { reason: 'Canceled before it started.' },
      });
    }
    this.current = claimed;
    try {
      const outcome = await executor.run({
        id: claimed.task_id,
        name: claimed.task_name,
        args: claimed.task_args,
        loggingCid: claimed.task_logging_cid,
        userId: claimed.task_user_id,
      });
      return await finishTask(db, claimed.task_id, me, outcome);
    } finally {
      this.current = null;
    }
  }

  /**
   * Graceful stop: no new claims; the running task may finish within `graceMs` (default shutdownGraceMs), else
   * it is aborted and failed. Then the worker leaves the online list at once.
   */
  async stop(graceMs = this.options.shutdownGraceMs ?? 600_000): Promise<void> {
    if (this.stopping) return this.loopDone ?? Promise.resolve();
    this.stopping = true;
    this.wake();
    const current = this.current;
    let graceTimer: NodeJS.Timeout | null = null;
    if (current) {
      this.log.info({ task: current.task_id }, 'waiting for the running task before stopping');
      graceTimer = setTimeout(() => this.options.executor.cancel(current.task_id, SHUTDOWN, 1000), graceMs);
    }
    await this.loopDone;
    if (graceTimer) clearTimeout(graceTimer);
    if (this.beatTimer) clearInterval(this.beatTimer);
    await this.listener?.close();
    await this.options.executor.close();
    if (this.appId)
      await unregisterApp(this.options.db, this.appId).catch((err: unknown) =>
        this.log.warn({ err }, 'could not unregister'),
      );
    this.log.info('worker stopped');
  }
}
