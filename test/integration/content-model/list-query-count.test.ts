import { Kysely, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiApp, buildApiApp } from '../../../src/api/build-app.js';
import { apiModules } from '../../../src/api/modules.js';
import { loadRegistry } from '../../../src/cli/registry.js';
import { hashPassword } from '../../../src/core/passwords.js';
import { createPool } from '../../../src/db/database.js';
import type { DB } from '../../../src/db/tables.js';
import { createInitialVersion, createRepositoryVersion } from '../../../src/plugin-api/repository-versions.js';
import { createTestSettings, refusingDispatcher, silentLogger } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { createStorage } from '../../../src/storage/create-storage.js';

/*
 * Every list must cost the same number of queries whatever its page size (no query per item). The app here
 * runs on a Kysely instance that counts the statements it executes.
 */

let database: TestDatabase;
let db: Kysely<DB>;
let api: ApiApp;
let queries = 0;
let repoHref = '';
const auth = `Basic ${Buffer.from('admin:pw').toString('base64')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  const pool = createPool({ url: database.url, max: 4 });
  db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: () => {
      queries += 1;
    },
  });
  const settings = await createTestSettings();
  await db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword('pw', 1000), is_superuser: true, is_staff: true })
    .execute();
  api = await buildApiApp({
    settings,
    db,
    logger: silentLogger,
    modules: apiModules(loadRegistry(settings)),
    dispatcher: refusingDispatcher,
    storage: await createStorage(settings),
  });
  await api.app.ready();

  const repo = await db
    .insertInto('repository')
    .values({
      pulp_type: 'file.file',
      name: 'qc',
      description: null,
      retain_repo_versions: null,
      retain_checkpoints: null,
      remote_id: null,
      pulp_labels: {},
      detail: {},
    })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  repoHref = `/pulp/api/v3/repositories/file/file/${repo.pulp_id}/`;
  await createInitialVersion(db, repo.pulp_id);
  for (let i = 0; i < 12; i++) {
    const a = await db
      .insertInto('artifact')
      .values({ file: `artifact/00/${i}`, size: 1, sha256: `${i}`.padStart(64, '0') })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    const c = await db
      .insertInto('content')
      .values({ pulp_type: 'file.file', pulp_labels: {}, upstream_id: null })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('content_artifact')
      .values({ content_id: c.pulp_id, artifact_id: a.pulp_id, relative_path: `f${i}` })
      .execute();
    const v = await createRepositoryVersion(db, repo.pulp_id, { add: [c.pulp_id] });
    await db
      .insertInto('publication')
      .values({ pulp_type: 'file.file', repository_version_id: v!.pulp_id, complete: true, detail: {} })
      .execute();
    await db
      .insertInto('distribution')
      .values({
        pulp_type: 'file.file',
        name: `qc${i}`,
        base_path: `qc${i}`,
        pulp_labels: {},
        content_guard_id: null,
        repository_id: repo.pulp_id,
        repository_version_id: v!.pulp_id,
        publication_id: null,
        remote_id: null,
        detail: {},
      })
      .execute();
    await db
      .insertInto('remote')
      .values({
        pulp_type: 'file.file',
        name: `qc${i}`,
        url: 'http://127.0.0.1/',
        ca_cert: null,
        client_cert: null,
        client_key: null,
        username: null,
        password: null,
        proxy_url: null,
        proxy_username: null,
        proxy_password: null,
        download_concurrency: null,
        max_retries: null,
        total_timeout: null,
        connect_timeout: null,
        sock_connect_timeout: null,
        sock_read_timeout: null,
        headers: null,
        rate_limit: null,
        pulp_labels: {},
        detail: {},
      })
      .execute();
    // Enough repositories (each with its version 0) and uploads that a query per item would show.
    const other = await db
      .insertInto('repository')
      .values({
        pulp_type: 'file.file',
        name: `qc-other-${i}`,
        description: null,
        retain_repo_versions: null,
        retain_checkpoints: null,
        remote_id: null,
        pulp_labels: { i: String(i) },
        detail: {},
      })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await createInitialVersion(db, other.pulp_id);
    const upload = await db
      .insertInto('upload')
      .values({ size: 100, user_id: null })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('upload_chunk')
      .values({ upload_id: upload.pulp_id, offset: 0, size: 10, file: `upload/${upload.pulp_id}/0` })
      .execute();
  }
});
beforeAll(async () => {
  // The first request warms per-process caches (access policies); measure steady state.
  await api.app.inject({ method: 'GET', url: '/pulp/api/v3/content/', headers: { authorization: auth } });
});
afterAll(async () => {
  await api.app.close();
  await db.destroy();
  await database.drop();
});

/** Queries run to answer `url`, which must list `items` objects (so that a query per item would show). */
async function countFor(url: string, items: number): Promise<number> {
  queries = 0;
  const res = await api.app.inject({ method: 'GET', url, headers: { authorization: auth } });
  expect(res.statusCode).toBe(200);
  expect(res.json<{ results: unknown[] }>().results, url).toHaveLength(items);
  return queries;
}

describe('list endpoints', () => {
  const lists = [
    'content/',
    'repositories/',
    'repository_versions/',
    'remotes/',
    'publications/',
    'distributions/',
    'artifacts/',
    'uploads/',
  ];
  for (const list of lists) {
    it(`${list} costs the same number of queries for 2 and 12 items`, async () => {
      const small = await countFor(`/pulp/api/v3/${list}?limit=2`, 2);
      const large = await countFor(`/pulp/api/v3/${list}?limit=12`, 12);
      expect(large).toBe(small);
    });
  }
  it("a repository's version list does too", async () => {
    expect(await countFor(`${repoHref}versions/?limit=12`, 12)).toBe(await countFor(`${repoHref}versions/?limit=2`, 2));
    expect(await countFor(`/pulp/api/v3/content/?repository_version=${repoHref}versions/12/&limit=12`, 12)).toBe(
      await countFor(`/pulp/api/v3/content/?repository_version=${repoHref}versions/12/&limit=2`, 2),
    );
  });
});
