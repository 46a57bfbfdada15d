/** The `pulpcore-manager` subcommands; loaded only when one that needs them runs (each pulls in most of the code base). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { sql } from 'kysely';
import { stringify as toYaml } from 'yaml';

import { buildApiApp } from '../api/build-app.js';
import { collectStatic } from '../api/browsable/static-assets.js';
import { apiModules } from '../api/modules.js';
import { staticFolders } from './static-folders.js';
import { versionMap } from '../plugin-api/registry.js';
import { buildOpenApiDocument } from '../api/openapi.js';
import { apiPrefix } from '../core/ids.js';
import { randomPassword } from '../core/passwords.js';
import { configuredDatabaseUrl, type Settings } from '../core/settings.js';
import { createDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { coreMigrations } from '../db/migrations/index.js';
import { createStorage } from '../storage/create-storage.js';
import { addSigningService, removeSigningService } from '../tasking/signing-services.js';
import { resetAdminPassword } from './admin-user.js';
import { startApiServer } from './api-server.js';
import { openCliDatabase } from './database.js';
import { createLogger } from './logger.js';
import { loadRegistry } from './registry.js';
import { UsageError } from './run-cli.js';

export type Flags = Record<string, string | boolean>;

async function withDatabase<T>(
  settings: Settings,
  fn: (db: Awaited<ReturnType<typeof openCliDatabase>>) => Promise<T>,
): Promise<T> {
  const logger = createLogger({ LOG_LEVEL: settings.LOG_LEVEL === 'info' ? 'warn' : settings.LOG_LEVEL }, 'manager');
  const database = await openCliDatabase(settings, logger, {
    applicationName: 'pulpcore-manager',
    max: 2,
    // migrate, orphan cleanup and the like may run long statements.
    queryTimeout: null,
  });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export async function commandMigrate(settings: Settings): Promise<number> {
  const registry = loadRegistry(settings);
  const applied = await withDatabase(settings, (d) => migrate(d.db, registry.migrations));
  console.log(
    applied.length === 0
      ? 'No migrations to apply.'
      : `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}`,
  );
  return 0;
}

export async function commandResetAdminPassword(settings: Settings, flags: Flags): Promise<number> {
  const random = flags.random === true;
  if (random === (typeof flags.password === 'string'))
    throw new UsageError('give exactly one of --password P or --random');
  const password = random ? randomPassword() : (flags.password as string);
  if (password.length === 0) throw new UsageError('--password must not be empty');
  await withDatabase(settings, (d) => resetAdminPassword(d.db, password));
  console.log(
    random
      ? `Successfully set password for "admin" user to: ${password}`
      : 'Successfully set "admin" user\'s password.',
  );
  return 0;
}

async function expectedMigrations(settings: Settings): Promise<string[]> {
  return [...Object.keys(coreMigrations), ...Object.keys(loadRegistry(settings).migrations)];
}

export async function commandCheck(settings: Settings): Promise<number> {
  const problems: string[] = [];
  const expected = await expectedMigrations(settings);
  await withDatabase(settings, async ({ db }) => {
    try {
      await sql`SELECT 1`.execute(db);
    } catch (err) {
      problems.push(`database: cannot connect (${(err as Error).message})`);
      return;
    }
    const exists = await sql<{ t: string | null }>`SELECT to_regclass('pulp_migration')::text AS t`.execute(db);
    const applied = new Set<string>();
    if (exists.rows[0]?.t) {
      const rows = await sql<{ name: string }>`SELECT name FROM pulp_migration`.execute(db);
      for (const r of rows.rows) applied.add(r.name);
    }
    const missing = expected.filter((m) => !applied.has(m));
    if (missing.length > 0)
      problems.push(
        `database: ${missing.length} migration(s) not applied (run \`pulpcore-manager migrate\`): ${missing.join(', ')}`,
      );
  });
  if (problems.length > 0) {
    console.error(`System check identified ${problems.length} issue(s):\n  - ${problems.join('\n  - ')}`);
    return 1;
  }
  console.log('System check identified no issues (0 silenced).');
  return 0;
}

/** Copies the static folders the API serves at STATIC_URL into STATIC_ROOT (default `<PULP_HOME>/assets`). */
export async function commandCollectStatic(settings: Settings): Promise<number> {
  const root = path.resolve(settings.STATIC_ROOT ?? path.join(settings.PULP_HOME, 'assets'));
  const copied = await collectStatic(root, staticFolders());
  console.log(`Copied ${copied.length} folder(s) of static files to ${root}:\n  ${copied.join('\n  ')}`);
  return 0;
}

export async function commandOpenApi(settings: Settings, flags: Flags): Promise<number> {
  const registry = loadRegistry(settings);
  // The document needs the operations, not a connection: the pool never connects here.
  const { db } = createDatabase({
    url: configuredDatabaseUrl(settings) ?? 'postgres://127.0.0.1:1/unused',
    max: 1,
    queryTimeout: null,
  });
  const api = await buildApiApp({
    settings,
    db,
    logger: createLogger({ LOG_LEVEL: 'silent' }, 'manager'),
    modules: apiModules(registry),
    dispatcher: { dispatch: () => Promise.reject(new Error('no dispatch while generating the schema')) },
    storage: await createStorage(settings),
  });
  try {
    const doc = buildOpenApiDocument(
      {
        operations: api.operations,
        components: api.components,
        prefix: apiPrefix(settings.API_ROOT),
        appVersions: versionMap(registry),
      },
      {
        serverUrl: 'http://localhost:24817/',
        components:
          typeof flags.component === 'string'
            ? flags.component
                .split(',')
                .map((c) => c.trim())
                .filter(Boolean)
            : undefined,
        bindings: flags.bindings === true,
        pkPath: flags['pk-path'] === true,
      },
    );
    const file = typeof flags.file === 'string' ? flags.file : undefined;
    const text =
      file && /\.ya?ml$/i.test(file)
        ? toYaml(doc, { aliasDuplicateObjects: false })
        : `${JSON.stringify(doc, null, 2)}\n`;
    if (file) await writeFile(file, text);
    else process.stdout.write(text);
  } finally {
    await api.app.close();
    await db.destroy();
  }
  return 0;
}

export async function commandRunserver(settings: Settings, positionals: string[]): Promise<void> {
  const port = Number(positionals[0] ?? 24817);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`invalid port ${positionals[0]}`);
  const logger = createLogger(settings, 'api');
  const database = await openCliDatabase(settings, logger, { applicationName: 'pulpcore-manager runserver', max: 10 });
  const server = await startApiServer({
    settings,
    db: database.db,
    pool: database.pool,
    logger,
    storage: await createStorage(settings),
    host: '127.0.0.1',
    port,
  });
  console.log(`Serving the REST API at http://127.0.0.1:${port}${apiPrefix(settings.API_ROOT)} (Ctrl-C to stop)`);
  const stop = () => {
    void server
      .close()
      .then(() => database.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `add-signing-service NAME SCRIPT KEY [--class C] [--gnupghome D] [--keyring F]`, as Pulp's command. */
export async function commandAddSigningService(
  settings: Settings,
  positionals: string[],
  flags: Flags,
): Promise<number> {
  const [name, script, keyId] = positionals;
  if (!name || !script || !keyId || positionals.length !== 3)
    throw new UsageError('usage: add-signing-service NAME SCRIPT KEY [--class C] [--gnupghome D] [--keyring F]');
  const service = await withDatabase(settings, (d) =>
    addSigningService(d.db, {
      name,
      script,
      keyId,
      signingClass: typeof flags.class === 'string' ? flags.class : undefined,
      gnupghome: typeof flags.gnupghome === 'string' ? flags.gnupghome : process.env.GNUPGHOME,
      keyring: typeof flags.keyring === 'string' ? flags.keyring : undefined,
      env: process.env,
    }),
  );
  console.log(`Successfully added signing service ${service.name} for key ${service.pubkey_fingerprint}.`);
  return 0;
}

/** `remove-signing-service NAME [--class C]`. */
export async function commandRemoveSigningService(
  settings: Settings,
  positionals: string[],
  flags: Flags,
): Promise<number> {
  const [name] = positionals;
  if (!name || positionals.length !== 1) throw new UsageError('usage: remove-signing-service NAME [--class C]');
  await withDatabase(settings, (d) =>
    removeSigningService(d.db, name, typeof flags.class === 'string' ? flags.class : undefined),
  );
  console.log(`Signing service '${name}' has been successfully removed.`);
  return 0;
}
