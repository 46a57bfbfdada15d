// One sync in its own process (the worker's view): prints elapsed ms and peak RSS (VmHWM) as JSON.
import { readFileSync } from 'node:fs';

import { pino } from 'pino';

import { apiPrefix } from '../src/core/ids.js';
import { loadSettings } from '../src/core/settings.js';
import { createDatabase } from '../src/db/database.js';
import { synchronize } from '../src/plugins/file/sync-task.js';
import { FileSystemStorage } from '../src/storage/filesystem.js';

const [dbUrl, mediaRoot, remotePk, repositoryPk, mirror] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const settings = loadSettings({ env: {}, overrides: { MEDIA_ROOT: mediaRoot, LOG_LEVEL: 'silent' } });
const { db } = createDatabase({ url: dbUrl, max: 4 });
// Phase timings go to stderr (the task's info lines).
const logger = pino({ level: 'info' }, pino.destination(2));
const services = {
  db,
  settings,
  logger,
  apiPrefix: apiPrefix(settings.API_ROOT),
  storage: new FileSystemStorage(mediaRoot),
  dispatcher: { dispatch: () => Promise.reject(new Error('none')) },
  extensions: new Map(),
};
const noop = { increment() {}, setTotal() {}, done: () => Promise.resolve() };
const ctx = {
  taskId: 'bench',
  args: { remote_pk: remotePk, repository_pk: repositoryPk, mirror: mirror === 'true' },
  services,
  logger,
  signal: new AbortController().signal,
  progress: () => Promise.resolve(noop),
  addCreatedResource: () => Promise.resolve(),
  dispatch: () => Promise.reject(new Error('none')),
};
const t0 = performance.now();
const result = (await synchronize(ctx)) as { number?: number } | null;
const ms = performance.now() - t0;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ ms, peakRssMb: Number(hwm?.[1] ?? 0) / 1024, version: result?.number ?? null }));
await db.destroy();
process.exit(0);
