import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generalCreate, generalDelete, generalUpdate } from '../../../src/tasking/core-tasks/base.js';
import { repairVersion } from '../../../src/tasking/core-tasks/repair.js';
import { importArtifactFromFile } from '../../../src/plugin-api/artifacts.js';
import type { Services } from '../../../src/plugin-api/operations.js';
import { createRepositoryVersion } from '../../../src/plugin-api/repository-versions.js';
import { registerResourceTypes } from '../../../src/plugin-api/resource-types.js';
import { createTestSettings } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { createTaskContext, createTestServices, registerFileTypes, writeTempFile } from '../../helpers/task-context.js';

let database: TestDatabase;
let services: Services;

beforeAll(async () => {
  database = await createTestDatabase();
  services = await createTestServices(database.db, await createTestSettings());
  registerFileTypes();
  // A type with no hooks: the generic tasks fall back to plain table writes.
  registerResourceTypes([
    {
      kind: 'contentguard',
      pulpType: 'test.plain',
      endpoint: 'contentguards/test/plain',
      prnModel: 'test.plaincontentguard',
      modelName: 'PlainContentGuard',
      serialize: async (s, ids) => {
        const rows = await s.db
          .selectFrom('content_guard')
          .select(['pulp_id', 'name', 'description'])
          .where('pulp_id', 'in', ids)
          .execute();
        return rows.map((r) => ({ ...r }));
      },
    },
  ]);
});
afterAll(async () => {
  await database.drop();
});

async function serial(): Promise<number> {
  const r = await database.db.selectFrom('content_serial').select('serial').executeTakeFirstOrThrow();
  return Number(r.serial);
}

describe('generic create, update and delete tasks', () => {
  it('create inserts the row, records its typed href and returns it serialized', async () => {
    const before = await serial();
    const ctx = createTaskContext(services, {
      kind: 'contentguard',
      pulp_type: 'test.plain',
      data: { name: 'g1', description: 'first', detail: { x: [1, 2] } },
    });
    const result = (await generalCreate(ctx)) as { pulp_id: string; name: string };
    expect(result).toMatchObject({ name: 'g1', description: 'first' });
    expect(ctx.createdResources).toEqual([`/pulp/api/v3/contentguards/test/plain/${result.pulp_id}/`]);
    const row = await database.db
      .selectFrom('content_guard')
      .selectAll()
      .where('pulp_id', '=', result.pulp_id)
      .executeTakeFirstOrThrow();
    expect(row.detail).toEqual({ x: [1, 2] });
    expect(await serial()).toBeGreaterThan(before);

    const upd = createTaskContext(services, {
      kind: 'contentguard',
      pulp_type: 'test.plain',
      pulp_id: result.pulp_id,
      data: { description: 'second' },
    });
    expect(await generalUpdate(upd)).toMatchObject({ name: 'g1', description: 'second' });
    const del = createTaskContext(services, { kind: 'contentguard', pulp_type: 'test.plain', pulp_id: result.pulp_id });
    expect(await generalDelete(del)).toBeNull();
    await expect(generalDelete(del)).rejects.toThrow(/No PlainContentGuard matches/);
  });

  it('refuses unknown kinds and types', async () => {
    await expect(
      generalCreate(createTaskContext(services, { kind: 'bogus', pulp_type: 'x.y', data: {} })),
    ).rejects.toThrow(/kind/);
    await expect(
      generalCreate(createTaskContext(services, { kind: 'remote', pulp_type: 'x.y', data: {} })),
    ).rejects.toThrow(/Unknown remote type/);
  });
});

describe('repair_version', () => {
  it('reports missing files and deletes a corrupted one', async () => {
    const repo = await database.db
      .insertInto('repository')
      .values({
        pulp_type: 'file.file',
        name: 'repair',
        description: null,
        retain_repo_versions: null,
        retain_checkpoints: null,
        remote_id: null,
        pulp_labels: {},
        detail: {},
      })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    const ids: string[] = [];
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await importArtifactFromFile(services, await writeTempFile(services, randomBytes(100)));
      const c = await database.db
        .insertInto('content')
        .values({ pulp_type: 'file.file', pulp_labels: {}, upstream_id: null })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await database.db
        .insertInto('content_artifact')
        .values({ content_id: c.pulp_id, artifact_id: a.pulp_id, relative_path: `r${i}` })
        .execute();
      ids.push(c.pulp_id);
      files.push(a.file);
    }
    expect((await createRepositoryVersion(database.db, repo.pulp_id, { add: ids }))?.number).toBe(0);
    await services.storage.delete(files[0]!);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(services.storage.localPath(files[1]!)!, 'corrupt');
    // The repository had no version 0, so its first version holds the content.
    const v = await createRepositoryVersion(database.db, repo.pulp_id, {});
    expect(v).toBeNull();
    const run = createTaskContext(services, { repository_pk: repo.pulp_id, number: 0, verify_checksums: true });
    await repairVersion(run);
    expect(run.progressReports.find((r) => r.code === 'repair.missing')).toMatchObject({ total: 3, done: 1 });
    expect(run.progressReports.find((r) => r.code === 'repair.corrupted')).toMatchObject({ done: 1 });
    expect(await services.storage.size(files[1]!)).toBeNull();
    expect(await services.storage.size(files[2]!)).toBe(100);
  });
});
