import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';

import { type ApiApp, buildApiApp } from '../../src/api/build-app.js';
import { apiClientRoutes, apiModules } from '../../src/api/modules.js';
import { hashPassword } from '../../src/core/passwords.js';
import { loadSettings, type Settings } from '../../src/core/settings.js';
import type { Dispatcher } from '../../src/plugin-api/tasks.js';
import { loadRegistry } from '../../src/cli/registry.js';
import { migrate } from '../../src/db/migrate.js';
import type { PluginDefinition } from '../../src/plugin-api/define-plugin.js';
import { buildRegistry, type PluginRegistry } from '../../src/plugin-api/registry.js';
import { builtinPlugins } from '../../src/plugins/builtin.js';
import { coreTasks } from '../../src/tasking/core-tasks/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { createStorage } from '../../src/storage/create-storage.js';
import { uiRoutes } from '../../src/ui/routes.js';

export const ADMIN_PASSWORD = 'password';
export const silentLogger = pino({ level: 'silent' });

export interface TestApi extends ApiApp {
  registry: PluginRegistry;
  database: TestDatabase;
  settings: Settings;
  /** Authorization header value for the admin user. */
  adminAuth: string;
  close(): Promise<void>;
}

export async function createTestSettings(overrides: Record<string, unknown> = {}): Promise<Settings> {
  const home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-home-'));
  await chmod(home, 0o755);
  return loadSettings({ env: {}, overrides: { PULP_HOME: home, LOG_LEVEL: 'silent', ...overrides } });
}

/** A dispatcher for API tests that do not exercise tasking. */
export const refusingDispatcher: Dispatcher = {
  dispatch: () => Promise.reject(new Error('no dispatcher in this test')),
};

/** Builds the API app on a fresh database with an `admin` superuser; nothing listens (use app.inject). */
export async function createTestApi(
  options: {
    settings?: Record<string, unknown>;
    dispatcher?: Dispatcher;
    extensions?: Map<string, unknown>;
    /** Plugins installed besides the built-in ones (their migrations are applied to the test database). */
    plugins?: PluginDefinition[];
  } = {},
): Promise<TestApi> {
  const database = await createTestDatabase();
  const settings = await createTestSettings(options.settings);
  const registry = options.plugins
    ? buildRegistry(
        [...builtinPlugins, ...options.plugins],
        [...builtinPlugins, ...options.plugins].map((p) => p.name),
        coreTasks,
      )
    : loadRegistry(settings);
  if (options.plugins) await migrate(database.db, registry.migrations);
  // Few PBKDF2 rounds keep tests fast; the format is Django's either way.
  const password = await hashPassword(ADMIN_PASSWORD, 1000);
  await database.db
    .insertInto('auth_user')
    .values({ username: 'admin', password, is_superuser: true, is_staff: true })
    .execute();
  const api = await buildApiApp({
    settings,
    db: database.db,
    logger: silentLogger,
    modules: apiModules(registry),
    // The API process's client routes: the plugins' and the web UI's (src/cli/api-server.ts).
    clientRoutes: (services) => [...apiClientRoutes(registry)(services), ...uiRoutes(settings, registry)],
    dispatcher: options.dispatcher ?? refusingDispatcher,
    storage: await createStorage(settings),
    extensions: options.extensions,
  });
  await api.app.ready();
  return {
    ...api,
    registry,
    database,
    settings,
    adminAuth: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
    async close() {
      await api.app.close();
      await database.drop();
      await rm(settings.PULP_HOME, { recursive: true, force: true });
    },
  };
}
