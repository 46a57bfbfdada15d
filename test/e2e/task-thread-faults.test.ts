// A real worker process: syncs from an HTTP/1.0 mirror (python3 -m http.server) complete every time, and a bug
// thrown outside any promise fails only its task, with its cause, while the worker carries on.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiApp, buildApiApp } from '../../src/api/build-app.js';
import { apiModules } from '../../src/api/modules.js';
import { loadRegistry } from '../../src/cli/registry.js';
import { hashPassword } from '../../src/core/passwords.js';
import type { Settings } from '../../src/core/settings.js';
import { createDispatcher } from '../../src/tasking/dispatch.js';
import { createTestSettings, silentLogger } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../helpers/db.js';
import { startPythonHttpServer } from '../helpers/raw-http.js';
import { tasks as testTasks } from '../helpers/tasking-tasks.js';
import { startWorker, stopWorker, type WorkerProcess } from '../helpers/workers.js';
import { createStorage } from '../../src/storage/create-storage.js';

let database: TestDatabase;
let settings: Settings;
let api: ApiApp;
let worker: WorkerProcess | undefined;
let mirror: { url: string; stop(): Promise<void> } | undefined;
const auth = `Basic ${Buffer.from('admin:x').toString('base64')}`;
const API = '/pulp/api/v3/';

beforeAll(async () => {
  database = await createTestDatabase();
  settings = await createTestSettings();
  const registry = loadRegistry(settings);
  const dispatcher = createDispatcher({
    db: database.db,
    settings,
    logger: silentLogger,
    tasks: new Map([...registry.tasks, ...Object.entries(testTasks)]),
    storage: await createStorage(settings),
  });
  api = await buildApiApp({
    settings,
    db: database.db,
    logger: silentLogger,
    modules: apiModules(registry),
    dispatcher,
    storage: await createStorage(settings),
  });
  await api.app.ready();
  await database.db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword('x', 1000), is_superuser: true })
    .execute();
  const root = path.join(settings.PULP_HOME, 'mirror');
  await mkdir(root, { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    const data = randomBytes(32 * 1024 + i * 9000);
    await writeFile(path.join(root, `f${i}.bin`), data);
    lines.push(`f${i}.bin,${createHash('sha256').update(data).digest('hex')},${data.length}`);
  }
  await writeFile(path.join(root, 'PULP_MANIFEST'), `${lines.join('\n')}\n`);
  mirror = await startPythonHttpServer(root);
  worker = await startWorker(database.db, database.url, {
    name: 'thread-faults@e2e',
    env: { PULP_MEDIA_ROOT: settings.MEDIA_ROOT },
  });
}, 120_000);

afterAll(async () => {
  if (worker) await stopWorker(worker);
  await mirror?.stop();
  await api?.app.close();
  await database?.drop();
});

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
  const res = await api.app.inject({ method, url, payload, headers: { authorization: auth } });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null };
}

async function finished(taskHref: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const t = (await call('GET', taskHref)).body!;
      return ['completed', 'failed', 'canceled'].includes(String(t.state)) ? t : null;
    },
    { timeoutMs: 60_000, what: `task ${taskHref}` },
  );
}

describe('a worker syncing from an HTTP/1.0 mirror', () => {
  it('completes every first sync of fresh repositories, with no temporary file left', async () => {
    const remote = await call('POST', `${API}remotes/file/file/`, {
      name: 'http10',
      url: `${mirror!.url}PULP_MANIFEST`,
      policy: 'immediate',
    });
    expect(remote.status).toBe(201);
    for (let round = 0; round < 3; round++) {
      const repo = await call('POST', `${API}repositories/file/file/`, { name: `http10-${round}` });
      const sync = await call('POST', `${String(repo.body!.pulp_href)}sync/`, { remote: remote.body!.pulp_href });
      const task = await finished(String(sync.body!.task));
      expect(task.error ?? null, JSON.stringify(task.error)).toBeNull();
      expect(task.state).toBe('completed');
      // Orphan the artifacts so that the next round downloads everything again.
      await call('DELETE', String(repo.body!.pulp_href));
      const cleanup = await call('POST', `${API}orphans/cleanup/`, { orphan_protection_time: 0 });
      expect((await finished(String(cleanup.body!.task))).state).toBe('completed');
    }
    const temp = await readdir(path.join(settings.MEDIA_ROOT, 'tmp')).catch(() => []);
    expect(temp).toEqual([]);
  });
});

describe('an uncaught error in the task thread', () => {
  it('fails only that task, naming the cause, and the next task runs', async () => {
    const dispatcher = createDispatcher({
      db: database.db,
      settings,
      logger: silentLogger,
      tasks: new Map(Object.entries(testTasks)),
      storage: await createStorage(settings),
    });
    const bad = await dispatcher.dispatch('test.throw_uncaught', {}, { exclusiveResources: ['test:uncaught'] });
    const failed = await finished(bad.href);
    expect(failed.state).toBe('failed');
    expect((failed.error as { description: string }).description).toBe(
      'The task failed on an unexpected error in the worker: thrown from an event handler',
    );
    const next = await dispatcher.dispatch('test.noop', {}, { exclusiveResources: ['test:uncaught'] });
    expect((await finished(next.href)).state).toBe('completed');
    expect(worker!.child.exitCode).toBeNull();
  });
});
