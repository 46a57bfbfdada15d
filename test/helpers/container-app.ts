import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';

import Fastify, { type FastifyInstance } from 'fastify';

import { BasicAuthenticator } from '../../src/api/auth.js';
import { hashPassword } from '../../src/core/passwords.js';
import type { Settings } from '../../src/core/settings.js';
import { migrate } from '../../src/db/migrate.js';
import type { Services } from '../../src/plugin-api/operations.js';
import { buildRegistry } from '../../src/plugin-api/registry.js';
import { builtinPlugins } from '../../src/plugins/builtin.js';
import { ADD_AND_REMOVE_TASK, addAndRemove } from '../../src/plugins/container/add-remove-task.js';
import { blobContentHandler } from '../../src/plugins/container/content-blobs.js';
import * as m0001 from '../../src/plugins/container/migrations/0001_initial.js';
import { registryRoutes } from '../../src/plugins/container/registry-http.js';
import { createDispatcher } from '../../src/tasking/dispatch.js';
import { createTestSettings, silentLogger } from './api.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { freePort } from './global-setup.js';
import { createStorage } from '../../src/storage/create-storage.js';

/**
 * The container registry served on loopback for real clients: its client routes on a Fastify app (as the API
 * process mounts them) and its blob handler on a content server, over a fresh database.
 */
export interface ContainerTestApp {
  database: TestDatabase;
  settings: Settings;
  services: Services;
  /** `127.0.0.1:<port>` of the registry (API process). */
  host: string;
  contentPort: number;
  createUser(username: string, password: string, superuser?: boolean): Promise<number>;
  close(): Promise<void>;
}

export async function startContainerApp(overrides: Record<string, unknown> = {}): Promise<ContainerTestApp> {
  const database = await createTestDatabase();
  const installed = buildRegistry(
    builtinPlugins,
    builtinPlugins.map((p) => p.name),
  );
  await migrate(database.db, { ...installed.migrations, 'container/0001_initial': m0001 });
  const contentPort = await freePort();
  const settings = await createTestSettings({ CONTENT_BIND: `127.0.0.1:${contentPort}`, ...overrides });
  const storage = createStorage(settings);
  const dispatcher = createDispatcher({
    db: database.db,
    settings,
    logger: silentLogger,
    tasks: new Map([[ADD_AND_REMOVE_TASK, addAndRemove]]),
    storage,
  });
  const services: Services = {
    db: database.db,
    settings,
    logger: silentLogger,
    apiPrefix: '/pulp/api/v3/',
    storage,
    dispatcher,
    extensions: new Map<string, unknown>([['authenticator', new BasicAuthenticator(database.db)]]),
  };
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  await app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    for (const route of registryRoutes(services)) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      child.route({
        method: methods,
        url: route.url,
        exposeHeadRoute: !methods.includes('HEAD'),
        handler: (request, reply) => route.handler(request, reply, services),
      });
    }
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const content: Server = createServer((req, res) => {
    blobContentHandler
      .handle(req, res, services)
      .then((handled) => {
        if (!handled) res.writeHead(404).end();
      })
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
        else res.destroy();
      });
  });
  await new Promise<void>((r) => content.listen(contentPort, '127.0.0.1', r));
  return {
    database,
    settings,
    services,
    host: `127.0.0.1:${port}`,
    contentPort,
    async createUser(username, password, superuser = false) {
      const row = await database.db
        .insertInto('auth_user')
        .values({
          username,
          password: await hashPassword(password, 1000),
          is_superuser: superuser,
          is_staff: superuser,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async close() {
      await app.close();
      await new Promise((r) => content.close(r));
      await database.drop();
      await rm(settings.PULP_HOME, { recursive: true, force: true });
    },
  };
}
