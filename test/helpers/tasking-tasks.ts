// Task functions only the tasking tests use; workers load them through PULP_TS_EXTRA_TASK_MODULES.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import type { TaskFunction } from '../../src/plugin-api/tasks.js';

const now = () => performance.timeOrigin + performance.now();

export const tasks: Record<string, TaskFunction> = {
  'test.noop': () => Promise.resolve(null),
  /** Sleeps `ms`, honouring cancellation. */
  'test.sleep': async (ctx) => {
    await sleep(Number(ctx.args.ms ?? 0), undefined, { signal: ctx.signal });
    return null;
  },
  /** Sleeps `ms` and returns when it ran, by the wall clock of the (single) test host. */
  'test.record': async (ctx) => {
    const start = now();
    await sleep(Number(ctx.args.ms ?? 0), undefined, { signal: ctx.signal });
    return { start, end: now(), pid: process.pid, label: ctx.args.label ?? null };
  },
  /**
   * Ignores its cancellation signal: a busy loop for `ms` (only killing the thread stops it). With `aliveFile`,
   * it writes the time into that file every 10 ms, so a test sees when it really stopped.
   */
  'test.ignore_signal': (ctx) => {
    const until = Date.now() + Number(ctx.args.ms ?? 60_000);
    const aliveFile = typeof ctx.args.aliveFile === 'string' ? ctx.args.aliveFile : null;
    let written = 0;
    while (Date.now() < until) {
      // busy on purpose
      if (aliveFile && Date.now() - written >= 10) {
        written = Date.now();
        writeFileSync(aliveFile, String(now()));
      }
    }
    return Promise.resolve('finished');
  },
  'test.fail': () => Promise.reject(new Error('the test task failed on purpose')),
  /** Throws from a timer, outside any promise, as a library bug in an event handler would. */
  'test.throw_uncaught': async () => {
    setTimeout(() => {
      throw new Error('thrown from an event handler');
    }, 10);
    await sleep(60_000);
    return null;
  },
  /** Reports progress, records a created resource, dispatches a child. */
  'test.progress': async (ctx) => {
    const report = await ctx.progress('Counting', 'test.counting', { total: 3 });
    report.increment(3);
    await report.done();
    await ctx.addCreatedResource('/pulp/api/v3/test/things/1/');
    const child = await ctx.dispatch('test.noop', {}, {});
    return { child: child.href };
  },
};
