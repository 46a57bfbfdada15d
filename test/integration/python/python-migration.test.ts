import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

async function content(): Promise<string> {
  const { rows } = await sql<{
    pulp_id: string;
  }>`INSERT INTO content (pulp_type) VALUES ('python.python') RETURNING pulp_id`.execute(t.db);
  return rows[0]!.pulp_id;
}

describe('python content tables', () => {
  it('normalizes the name in the database and keeps one package per sha256', async () => {
    const id = await content();
    await sql`INSERT INTO python_package_content (content_id, filename, packagetype, sha256, name, version)
      VALUES (${id}, 'Foo_Bar-1.0.tar.gz', 'sdist', ${'a'.repeat(64)}, 'Foo_Bar..Baz', '1.0')`.execute(t.db);
    const { rows } = await sql<{ name_normalized: string; classifiers: unknown; project_urls: unknown }>`
      SELECT name_normalized, classifiers, project_urls FROM python_package_content WHERE content_id = ${id}`.execute(
      t.db,
    );
    expect(rows[0]).toEqual({ name_normalized: 'foo-bar-baz', classifiers: [], project_urls: {} });
    const other = await content();
    await expect(
      sql`INSERT INTO python_package_content (content_id, filename, packagetype, sha256, name, version)
        VALUES (${other}, 'x-1.0.tar.gz', 'sdist', ${'a'.repeat(64)}, 'x', '1.0')`.execute(t.db),
    ).rejects.toThrow(/duplicate key/);
  });

  it('removes a package and its provenance with their content rows', async () => {
    const pkg = await content();
    await sql`INSERT INTO python_package_content (content_id, filename, packagetype, sha256, name, version)
      VALUES (${pkg}, 'p-1.0.tar.gz', 'sdist', ${'c'.repeat(64)}, 'p', '1.0')`.execute(t.db);
    const prov = await content();
    await sql`INSERT INTO python_package_provenance (content_id, package_id, provenance, sha256)
      VALUES (${prov}, ${pkg}, '{}', ${'d'.repeat(64)})`.execute(t.db);
    await sql`DELETE FROM content WHERE pulp_id = ${pkg}`.execute(t.db);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM python_package_provenance WHERE content_id = ${prov}`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
  });
});
