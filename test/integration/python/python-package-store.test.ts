import { readdir } from 'node:fs/promises';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ValidationError } from '../../../src/core/errors.js';
import type { Services } from '../../../src/plugin-api/operations.js';
import { storePackageFile } from '../../../src/plugins/python/package-store.js';
import { createTestSettings } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { buildSdist, buildWheel } from '../../helpers/python-packages.js';
import { createTestServices, writeTempFile } from '../../helpers/task-context.js';

let t: TestDatabase;
let services: Services;
beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t.db, await createTestSettings());
});
afterAll(async () => {
  await t.drop();
});

async function artifactsOf(contentId: string) {
  return t.db
    .selectFrom('content_artifact as ca')
    .innerJoin('artifact as a', 'a.pulp_id', 'ca.artifact_id')
    .select(['ca.relative_path', 'a.sha256', 'a.size'])
    .where('ca.content_id', '=', contentId)
    .orderBy('ca.relative_path')
    .execute();
}

describe('storing a package file', () => {
  it('stores a wheel with its metadata artifact, and returns the same unit for the same bytes', async () => {
    const wheel = buildWheel({ name: 'store-a', version: '1.0', requiresDist: ['store-b'] });
    const stored = await storePackageFile(services, await writeTempFile(services, wheel.bytes), wheel.filename, {
      expectedSha256: wheel.sha256,
    });
    expect(stored.created).toBe(true);
    expect(stored.row).toMatchObject({
      name: 'store-a',
      version: '1.0',
      sha256: wheel.sha256,
      requires_dist: ['store-b'],
    });
    const artifacts = await artifactsOf(stored.contentId);
    expect(artifacts.map((a) => a.relative_path)).toEqual([wheel.filename, `${wheel.filename}.metadata`]);
    expect(artifacts[1]?.sha256).toBe(stored.row.metadata_sha256);
    const again = await storePackageFile(services, await writeTempFile(services, wheel.bytes), wheel.filename);
    expect(again).toMatchObject({ created: false, contentId: stored.contentId });
    expect(await readdir(services.storage.tempDir())).toEqual([]);
  });

  it('stores an sdist with one artifact', async () => {
    const sdist = buildSdist({ name: 'store-b', version: '2.0' });
    const stored = await storePackageFile(services, await writeTempFile(services, sdist.bytes), sdist.filename);
    expect((await artifactsOf(stored.contentId)).map((a) => a.relative_path)).toEqual([sdist.filename]);
  });

  it('stores nothing for a broken package or a digest mismatch, and leaves no temporary file', async () => {
    const count = async () =>
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM artifact`.execute(t.db)).rows[0]?.n);
    const before = await count();
    const bad = buildWheel({ name: 'store-c', version: '1.0' }, { 'store_c-1.0.dist-info/METADATA': 'Name: x\n' });
    await expect(storePackageFile(services, await writeTempFile(services, bad.bytes), bad.filename)).rejects.toThrow(
      ValidationError,
    );
    const good = buildWheel({ name: 'store-c', version: '1.0' });
    await expect(
      storePackageFile(services, await writeTempFile(services, good.bytes), good.filename, {
        expectedSha256: 'f'.repeat(64),
      }),
    ).rejects.toThrow(/sha256 checksum did not match/);
    expect(await count()).toBe(before);
    expect(await readdir(services.storage.tempDir())).toEqual([]);
  });
});
