import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DigestMismatchError, SizeMismatchError } from '../../../src/core/errors.js';
import { findArtifactByDigests, importArtifactFromFile } from '../../../src/plugin-api/artifacts.js';
import type { Services } from '../../../src/plugin-api/operations.js';
import { createTestSettings } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { createTestServices, writeTempFile } from '../../helpers/task-context.js';

let database: TestDatabase;
let services: Services;

beforeAll(async () => {
  database = await createTestDatabase();
  services = await createTestServices(database.db, await createTestSettings());
});
afterAll(async () => {
  await database.drop();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('importArtifactFromFile', () => {
  it('concurrent imports of the same bytes make one artifact and one file', async () => {
    const data = randomBytes(50_000);
    const temps = await Promise.all(Array.from({ length: 6 }, () => writeTempFile(services, data)));
    const rows = await Promise.all(temps.map((t) => importArtifactFromFile(services, t)));
    expect(new Set(rows.map((r) => r.pulp_id)).size).toBe(1);
    const count = await database.db
      .selectFrom('artifact')
      .select('pulp_id')
      .where('sha256', '=', sha256(data))
      .execute();
    expect(count).toHaveLength(1);
    expect(await readFile(services.storage.localPath(rows[0]!.file)!)).toEqual(data);
    // Every temporary file was consumed.
    const left = (await readdir(services.storage.tempDir())).filter((f) => temps.some((t) => t.endsWith(f)));
    expect(left).toEqual([]);
  });

  it('verifies expected size and digests before storing anything', async () => {
    const data = randomBytes(100);
    const t = await writeTempFile(services, data);
    await expect(importArtifactFromFile(services, t, { expected: { size: 99 } })).rejects.toBeInstanceOf(
      SizeMismatchError,
    );
    await expect(
      importArtifactFromFile(services, t, { expected: { digests: { sha256: sha256(randomBytes(3)) } } }),
    ).rejects.toBeInstanceOf(DigestMismatchError);
    await expect(
      importArtifactFromFile(services, t, { expected: { digests: { md5: 'a'.repeat(32) } } }),
    ).rejects.toThrow(/forbidden/);
    expect(await findArtifactByDigests(database.db, { sha256: sha256(data) })).toBeNull();
    const row = await importArtifactFromFile(services, t, {
      expected: { size: 100, digests: { sha256: sha256(data) } },
    });
    expect(row).toMatchObject({ sha256: sha256(data), md5: null, sha1: null, size: 100 });
    expect((await findArtifactByDigests(database.db, { sha512: row.sha512 }))?.pulp_id).toBe(row.pulp_id);
  });

  it('puts the file back when an existing artifact lost it', async () => {
    const data = randomBytes(300);
    const row = await importArtifactFromFile(services, await writeTempFile(services, data));
    await rm(services.storage.localPath(row.file)!);
    const again = await importArtifactFromFile(services, await writeTempFile(services, data));
    expect(again.pulp_id).toBe(row.pulp_id);
    expect(await readFile(services.storage.localPath(row.file)!)).toEqual(data);
  });
});
