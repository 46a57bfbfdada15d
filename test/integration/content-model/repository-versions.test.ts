import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  contentSummary,
  createInitialVersion,
  createRepositoryVersion,
  deleteRepositoryVersion,
  latestVersionNumber,
  selectRepositoryVersions,
  serializeRepositoryVersion,
  versionContentIds,
} from '../../../src/plugin-api/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { registerFileTypes } from '../../helpers/task-context.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  registerFileTypes();
});
afterAll(async () => {
  await database.drop();
});

async function newRepository(name: string, retain: number | null = null): Promise<string> {
  const db = database.db;
  const repo = await db
    .insertInto('repository')
    .values({
      pulp_type: 'file.file',
      name,
      description: null,
      retain_repo_versions: retain,
      retain_checkpoints: null,
      remote_id: null,
      pulp_labels: {},
      detail: {},
    })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  await createInitialVersion(db, repo.pulp_id);
  return repo.pulp_id;
}

async function newContent(n: number, type = 'file.file'): Promise<string[]> {
  const rows = await database.db
    .insertInto('content')
    .values(Array.from({ length: n }, () => ({ pulp_type: type, pulp_labels: {}, upstream_id: null })))
    .returning('pulp_id')
    .execute();
  return rows.map((r) => r.pulp_id);
}

async function contentOf(repo: string, number: number): Promise<string[]> {
  const rows = await versionContentIds(database.db, repo, number).execute();
  return rows.map((r) => r.content_id).sort();
}

describe('repository versions', () => {
  it('adds and removes content, each version keeping its own content', async () => {
    const repo = await newRepository('versions-basic');
    const [a, b, c] = (await newContent(3)) as [string, string, string];
    const v1 = await createRepositoryVersion(database.db, repo, { add: [a, b] });
    expect(v1?.number).toBe(1);
    expect(v1?.href).toBe(`/pulp/api/v3/repositories/file/file/${repo}/versions/1/`);
    const v2 = await createRepositoryVersion(database.db, repo, { add: [c], remove: [a] });
    expect(v2?.number).toBe(2);
    expect(await contentOf(repo, 0)).toEqual([]);
    expect(await contentOf(repo, 1)).toEqual([a, b].sort());
    expect(await contentOf(repo, 2)).toEqual([b, c].sort());
    expect(await latestVersionNumber(database.db, repo)).toBe(2);
    const summary = await contentSummary(database.db, repo, 2);
    expect(summary.added['file.file']?.count).toBe(1);
    expect(summary.removed['file.file']?.count).toBe(1);
    expect(summary.present['file.file']).toEqual({
      count: 2,
      href: `/pulp/api/v3/content/file/files/?repository_version=/pulp/api/v3/repositories/file/file/${repo}/versions/2/`,
    });
  });

  it('creates no version when nothing changes, and never reuses the number', async () => {
    const repo = await newRepository('versions-noop');
    const [a, b] = (await newContent(2)) as [string, string];
    await createRepositoryVersion(database.db, repo, { add: [a] });
    expect(await createRepositoryVersion(database.db, repo, { add: [a], remove: [b] })).toBeNull();
    expect(await createRepositoryVersion(database.db, repo, {})).toBeNull();
    const count = await database.db
      .selectFrom('repository_version')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('repository_id', '=', repo)
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(2);
    const v = await createRepositoryVersion(database.db, repo, { add: [b] });
    expect(v?.number).toBe(2);
  });

  it('a unit both removed and added in one change stays present', async () => {
    const repo = await newRepository('versions-both');
    const [a, b] = (await newContent(2)) as [string, string];
    await createRepositoryVersion(database.db, repo, { add: [a] });
    const v = await createRepositoryVersion(database.db, repo, { remove: [a], add: [a, b] });
    expect(await contentOf(repo, v?.number ?? -1)).toEqual([a, b].sort());
  });

  it('starts from base_version and from nothing with removeAll', async () => {
    const repo = await newRepository('versions-base');
    const [a, b, c] = (await newContent(3)) as [string, string, string];
    await createRepositoryVersion(database.db, repo, { add: [a] }); // 1: a
    await createRepositoryVersion(database.db, repo, { add: [b] }); // 2: a b
    const v3 = await createRepositoryVersion(database.db, repo, { baseVersion: 1, add: [c] }); // 3: a c
    expect(await contentOf(repo, 3)).toEqual([a, c].sort());
    expect(await contentOf(repo, 2)).toEqual([a, b].sort());
    const rows = await selectRepositoryVersions(database.db)
      .where('v.repository_id', '=', repo)
      .where('v.number', '=', 3)
      .execute();
    const body = serializeRepositoryVersion('/pulp/api/v3/', rows[0]!);
    expect(body.base_version).toBe(`/pulp/api/v3/repositories/file/file/${repo}/versions/1/`);
    expect(body.number).toBe(3);
    expect(v3?.number).toBe(3);
    expect((body.content_summary as { added: Record<string, { count: number }> }).added['file.file']?.count).toBe(1);
    const v4 = await createRepositoryVersion(database.db, repo, { removeAll: true, add: [b] });
    expect(await contentOf(repo, v4?.number ?? -1)).toEqual([b]);
    await expect(createRepositoryVersion(database.db, repo, { baseVersion: 99 })).rejects.toThrow(/base_version/);
  });

  it('runs finalize inside the transaction and drops units it removes again', async () => {
    const repo = await newRepository('versions-finalize');
    const [a, b] = (await newContent(2)) as [string, string];
    await createRepositoryVersion(database.db, repo, { add: [a] });
    // Replace a by b, as the file plugin does for a shared relative path.
    const v = await createRepositoryVersion(
      database.db,
      repo,
      { add: [b] },
      {
        finalize: async (trx, repositoryId, n) => {
          await sql`UPDATE repository_content SET version_removed = ${n} WHERE repository_id = ${repositoryId} AND content_id = ${a} AND version_removed IS NULL`.execute(
            trx,
          );
        },
      },
    );
    expect(await contentOf(repo, v?.number ?? -1)).toEqual([b]);
    // A finalize that undoes the only change leaves no version.
    const none = await createRepositoryVersion(
      database.db,
      repo,
      { add: [a] },
      {
        finalize: async (trx, repositoryId, n) => {
          await sql`UPDATE repository_content SET version_removed = ${n} WHERE repository_id = ${repositoryId} AND content_id = ${a} AND version_added = ${n}`.execute(
            trx,
          );
        },
      },
    );
    expect(none).toBeNull();
  });

  it('refuses content types the repository does not accept', async () => {
    const repo = await newRepository('versions-types');
    const [x] = (await newContent(1, 'other.thing')) as [string];
    await expect(
      createRepositoryVersion(database.db, repo, { add: [x] }, { contentTypes: ['file.file'] }),
    ).rejects.toThrow(/other\.thing/);
  });

  it('deleting a version squashes its changes into the next one', async () => {
    const repo = await newRepository('versions-delete');
    const [a, b, c] = (await newContent(3)) as [string, string, string];
    await createRepositoryVersion(database.db, repo, { add: [a] }); // 1: a
    await createRepositoryVersion(database.db, repo, { add: [b] }); // 2: a b
    await createRepositoryVersion(database.db, repo, { add: [c], remove: [b] }); // 3: a c
    await deleteRepositoryVersion(database.db, repo, 2);
    expect(await contentOf(repo, 1)).toEqual([a]);
    expect(await contentOf(repo, 3)).toEqual([a, c].sort());
    // b existed only in version 2: no row is left for it.
    const bRows = await database.db
      .selectFrom('repository_content')
      .selectAll()
      .where('repository_id', '=', repo)
      .where('content_id', '=', b)
      .execute();
    expect(bRows).toHaveLength(0);
    const s3 = await contentSummary(database.db, repo, 3);
    expect(s3.added['file.file']?.count).toBe(1);
    expect(s3.removed).toEqual({});
    // Deleting the latest version brings the previous content back as current.
    await deleteRepositoryVersion(database.db, repo, 3);
    expect(await latestVersionNumber(database.db, repo)).toBe(1);
    const v = await createRepositoryVersion(database.db, repo, { add: [b] });
    expect(v?.number).toBe(4);
    expect(await contentOf(repo, 4)).toEqual([a, b].sort());
  });

  it('a unit removed and re-added across a deleted version keeps one range', async () => {
    const repo = await newRepository('versions-rejoin');
    const [a] = (await newContent(1)) as [string];
    await createRepositoryVersion(database.db, repo, { add: [a] }); // 1: a
    await createRepositoryVersion(database.db, repo, { remove: [a] }); // 2: -
    await createRepositoryVersion(database.db, repo, { add: [a] }); // 3: a
    await deleteRepositoryVersion(database.db, repo, 2);
    const rows = await database.db
      .selectFrom('repository_content')
      .selectAll()
      .where('repository_id', '=', repo)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.version_added).toBe(1);
    expect(rows[0]?.version_removed).toBeNull();
    const s3 = await contentSummary(database.db, repo, 3);
    expect(s3.added).toEqual({});
    expect(s3.present['file.file']?.count).toBe(1);
  });

  it('refuses to delete the only version or a distributed one', async () => {
    const repo = await newRepository('versions-protect');
    await expect(deleteRepositoryVersion(database.db, repo, 0)).rejects.toThrow(/at least one/);
    const [a] = (await newContent(1)) as [string];
    const v1 = await createRepositoryVersion(database.db, repo, { add: [a] });
    await database.db
      .insertInto('distribution')
      .values({
        pulp_type: 'file.file',
        name: 'protect',
        base_path: 'protect',
        pulp_labels: {},
        content_guard_id: null,
        repository_id: null,
        repository_version_id: v1!.pulp_id,
        publication_id: null,
        remote_id: null,
        detail: {},
      })
      .execute();
    await createRepositoryVersion(database.db, repo, { remove: [a] });
    await expect(deleteRepositoryVersion(database.db, repo, 1)).rejects.toThrow(/distribute/);
  });

  it('retain_repo_versions keeps the newest versions and those a distribution serves', async () => {
    const repo = await newRepository('versions-retain', 2);
    const ids = await newContent(4);
    for (const id of ids) await createRepositoryVersion(database.db, repo, { add: [id] });
    const numbers = (
      await database.db
        .selectFrom('repository_version')
        .select('number')
        .where('repository_id', '=', repo)
        .orderBy('number')
        .execute()
    ).map((r) => r.number);
    expect(numbers).toEqual([3, 4]);
    expect(await contentOf(repo, 4)).toEqual([...ids].sort());
    const s3 = await contentSummary(database.db, repo, 3);
    expect(s3.present['file.file']?.count).toBe(3);
  });
});

describe('stored content summaries', () => {
  it('match a full recount after additions, removals, base versions and deletions', async () => {
    const repo = await newRepository('versions-summary');
    const files = await newContent(6);
    const others = await newContent(3, 'other.kind');
    const opts = { contentTypes: ['file.file', 'other.kind'], finalize: () => Promise.resolve() };
    await createRepositoryVersion(database.db, repo, { add: [...files.slice(0, 4), ...others.slice(0, 2)] }, opts);
    await createRepositoryVersion(database.db, repo, { remove: [files[0]!, others[0]!], add: [files[4]!] }, opts);
    await createRepositoryVersion(database.db, repo, { baseVersion: 1, add: [others[2]!] }, opts);
    await createRepositoryVersion(database.db, repo, { removeAll: true, add: [files[5]!] }, opts);
    await deleteRepositoryVersion(database.db, repo, 2);
    const rows = await selectRepositoryVersions(database.db).where('v.repository_id', '=', repo).execute();
    expect(rows.length).toBe(4);
    for (const row of rows) {
      const stored = serializeRepositoryVersion('/pulp/api/v3/', row).content_summary;
      expect(stored).toEqual(await contentSummary(database.db, repo, row.number));
    }
  });
});

describe('large versions', () => {
  it('adds more units than PostgreSQL allows bind parameters (65535) in one version', async () => {
    const repo = await newRepository('versions-large');
    const ids = (
      await sql<{
        pulp_id: string;
      }>`INSERT INTO content (pulp_type) SELECT 'file.file' FROM generate_series(1, 70000) RETURNING pulp_id`.execute(
        database.db,
      )
    ).rows.map((r) => r.pulp_id);
    const v = await createRepositoryVersion(
      database.db,
      repo,
      { add: ids },
      { contentTypes: ['file.file'], finalize: () => Promise.resolve() },
    );
    expect(v?.number).toBe(1);
    expect((await contentSummary(database.db, repo, 1)).present['file.file']?.count).toBe(70000);
    const one = await createRepositoryVersion(
      database.db,
      repo,
      { remove: [ids[0]!] },
      { finalize: () => Promise.resolve() },
    );
    const rows = await selectRepositoryVersions(database.db)
      .where('v.repository_id', '=', repo)
      .where('v.number', '=', one!.number)
      .execute();
    expect(serializeRepositoryVersion('/pulp/api/v3/', rows[0]!).content_summary).toMatchObject({
      removed: { 'file.file': { count: 1 } },
      present: { 'file.file': { count: 69999 } },
    });
  });
});
