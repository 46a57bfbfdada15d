import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { buildState } from '../../bin/launch.js';
import { createDatabase } from '../../src/db/database.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { buildRegistry } from '../../src/plugin-api/registry.js';
import { builtinPlugins } from '../../src/plugins/builtin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a server where tests may create databases; `pulp_template` there holds the migrated schema. */
    serverUrl: string;
    templateDatabase: string;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts one embedded PostgreSQL for the whole run (or uses PULP_DATABASE_URL's server), migrates a template
 * database once; each test file then clones it, which takes milliseconds.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The processes the tests start run the compiled build, as users run them: rebuilt here when a source changed.
  if (buildState() !== 'fresh') execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  let embedded: EmbeddedDatabase | undefined;
  let dir: string | undefined;
  let serverUrl = process.env.PULP_DATABASE_URL;
  if (!serverUrl) {
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-test-'));
    await chmod(dir, 0o755);
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'),
      port: await freePort(),
      database: 'postgres',
    });
    serverUrl = embedded.url;
  }
  const template = `pulp_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  const templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/${template}`;
  const { db } = createDatabase({ url: templateUrl.href, max: 2 });
  const registry = buildRegistry(
    builtinPlugins,
    builtinPlugins.map((p) => p.name),
  );
  await migrate(db, registry.migrations);
  await db.destroy();
  project.provide('serverUrl', serverUrl);
  project.provide('templateDatabase', template);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    if (embedded) await embedded.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}
