// One graphile-worker process for bench/tasks, as a pulp-ts worker is one process: runs jobs one at a time
// (concurrency 1) until SIGTERM. `stamp` prints when it started, by the wall clock shared by every process of
// the host. Usage (by bench/tasks): graphile-worker-child.ts <database-url> [concurrency=1]
import { Logger, run } from 'graphile-worker';

const [url, concurrency] = process.argv.slice(2) as [string, string | undefined];
const runner = await run({
  connectionString: url,
  concurrency: Number(concurrency ?? 1),
  noHandleSignals: true,
  logger: new Logger(() => () => undefined),
  taskList: {
    noop: () => Promise.resolve(),
    stamp: () => {
      process.stdout.write(`${JSON.stringify({ start: performance.timeOrigin + performance.now() })}\n`);
      return Promise.resolve();
    },
  },
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => void runner.stop().then(() => process.exit(0)));
