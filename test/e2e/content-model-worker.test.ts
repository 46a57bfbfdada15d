// A real pulpcore-worker process runs the core content tasks dispatched through the API: chunked upload commit,
// then orphan cleanup removing the artifact's file from the shared MEDIA_ROOT.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
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
import { startWorker, stopWorker, type WorkerProcess } from '../helpers/workers.js';
import { createStorage } from '../../src/storage/create-storage.js';

let database: TestDatabase;
let settings: Settings;
let api: ApiApp;
let worker: WorkerProcess | undefined;
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
    tasks: registry.tasks,
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
  worker = await startWorker(database.db, database.url, {
    name: 'content-model@e2e',
    env: { PULP_MEDIA_ROOT: settings.MEDIA_ROOT },
  });
}, 120_000);

afterAll(async () => {
  if (worker) await stopWorker(worker);
  await api?.app.close();
  await database?.drop();
});

async function call(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: Buffer | object,
  headers: Record<string, string> = {},
) {
  const res = await api.app.inject({
    method,
    url,
    payload: payload as Buffer,
    headers: { authorization: auth, ...headers },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null };
}

async function finished(taskHref: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const t = (await call('GET', taskHref)).body!;
      return ['completed', 'failed', 'canceled'].includes(String(t.state)) ? t : null;
    },
    { timeoutMs: 120_000, what: `task ${taskHref}` },
  );
}

describe('core content tasks on a real worker', () => {
  it('commits a chunked upload, then orphan cleanup removes the unused artifact and its file', async () => {
    const data = randomBytes(5000);
    const digest = createHash('sha256').update(data).digest('hex');
    const upload = await call('POST', `${API}uploads/`, { size: data.length });
    const href = String(upload.body!.pulp_href);
    const boundary = 'e2eboundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const put = await call('PUT', href, body, {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-range': `bytes 0-4999/5000`,
    });
    expect(put.status).toBe(200);
    const commit = await call('POST', `${href}commit/`, { sha256: digest });
    const task = await finished(String(commit.body!.task));
    expect(task).toMatchObject({ state: 'completed', name: 'pulpcore.app.tasks.upload.commit' });
    const file = path.join(settings.MEDIA_ROOT, 'artifact', digest.slice(0, 2), digest.slice(2));
    expect(await readFile(file)).toEqual(data);

    const cleanup = await call('POST', `${API}orphans/cleanup/`, { orphan_protection_time: 0 });
    expect(await finished(String(cleanup.body!.task))).toMatchObject({ state: 'completed' });
    expect(
      await stat(file).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    expect((await call('GET', String((task.created_resources as string[])[0]))).status).toBe(404);
  });
});
