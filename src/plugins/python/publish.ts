import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { type RawBuilder, sql } from 'kysely';

import { hashFile, storeArtifactFile, type Services } from '../../plugin-api/index.js';
import { canonicalizeName } from './names.js';
import type { PythonPackageRow } from './package-row.js';
import { simpleFileOf } from './pypi-index.js';
import { renderSimpleDetailHtml, renderSimpleIndexHtml } from './simple-pages.js';

const PAGE = 2000;

async function storePage(services: Services, dir: string, text: string): Promise<string> {
  const file = path.join(dir, `simple-${randomBytes(8).toString('hex')}`);
  await writeFile(file, text);
  try {
    const digests = await hashFile(file, services.settings.ALLOWED_CONTENT_CHECKSUMS);
    return await storeArtifactFile(
      services.db,
      services.storage,
      { path: file, ...digests },
      services.settings.ALLOWED_CONTENT_CHECKSUMS,
    );
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * pulp_python's publish: a pass-through publication of the version plus the simple pages as published
 * metadata, `simple/index.html` and `simple/<name>/index.html`, whose links are relative (`../../<file>`) so
 * the content app serves the files next to them. Packages are read in keyset pages of one query each, so a
 * large version stays flat in memory (one project's files at a time are held).
 */
export async function publishPythonVersion(services: Services, versionId: string): Promise<string> {
  const v = await services.db
    .selectFrom('repository_version')
    .select(['repository_id', 'number'])
    .where('pulp_id', '=', versionId)
    .executeTakeFirstOrThrow();
  const dir = services.storage.tempDir();
  await mkdir(dir, { recursive: true });
  const pages: Array<{ relativePath: string; artifactId: string }> = [];
  const names: string[] = [];
  let current: { name: string; rows: PythonPackageRow[] } | null = null;
  const flush = async () => {
    if (!current) return;
    const normalized = canonicalizeName(current.name);
    const files = current.rows.map((r) => simpleFileOf(r, '../../'));
    const id = await storePage(services, dir, renderSimpleDetailHtml(normalized, files));
    pages.push({ relativePath: `simple/${normalized}/index.html`, artifactId: id });
    names.push(current.name);
    current = null;
  };
  let after: { name: string; filename: string } | null = null;
  for (;;) {
    const cursor: RawBuilder<unknown> = after
      ? sql`AND (p.name_normalized, p.filename) > (${after.name}, ${after.filename})`
      : sql``;
    const result: { rows: Array<PythonPackageRow & { name_normalized: string }> } = await sql<
      PythonPackageRow & { name_normalized: string }
    >`
      SELECT p.*, c.pulp_created FROM repository_content rc JOIN python_package_content p ON p.content_id = rc.content_id
      JOIN content c ON c.pulp_id = p.content_id
      WHERE rc.repository_id = ${v.repository_id} AND rc.version_added <= ${v.number}
        AND (rc.version_removed IS NULL OR rc.version_removed > ${v.number}) ${cursor}
      ORDER BY p.name_normalized, p.filename LIMIT ${PAGE}`.execute(services.db);
    const rows = result.rows;
    for (const r of rows) {
      if (current && canonicalizeName(current.name) !== r.name_normalized) await flush();
      if (!current) current = { name: r.name, rows: [] };
      current.rows.push(r);
    }
    const last: (PythonPackageRow & { name_normalized: string }) | undefined = rows[rows.length - 1];
    if (!last || rows.length < PAGE) break;
    after = { name: last.name_normalized, filename: last.filename };
  }
  await flush();
  pages.push({
    relativePath: 'simple/index.html',
    artifactId: await storePage(services, dir, renderSimpleIndexHtml(names)),
  });
  return services.db.transaction().execute(async (trx) => {
    const pub = await trx
      .insertInto('publication')
      .values({ pulp_type: 'python.python', repository_version_id: versionId, pass_through: true, detail: '{}' })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    for (let i = 0; i < pages.length; i += 1000) {
      await trx
        .insertInto('published_metadata')
        .values(
          pages.slice(i, i + 1000).map((p) => ({
            publication_id: pub.pulp_id,
            artifact_id: p.artifactId,
            relative_path: p.relativePath,
          })),
        )
        .execute();
    }
    await trx.updateTable('publication').set({ complete: true }).where('pulp_id', '=', pub.pulp_id).execute();
    return pub.pulp_id;
  });
}
