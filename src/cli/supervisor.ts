import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Logger } from 'pino';

import { EXIT_CANNOT_SERVE } from './run-cli.js';

export interface ChildSpec {
  /** Label in logs, e.g. `worker-1`. */
  name: string;
  /** Script run with the current node, e.g. `bin/pulpcore-worker.js`. */
  script: string;
  args: string[];
  /** Node options before the script (V8 heap flags). */
  execArgv?: string[];
  env: Record<string, string>;
}

interface Supervised {
  spec: ChildSpec;
  child: ChildProcess | null;
  failures: number;
  restartTimer: NodeJS.Timeout | null;
}

/** Stop waiting for a child after this long and kill it. */
const STOP_TIMEOUT_MS = 20_000;

/**
 * Runs child processes and keeps them running: a child that exits while we are not stopping is restarted
 * after a delay that doubles with each quick failure (0.5 s up to 30 s) and resets once it stayed up for a
 * minute, except one that exits with EXIT_CANNOT_SERVE (bad settings, a port it cannot listen on), which
 * would fail the same way again. Children share our stdout/stderr, so their JSON log lines reach the terminal unchanged.
 */
export class ProcessSupervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;

  constructor(
    private readonly logger: Logger,
    private readonly cwd: string,
    /** Called (instead of a restart) when a child exits with EXIT_CANNOT_SERVE: it cannot work as configured. */
    private readonly onCannotServe: (name: string) => void = () => undefined,
  ) {}

  start(spec: ChildSpec): void {
    const entry: Supervised = { spec, child: null, failures: 0, restartTimer: null };
    this.children.push(entry);
    this.spawn(entry);
  }

  /** Pids of the running children (for leak checks and diagnostics). */
  pids(): number[] {
    return this.children.flatMap((c) => (c.child?.pid !== undefined && c.child.exitCode === null ? [c.child.pid] : []));
  }

  private spawn(entry: Supervised): void {
    const { spec } = entry;
    const startedAt = Date.now();
    const watch = path.join(path.dirname(spec.script), 'supervisor-watch.js');
    const child = spawn(
      process.execPath,
      [...(spec.execArgv ?? []), '--import', pathToFileURL(watch).href, spec.script, ...spec.args],
      {
        cwd: this.cwd,
        env: { ...process.env, ...spec.env, PULP_TS_SUPERVISOR_PID: String(process.pid) },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    entry.child = child;
    this.logger.info({ child: spec.name, pid: child.pid }, 'process started');
    child.on('error', (err) => this.logger.error({ child: spec.name, err: err.message }, 'process could not start'));
    child.on('exit', (code, signal) => {
      if (entry.child === child) entry.child = null;
      if (this.stopping) return;
      if (code === EXIT_CANNOT_SERVE) {
        this.logger.error({ child: spec.name, pid: child.pid, code }, 'process cannot serve as configured');
        this.onCannotServe(spec.name);
        return;
      }
      entry.failures = Date.now() - startedAt > 60_000 ? 1 : entry.failures + 1;
      const delay = Math.min(30_000, 500 * 2 ** (entry.failures - 1));
      this.logger.warn(
        { child: spec.name, pid: child.pid, code, signal, restartInMs: delay },
        'process exited; restarting',
      );
      entry.restartTimer = setTimeout(() => {
        entry.restartTimer = null;
        if (!this.stopping) this.spawn(entry);
      }, delay);
    });
  }

  /** SIGTERM to every child, then SIGKILL to those still running after the timeout. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.children.map(async (entry) => {
        if (entry.restartTimer) clearTimeout(entry.restartTimer);
        const child = entry.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        await new Promise<void>((resolve) => {
          const kill = setTimeout(() => {
            this.logger.warn({ child: entry.spec.name, pid: child.pid }, 'process did not stop in time; killing it');
            child.kill('SIGKILL');
          }, STOP_TIMEOUT_MS);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }),
    );
  }
}
