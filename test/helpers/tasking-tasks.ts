// Task functions only the tasking tests use; workers load them through PULP_TS_EXTRA_TASK_MODULES.
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
  /** Ignores its cancellation signal: a busy loop for `ms` (only killing the thread stops it). */
  'test.ignore_signal': (ctx) => {
    const until = Date.now() + Number(ctx.args.ms ?? 60_000);
    while (Date.now() < until) {
      // busy on purpose
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
