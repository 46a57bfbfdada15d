import { sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Database } from '../../db/database.js';
import type { ContentExportSpec } from '../../plugin-api/resource-types.js';
import { readJsonRows } from './json-rows.js';

/*
 * Content of one exported repository version, written into this database: units found by their natural key
 * are reused, the others inserted (content row with `upstream_id` = the exporting system's pulp_id, as Pulp
 * does, then the detail row from the JSON with jsonb_populate_recordset). Then the content artifacts,
 * linking each unit to its artifact by sha256. One transaction per batch.
 */

/** Exporting pulp_id -> local content id, for the units of this version. */
export type ContentIds = Map<string, string>;

const matchOn = (spec: ContentExportSpec) =>
  sql.join(
    spec.naturalKey.map((k) => sql`d.${sql.ref(k)} IS NOT DISTINCT FROM v.${sql.ref(k)}`),
    sql` AND `,
  );

async function importBatch(
  db: Database,
  pulpType: string,
  spec: ContentExportSpec,
  rows: Record<string, unknown>[],
  ids: ContentIds,
): Promise<void> {
  for (const r of rows) {
    if (typeof r.pulp_id !== 'string') throw new ValidationError([`A ${pulpType} row has no pulp_id.`]);
    if ('content_id' in r) delete r.content_id;
  }
  await db.transaction().execute(async (trx) => {
    const existing = await sql<{ ord: string; content_id: string }>`
      SELECT x.ord::text, d.content_id::text FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb)
        WITH ORDINALITY AS x(j, ord)
      CROSS JOIN LATERAL jsonb_populate_record(NULL::${sql.table(spec.table)}, x.j) AS v
      JOIN ${sql.table(spec.table)} d ON ${matchOn(spec)}`.execute(trx);
    const found = new Map(existing.rows.map((e) => [Number(e.ord) - 1, e.content_id]));
    const fresh = rows.flatMap((r, i): Record<string, unknown>[] =>
      found.has(i) ? [] : [{ ...r, content_id: newId() }],
    );
    for (const [i, id] of found) ids.set(String(rows[i]!.pulp_id), id);
    if (fresh.length === 0) return;
    await trx
      .insertInto('content')
      .values(
        fresh.map((r) => ({
          pulp_id: String(r.content_id),
          pulp_type: pulpType,
          pulp_labels: JSON.stringify(r.pulp_labels ?? {}),
          upstream_id: String(r.pulp_id),
        })),
      )
      .execute();
    const inserted = await sql<{ content_id: string }>`INSERT INTO ${sql.table(spec.table)}
      SELECT * FROM jsonb_populate_recordset(NULL::${sql.table(spec.table)}, ${JSON.stringify(fresh)}::jsonb)
      ON CONFLICT DO NOTHING RETURNING content_id::text`.execute(trx);
    // A unit another import inserted meanwhile: undo the batch, the retry finds it by its natural key.
    if (inserted.rows.length !== fresh.length) throw new ConcurrentUnit();
    for (const r of fresh) ids.set(String(r.pulp_id), String(r.content_id));
  });
}

class ConcurrentUnit extends Error {}

/** Imports one content type's resource file; returns how many rows it held. */
export async function importContentFile(
  db: Database,
  pulpType: string,
  spec: ContentExportSpec,
  file: string,
  ids: ContentIds,
): Promise<number> {
  let n = 0;
  for await (const batch of readJsonRows(file, `${spec.resourceName}.json`)) {
    for (let attempt = 1; ; attempt++) {
      try {
        await importBatch(
          db,
          pulpType,
          spec,
          batch.map((r) => ({ ...r })),
          ids,
        );
        break;
      } catch (err) {
        // Pulp retries batches that collided with a concurrent import of overlapping content (MAX_ATTEMPTS 3).
        if (!(err instanceof ConcurrentUnit) || attempt >= 3) throw err;
      }
    }
    n += batch.length;
  }
  return n;
}

/**
 * Links the imported units to their artifacts (ContentArtifactResource rows: `content` = exporting pulp_id,
 * `relative_path`, `artifact` = sha256). A unit that already had the path keeps its row, and gains the
 * artifact when it had none (on-demand content made whole by the import).
 */
export async function importContentArtifacts(db: Database, file: string, ids: ContentIds): Promise<void> {
  for await (const batch of readJsonRows(file, 'ContentArtifactResource.json')) {
    const rows = batch.map((r) => {
      const content = ids.get(String(r.content));
      if (!content) throw new ValidationError([`Content artifact for unknown content ${String(r.content)}.`]);
      if (typeof r.relative_path !== 'string' || typeof r.artifact !== 'string')
        throw new ValidationError(['A content artifact row needs relative_path and artifact.']);
      return { content, relative_path: r.relative_path, artifact: r.artifact };
    });
    const missing = await sql<{
      sha256: string;
    }>`SELECT DISTINCT x.sha256 FROM unnest(${rows.map((r) => r.artifact)}::text[]) AS x(sha256)
      WHERE NOT EXISTS (SELECT 1 FROM artifact a WHERE a.sha256 = x.sha256)`.execute(db);
    if (missing.rows.length > 0)
      throw new ValidationError([`Artifacts missing for the import: ${missing.rows.map((m) => m.sha256).join(', ')}.`]);
    await sql`INSERT INTO content_artifact (content_id, relative_path, artifact_id)
      SELECT x.content_id, x.relative_path, a.pulp_id
      FROM unnest(${rows.map((r) => r.content)}::uuid[], ${rows.map((r) => r.relative_path)}::text[],
        ${rows.map((r) => r.artifact)}::text[]) AS x(content_id, relative_path, sha256)
      JOIN artifact a ON a.sha256 = x.sha256
      ON CONFLICT (content_id, relative_path)
        DO UPDATE SET artifact_id = coalesce(content_artifact.artifact_id, EXCLUDED.artifact_id)`.execute(db);
  }
}
