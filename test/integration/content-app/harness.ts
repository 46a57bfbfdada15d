import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import { Pool } from 'undici';

import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { loadRegistry } from '../../../src/cli/registry.js';
import { loadSettings, type Settings } from '../../../src/core/settings.js';
import type { Storage } from '../../../src/storage/storage.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { ContentFixtures } from './fixtures.js';
import { createStorage } from '../../../src/storage/create-storage.js';

export interface Harness {
  database: TestDatabase;
  settings: Settings;
  storage: Storage;
  fixtures: ContentFixtures;
  app: ContentApp;
  client: Pool;
  get(p: string, options?: { method?: string; headers?: Record<string, string> }): Promise<HttpResult>;
  close(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A running content app on 127.0.0.1:0 over a fresh database, and a client that sends paths verbatim. */
export async function startHarness(extraSettings: Record<string, unknown> = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-content-'));
  await chmod(home, 0o755);
  const settings = loadSettings({
    env: {},
    overrides: { PULP_HOME: home, LOG_LEVEL: 'silent', DATABASE_URL: database.url, ...extraSettings },
  });
  const storage = await createStorage(settings);
  const fixtures = new ContentFixtures(database.db, storage, settings);
  const app = await startContentApp({
    settings,
    db: database.db,
    logger: pino({ level: 'silent' }),
    storage,
    host: '127.0.0.1',
    port: 0,
    plugins: loadRegistry(settings),
  });
  const client = new Pool(`http://127.0.0.1:${app.port}`);
  return {
    database,
    settings,
    storage,
    fixtures,
    app,
    client,
    async get(p, options = {}) {
      const res = await client.request({ path: p, method: options.method ?? 'GET', headers: options.headers });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    },
    async close() {
      await client.close();
      await app.close();
      await database.drop();
    },
  };
}
