import type { AddressInfo } from 'node:net';

import type { FastifyInstance } from 'fastify';

import { type ContentApp, startContentApp } from '../../src/content/server.js';
import { hashPassword } from '../../src/core/passwords.js';
import type { Settings } from '../../src/core/settings.js';
import type { Services } from '../../src/plugin-api/operations.js';
import { silentLogger, type TestApi } from './api.js';
import type { TestDatabase } from './db.js';
import { freePort } from './global-setup.js';
import { createApiWithTasks } from './task-runner.js';

/**
 * The container registry as the processes serve it, for real clients: the API app with every built-in plugin
 * registered (the container plugin's client routes `/v2/`, `/token/`, ... among them) listening on loopback,
 * and the content app (with the plugin's `/pulp/container/` blob handler) on its own port, over a fresh
 * database. Immediate tasks (a push's version) run inline as in the API process; deferred ones (sync) run
 * when the test calls `runTasks()`.
 */
export interface ContainerTestApp {
  api: TestApi;
  database: TestDatabase;
  settings: Settings;
  services: Services;
  /** `127.0.0.1:<port>` of the registry (API process). */
  host: string;
  /** `http://127.0.0.1:<port>` of the API, for REST calls with fetch. */
  origin: string;
  contentPort: number;
  /** Authorization header of the `admin` superuser (password `password`). */
  adminAuth: string;
  /** Creates (or resets the password of) a user. */
  createUser(username: string, password: string, superuser?: boolean): Promise<number>;
  /** Runs the queued (deferred) tasks in this process until none is left. */
  runTasks(): Promise<number>;
  close(): Promise<void>;
}

export async function startContainerApp(overrides: Record<string, unknown> = {}): Promise<ContainerTestApp> {
  const contentPort = await freePort();
  const tasks = await createApiWithTasks({ CONTENT_BIND: `127.0.0.1:${contentPort}`, ...overrides }, undefined, {
    runImmediate: true,
  });
  const api = tasks.api;
  let content: ContentApp | null = null;
  try {
    const app: FastifyInstance = api.app;
    await app.listen({ host: '127.0.0.1', port: 0 });
    content = await startContentApp({
      settings: api.settings,
      db: api.database.db,
      databaseUrl: api.database.url,
      logger: silentLogger,
      storage: api.services.storage,
      host: '127.0.0.1',
      port: contentPort,
      heartbeat: false,
      plugins: api.registry,
    });
  } catch (err) {
    await api.close();
    throw err;
  }
  const port = (api.app.server.address() as AddressInfo).port;
  const db = api.database.db;
  return {
    api,
    database: api.database,
    settings: api.settings,
    services: api.services,
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    contentPort,
    adminAuth: api.adminAuth,
    async createUser(username, password, superuser = false) {
      const hashed = await hashPassword(password, 1000);
      const row = await db
        .insertInto('auth_user')
        .values({ username, password: hashed, is_superuser: superuser, is_staff: superuser })
        .onConflict((oc) =>
          oc.column('username').doUpdateSet({ password: hashed, is_superuser: superuser, is_staff: superuser }),
        )
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    runTasks: () => tasks.runTasks(),
    async close() {
      await content?.close();
      await api.close();
    },
  };
}
