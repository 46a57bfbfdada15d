import { sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import { findResourceType, resourceTypesOf } from '../../plugin-api/resource-types.js';
import { JsonRowsWriter } from './json-rows.js';

/*
 * What one repository version contributes to an export, written a batch at a time (keyset pages): the
 * detail rows of each content type and the content artifacts (Pulp's ContentArtifactResource, which names
 * the artifact by sha256 and the content by its exporting pulp_id).
 */

const BATCH = 1000;

export interface ExportedVersion {
  versionId: string;
  repositoryId: string;
  repositoryName: string;
  repositoryType: string;
  number: number;
}

export const ARTIFACT_FILE = 'pulpcore.app.modelresource.ArtifactResource.json';
export const REPO_FILE = 'pulpcore.app.modelresource.RepositoryResource.json';
export const CA_FILE = 'pulpcore.app.modelresource.ContentArtifactResource.json';
export const VERSIONS_FILE = 'versions.json';

/** `repository-<name>_<number>`: the folder of a version's resources, as Pulp names it. */
export const versionFolder = (name: string, number: number) => `repository-${name}_${number}`;

const inVersion = (v: ExportedVersion) =>
  sql<boolean>`rc.repository_id = ${v.repositoryId}::uuid AND rc.version_added <= ${v.number}
    AND (rc.version_removed IS NULL OR rc.version_removed > ${v.number})`;

/**
 * Refuses what cannot be exported, as Pulp does before writing anything: content without a downloaded
 * artifact ("Remote artifacts cannot be exported.") and content types no installed plugin can carry.
 */
export async function checkExportable(db: Database, v: ExportedVersion): Promise<void> {
  const missing = await sql<{ n: number }>`SELECT count(*)::int AS n FROM repository_content rc
    JOIN content_artifact ca ON ca.content_id = rc.content_id
    WHERE ${inVersion(v)} AND ca.artifact_id IS NULL`.execute(db);
  if ((missing.rows[0]?.n ?? 0) > 0) throw new ValidationError(['Remote artifacts cannot be exported.']);
  const types = await sql<{ pulp_type: string }>`SELECT DISTINCT c.pulp_type FROM repository_content rc
    JOIN content c ON c.pulp_id = rc.content_id WHERE ${inVersion(v)}`.execute(db);
  for (const t of types.rows) {
    if (!findResourceType('content', t.pulp_type)?.exportable)
      throw new ValidationError([`Content of type ${t.pulp_type} cannot be exported.`]);
  }
}

/** SQL: the artifact ids of a version (for the export's artifact set and incremental differences). */
export const versionArtifactIds = (v: ExportedVersion) =>
  sql`SELECT ca.artifact_id FROM repository_content rc JOIN content_artifact ca ON ca.content_id = rc.content_id
    WHERE ${inVersion(v)} AND ca.artifact_id IS NOT NULL`;

/** Writes the version's content resource files into `dir` and returns their names (relative to `dir`). */
export async function writeVersionResources(db: Database, v: ExportedVersion, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const type of resourceTypesOf('content')) {
    const spec = type.exportable;
    if (!spec) continue;
    const out = new JsonRowsWriter(`${dir}/${spec.resourceName}.json`);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await sql<{ pulp_id: string; pulp_labels: unknown; detail: Record<string, unknown> }>`
        SELECT c.pulp_id::text, c.pulp_labels, to_jsonb(d) - 'content_id' AS detail
        FROM repository_content rc JOIN content c ON c.pulp_id = rc.content_id
        JOIN ${sql.table(spec.table)} d ON d.content_id = c.pulp_id
        WHERE ${inVersion(v)} AND c.pulp_type = ${type.pulpType} AND c.pulp_id > ${after}::uuid
        ORDER BY c.pulp_id LIMIT ${BATCH}`.execute(db);
      if (page.rows.length === 0) break;
      after = page.rows[page.rows.length - 1]!.pulp_id;
      await out.write(page.rows.map((r) => ({ ...r.detail, pulp_id: r.pulp_id, pulp_labels: r.pulp_labels })));
    }
    await out.close();
    if (out.rows > 0) written.push(`${spec.resourceName}.json`);
  }
  const ca = new JsonRowsWriter(`${dir}/${CA_FILE}`);
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await sql<{ pulp_id: string; content: string; relative_path: string; artifact: string }>`
      SELECT ca.pulp_id::text, ca.content_id::text AS content, ca.relative_path, a.sha256 AS artifact
      FROM repository_content rc JOIN content_artifact ca ON ca.content_id = rc.content_id
      JOIN artifact a ON a.pulp_id = ca.artifact_id
      WHERE ${inVersion(v)} AND ca.pulp_id > ${after}::uuid ORDER BY ca.pulp_id LIMIT ${BATCH}`.execute(db);
    if (page.rows.length === 0) break;
    after = page.rows[page.rows.length - 1]!.pulp_id;
    await ca.write(
      page.rows.map((r) => ({ content: r.content, relative_path: r.relative_path, artifact: r.artifact })),
    );
  }
  await ca.close();
  written.push(CA_FILE);
  return written;
}

/** How many content units a version holds (its progress report). */
export async function versionContentCount(db: Database, v: ExportedVersion): Promise<number> {
  const r = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM repository_content rc WHERE ${inVersion(v)}`.execute(db);
  return r.rows[0]?.n ?? 0;
}
