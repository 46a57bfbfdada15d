import { Worker } from 'node:worker_threads';

import type { Logger } from 'pino';

import type { RunnableTask, TaskOutcome } from './run-task.js';

/** Messages between a worker process and its task thread. */
export type ToThread = { type: 'run'; task: RunnableTask } | { type: 'cancel'; taskId: string };
export type FromThread =
  | { type: 'ready'; versions: Record<string, string> }
  /** `retire`: the thread hit an uncaught error and must be replaced. */
  | { type: 'done'; taskId: string; outcome: TaskOutcome; retire?: boolean }
  | { type: 'retire' };

export interface ExecutorOptions {
  /** Module the thread imports: it must call runTaskThread() (see task-thread.ts). */
  threadModule: URL;
  /** Passed to the thread as workerData (settings, database URL, extra task modules). */
  workerData: Record<string, unknown>;
  logger: Logger;
  /** After a cancel, how long the task may take to honour its AbortSignal before the thread is killed. */
  killAfterMs?: number;
  /** Called when a thread has ended, however (its temporary files can then be removed). */
  onThreadExit?: (threadId: number) => void;
  /** The thread's young generation limit (V8's default lets it grow to about 17 MB and keep it while idle). */
  maxYoungGenerationSizeMb?: number;
}

interface Running {
  taskId: string;
  thread: Worker;
  resolve(outcome: TaskOutcome): void;
  killTimer: NodeJS.Timeout | null;
  killOutcome: TaskOutcome | null;
}

/**
 * Runs tasks one at a time in a long-lived worker thread, so a task costs a message, not a process start
 * (Pulp forks per task). A task that ignores its cancellation is stopped by terminating the thread (which
 * interrupts even a busy loop); a fresh thread then replaces it, and only then is a process-start-like cost
 * paid. The thread has its own database pool, so a killed task cannot leave a connection of ours mid-query.
 */
export class TaskExecutor {
  private thread: Worker | null = null;
  private running: Running | null = null;
  private starting: Promise<void> | null = null;
  private closed = false;
  private readonly killAfterMs: number;
  /** Component versions reported by the thread once its registry loaded (shown in /status/ and /workers/). */
  versions: Record<string, string> = {};

  constructor(private readonly options: ExecutorOptions) {
    // The README promises a stubborn task is stopped within 3 s of the cancel: 2 s of grace leaves the rest for
    // the notification to arrive and for a loaded machine.
    this.killAfterMs = options.killAfterMs ?? 2000;
  }

  /** Starts the thread (also done lazily by run). */
  start(): Promise<void> {
    this.starting ??= this.spawn().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private spawn(): Promise<void> {
    const entry = this.options.threadModule.href;
    // Under tsx (a checkout without build), or when an extra task module is TypeScript (the test suite's), the
    // thread must register the TypeScript loader itself.
    const extra = (this.options.workerData as { extraTaskModules?: string[] }).extraTaskModules ?? [];
    const needsTsx = import.meta.url.endsWith('.ts') || extra.some((m) => m.endsWith('.ts'));
    const tsx = needsTsx ? import.meta.resolve('tsx/esm/api') : null;
    const bootstrap = `
      const { workerData } = require('node:worker_threads');
      (async () => {
        if (workerData.__tsx) (await import(workerData.__tsx)).register();
        await import(workerData.__entry);
      })().catch((err) => { console.error(err); process.exit(1); });`;
    const thread = new Worker(bootstrap, {
      eval: true,
      ...(this.options.maxYoungGenerationSizeMb
        ? { resourceLimits: { maxYoungGenerationSizeMb: this.options.maxYoungGenerationSizeMb } }
        : {}),
      workerData: { ...this.options.workerData, __tsx: tsx, __entry: entry },
    });
    this.thread = thread;
    // Read now: a thread that ended reports -1.
    const threadId = thread.threadId;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      thread.on('message', (msg: FromThread) => {
        if (msg.type === 'ready') {
          ready = true;
          this.versions = msg.versions;
          resolve();
        } else if (msg.type === 'done' && this.running?.taskId === msg.taskId) {
          if (msg.retire) this.retire(thread);
          // A task aborted by a worker shutdown ends as the shutdown says (failed, as Pulp), even though the
          // thread saw the abort as a cancellation; one its user canceled stays canceled.
          const stoppedBy = this.running.killOutcome;
          const abortedByShutdown = stoppedBy !== null && stoppedBy.outcome !== 'canceled';
          this.settle(abortedByShutdown && msg.outcome.outcome === 'canceled' ? stoppedBy : msg.outcome);
        } else if (msg.type === 'retire' || (msg.type === 'done' && msg.retire)) {
          this.retire(thread);
        }
      });
      thread.on('error', (err) => {
        this.options.logger.error({ err }, 'task thread error');
        if (!ready) reject(err);
      });
      thread.on('exit', (code) => {
        if (this.thread === thread) this.thread = null;
        this.options.onThreadExit?.(threadId);
        if (!ready) reject(new Error(`task thread exited with code ${code} before it was ready`));
        if (this.running?.thread === thread) {
          const killed = this.running.killOutcome;
          this.settle(
            killed ?? {
              outcome: 'failed',
              error: { description: `Task process died unexpectedly with exitcode ${code}.`, traceback: null },
            },
          );
        }
      });
    });
  }

  /** Stops using a thread whose state is unsound; the next run starts a fresh one. */
  private retire(thread: Worker): void {
    if (this.thread === thread) this.thread = null;
    this.options.logger.warn('task thread had an uncaught error: replacing it');
    void thread.terminate();
  }

  private settle(outcome: TaskOutcome): void {
    const running = this.running;
    if (!running) return;
    if (running.killTimer) clearTimeout(running.killTimer);
    this.running = null;
    running.resolve(outcome);
  }

  /** Runs one task in the thread; resolves with its outcome, never rejects for task errors. */
  async run(task: RunnableTask): Promise<TaskOutcome> {
    if (this.running) throw new Error('executor is busy: one task at a time');
    if (!this.thread) await this.start();
    const thread = this.thread;
    if (!thread) throw new Error('task thread is not running');
    return new Promise<TaskOutcome>((resolve) => {
      this.running = { taskId: task.id, thread, resolve, killTimer: null, killOutcome: null };
      thread.postMessage({ type: 'run', task } satisfies ToThread);
    });
  }

  /** True when a thread is up and idle or running: run() will not have to wait for a thread start. */
  isReady(): boolean {
    return this.thread !== null && this.starting === null;
  }

  /** The id of the task being run, if any. */
  currentTaskId(): string | null {
    return this.running?.taskId ?? null;
  }

  /**
   * Aborts the running task's signal; if it has not ended after killAfterMs, the thread is terminated and the
   * task ends with `killOutcome` (then a new thread starts for the next task).
   */
  cancel(taskId: string, killOutcome: TaskOutcome, killAfterMs = this.killAfterMs): void {
    const running = this.running;
    if (!running || running.taskId !== taskId || running.killTimer) return;
    running.killOutcome = killOutcome;
    this.thread?.postMessage({ type: 'cancel', taskId } satisfies ToThread);
    running.killTimer = setTimeout(() => {
      if (this.running !== running) return;
      this.options.logger.warn({ task: taskId }, 'task ignored its cancellation: stopping its thread');
      const thread = this.thread;
      this.thread = null;
      this.settle(killOutcome);
      void thread?.terminate();
      if (!this.closed)
        this.start().catch((err: unknown) => this.options.logger.error({ err }, 'could not restart the task thread'));
    }, killAfterMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = null;
    if (thread) await thread.terminate();
  }
}
