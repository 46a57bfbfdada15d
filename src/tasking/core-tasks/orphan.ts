import { type Kysely, type RawBuilder, sql } from 'kysely';

import { isForeignKeyViolation } from '../../db/pg-errors.js';
import type { DB } from '../../db/tables.js';
import { ARTIFACT_LOCK_CLASS } from '../../plugin-api/artifacts.js';
import type { TaskContext } from '../../plugin-api/tasks.js';

const CONTENT_BATCH = 2000;
const ARTIFACT_BATCH = 500;

/*
 * Orphan cleanup, in an order that is safe at every instant: content rows go first (their content_artifact
 * rows cascade), so an artifact is unreferenced before anyone looks at it; then each orphan artifact's row is
 * deleted and committed before its file is removed, so a crash leaves at most an unreferenced file, never a
 * row whose file is gone. Each artifact is handled under the advisory lock importArtifactFromFile takes for
 * the same digest (taken for a batch of 500 at a time), so a concurrent import of the same bytes cannot have
 * its file removed under it.
 */

/** A batch hit a row that became referenced meanwhile: delete the others one at a time. */
async function deleteOneByOne(conn: Kysely<DB>, ids: string[], orphanArtifact: RawBuilder<unknown>): Promise<string[]> {
  const files: string[] = [];
  for (const id of ids) {
    try {
      const d = await sql<{
        file: string;
      }>`DELETE FROM artifact a WHERE a.pulp_id = ${id} AND ${orphanArtifact} RETURNING a.file`.execute(conn);
      if (d.rows[0]) files.push(d.rows[0].file);
    } catch (err) {
      if (!isForeignKeyViolation(err)) throw err;
    }
  }
  return files;
}

function contentIds(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter((v): v is string => typeof v === 'string');
}

/**
 * `pulpcore.app.tasks.orphan.orphan_cleanup`. Args: `content_pks` (optional list of content ids: only these
 * units, if orphaned, and only their artifacts), `orphan_protection_time` (minutes; default the setting).
 */
export async function orphanCleanup(ctx: TaskContext): Promise<null> {
  const { db, settings, storage } = ctx.services;
  const only = contentIds(ctx.args.content_pks);
  const minutes =
    typeof ctx.args.orphan_protection_time === 'number'
      ? ctx.args.orphan_protection_time
      : settings.ORPHAN_PROTECTION_TIME;
  const cutoff = sql`clock_timestamp() - make_interval(mins => ${minutes}::int)`;
  const onlyContent = only ? sql`AND c.pulp_id = ANY(${only}::uuid[])` : sql``;
  const orphanContent = sql`NOT EXISTS (SELECT 1 FROM repository_content rc WHERE rc.content_id = c.pulp_id)
    AND c.timestamp_of_interest < ${cutoff} ${onlyContent}`;

  const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM content c WHERE ${orphanContent}`.execute(db);
  const contentReport = await ctx.progress('Clean up orphan Content', 'clean-up.content', {
    total: total.rows[0]?.n ?? 0,
  });
  const touchedArtifacts = new Set<string>();
  let skipped = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    ctx.signal.throwIfAborted();
    const batch = await sql<{
      pulp_id: string;
    }>`SELECT c.pulp_id FROM content c WHERE ${orphanContent} AND c.pulp_id > ${after}::uuid
      ORDER BY c.pulp_id LIMIT ${CONTENT_BATCH}`.execute(db);
    const ids = batch.rows.map((r) => r.pulp_id);
    if (ids.length === 0) break;
    after = ids[ids.length - 1] as string;
    if (only) {
      const arts = await db
        .selectFrom('content_artifact')
        .select('artifact_id')
        .where(sql<boolean>`content_id = ANY(${ids}::uuid[])`)
        .where('artifact_id', 'is not', null)
        .execute();
      for (const a of arts) if (a.artifact_id) touchedArtifacts.add(a.artifact_id);
    }
    try {
      const deleted =
        await sql`DELETE FROM content c WHERE c.pulp_id = ANY(${ids}::uuid[]) AND ${orphanContent}`.execute(db);
      contentReport.increment(Number(deleted.numAffectedRows ?? 0));
    } catch (err) {
      if (!isForeignKeyViolation(err)) throw err;
      // A concurrent task referenced some of them again: go one by one and skip those.
      for (const id of ids) {
        try {
          const d = await sql`DELETE FROM content c WHERE c.pulp_id = ${id} AND ${orphanContent}`.execute(db);
          contentReport.increment(Number(d.numAffectedRows ?? 0));
        } catch (e) {
          if (!isForeignKeyViolation(e)) throw e;
          skipped += 1;
        }
      }
    }
  }
  await contentReport.done();

  const onlyArtifacts = only ? sql`AND a.pulp_id = ANY(${[...touchedArtifacts]}::uuid[])` : sql``;
  const orphanArtifact = sql`NOT EXISTS (SELECT 1 FROM content_artifact ca WHERE ca.artifact_id = a.pulp_id)
    AND NOT EXISTS (SELECT 1 FROM published_metadata pm WHERE pm.artifact_id = a.pulp_id)
    AND a.timestamp_of_interest < ${cutoff} ${onlyArtifacts}`;
  const candidates = await sql<{
    pulp_id: string;
    sha256: string;
  }>`SELECT a.pulp_id, a.sha256 FROM artifact a WHERE ${orphanArtifact} ORDER BY a.pulp_id`.execute(db);
  const artifactReport = await ctx.progress('Clean up orphan Artifacts', 'clean-up.artifacts', {
    total: candidates.rows.length,
  });
  await db.connection().execute(async (conn) => {
    for (let i = 0; i < candidates.rows.length; i += ARTIFACT_BATCH) {
      ctx.signal.throwIfAborted();
      const batch = candidates.rows.slice(i, i + ARTIFACT_BATCH);
      const ids = batch.map((a) => a.pulp_id);
      // Sorted keys; importers hold at most one of these locks at a time, so no deadlock cycle can form.
      const shas = [...new Set(batch.map((a) => a.sha256))].sort();
      await sql`SELECT pg_advisory_lock(${ARTIFACT_LOCK_CLASS}::int, hashtext(s)) FROM unnest(${shas}::text[]) AS s ORDER BY s`.execute(
        conn,
      );
      try {
        let files: string[];
        try {
          const deleted = await sql<{
            file: string;
          }>`DELETE FROM artifact a WHERE a.pulp_id = ANY(${ids}::uuid[]) AND ${orphanArtifact} RETURNING a.file`.execute(
            conn,
          );
          files = deleted.rows.map((r) => r.file);
        } catch (err) {
          if (!isForeignKeyViolation(err)) throw err;
          files = await deleteOneByOne(conn, ids, orphanArtifact);
        }
        skipped += batch.length - files.length;
        // Rows are gone (committed) before their files.
        await Promise.all(files.map((f) => storage.delete(f)));
        artifactReport.increment(files.length);
      } finally {
        await sql`SELECT pg_advisory_unlock(${ARTIFACT_LOCK_CLASS}::int, hashtext(s)) FROM unnest(${shas}::text[]) AS s`.execute(
          conn,
        );
      }
    }
  });
  await artifactReport.done();
  if (skipped > 0)
    ctx.logger.info(
      { skipped },
      'orphan cleanup skipped units that became referenced again; run it again to remove them',
    );
  return null;
}
