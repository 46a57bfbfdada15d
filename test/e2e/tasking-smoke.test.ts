import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSettings } from '../../src/core/settings.js';
import { createDispatcher } from '../../src/tasking/dispatch.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../helpers/db.js';
import { silentLogger } from '../helpers/api.js';
import { tasks } from '../helpers/tasking-tasks.js';
import { startWorker, stopWorker, type WorkerProcess } from '../helpers/workers.js';
import { createStorage } from '../../src/storage/create-storage.js';

let database: TestDatabase;
let worker: WorkerProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  worker = await startWorker(database.db, database.url, { name: 'smoke-worker' });
});
afterAll(async () => {
  if (worker) await stopWorker(worker);
  await database?.drop();
});

describe('a worker process', () => {
  it('runs a dispatched task to completion', async () => {
    const settings = loadSettings({ env: {}, overrides: { LOG_LEVEL: 'silent' } });
    const dispatcher = createDispatcher({
      db: database.db,
      settings,
      logger: silentLogger,
      tasks: new Map(Object.entries(tasks)),
      storage: await createStorage(settings),
    });
    const ref = await dispatcher.dispatch('test.progress', {}, {});
    const row = await waitFor(async () => {
      const t = await database.db.selectFrom('task').selectAll().where('pulp_id', '=', ref.pulp_id).executeTakeFirst();
      return t && ['completed', 'failed'].includes(t.state) ? t : null;
    });
    expect(row.error).toBeNull();
    expect(row.state).toBe('completed');
  });
});
