// Task functions of bench/tasks, loaded by the benchmark's workers through PULP_TS_EXTRA_TASK_MODULES.
import type { TaskFunction } from '../src/plugin-api/tasks.js';

export const tasks: Record<string, TaskFunction> = {
  'bench.noop': () => Promise.resolve(null),
  /** Records when it started, by the wall clock shared by every process of the host. */
  'bench.stamp': () => Promise.resolve({ start: performance.timeOrigin + performance.now() }),
};
