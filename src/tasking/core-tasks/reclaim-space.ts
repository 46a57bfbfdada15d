import { sql } from 'kysely';

import { isForeignKeyViolation } from '../../db/pg-errors.js';
import { ARTIFACT_LOCK_CLASS } from '../../plugin-api/artifacts.js';
import type { TaskContext } from '../../plugin-api/tasks.js';

const BATCH = 1000;

function ids(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * `pulpcore.app.tasks.reclaim_space.reclaim_space`. Args: `repo_pks`, `keeplist_rv_pks`, `force`.
 *
 * Content of the given repositories (any version) that no other repository holds and no kept version holds
 * gives back its downloaded files: its content artifacts point at no artifact again (so the content app streams
 * them on demand), then every artifact nothing references any more is deleted, row first and file after (the
 * order orphan cleanup uses, under the same per-digest lock). Without `force` only content artifacts that a
 * remote artifact can restore are touched, so uploaded files are never lost. No repository version changes.
 */
export async function reclaimSpace(ctx: TaskContext): Promise<null> {
  const { db, storage } = ctx.services;
  const repos = ids(ctx.args.repo_pks);
  const keep = ids(ctx.args.keeplist_rv_pks);
  const force = ctx.args.force === true;
  const keptContent = keep.length
    ? sql`OR EXISTS (SELECT 1 FROM repository_version kv JOIN repository_content kc ON kc.repository_id = kv.repository_id
          AND kc.version_added <= kv.number AND (kc.version_removed IS NULL OR kc.version_removed > kv.number)
        WHERE kv.pulp_id = ANY(${keep}::uuid[]) AND kc.content_id = ca.content_id)`
    : sql``;
  const restorable = force
    ? sql``
    : sql`AND EXISTS (SELECT 1 FROM remote_artifact ra WHERE ra.content_artifact_id = ca.pulp_id)`;
  const freed = await db.transaction().execute(async (trx) => {
    const r = await sql<{ artifact_id: string }>`
      UPDATE content_artifact ca SET artifact_id = NULL, pulp_last_updated = clock_timestamp()
      FROM content_artifact old
      WHERE old.pulp_id = ca.pulp_id AND ca.artifact_id IS NOT NULL ${restorable}
        AND EXISTS (SELECT 1 FROM repository_content rc WHERE rc.content_id = ca.content_id
          AND rc.repository_id = ANY(${repos}::uuid[]))
        AND NOT (EXISTS (SELECT 1 FROM repository_content oc WHERE oc.content_id = ca.content_id
          AND NOT (oc.repository_id = ANY(${repos}::uuid[]))) ${keptContent})
      RETURNING old.artifact_id`.execute(trx);
    return [...new Set(r.rows.map((x) => x.artifact_id))].sort();
  });

  const report = await ctx.progress('Reclaim disk space', 'reclaim-space.artifact', { total: freed.length });
  const unreferenced = sql`NOT EXISTS (SELECT 1 FROM content_artifact x WHERE x.artifact_id = a.pulp_id)
    AND NOT EXISTS (SELECT 1 FROM published_metadata pm WHERE pm.artifact_id = a.pulp_id)`;
  await db.connection().execute(async (conn) => {
    for (let i = 0; i < freed.length; i += BATCH) {
      ctx.signal.throwIfAborted();
      const batch = freed.slice(i, i + BATCH);
      const rows = await sql<{
        sha256: string;
      }>`SELECT sha256 FROM artifact WHERE pulp_id = ANY(${batch}::uuid[])`.execute(conn);
      const shas = [...new Set(rows.rows.map((r) => r.sha256))].sort();
      await sql`SELECT pg_advisory_lock(${ARTIFACT_LOCK_CLASS}::int, hashtext(s)) FROM unnest(${shas}::text[]) AS s ORDER BY s`.execute(
        conn,
      );
      try {
        const files: string[] = [];
        for (const id of batch) {
          try {
            const d = await sql<{ file: string }>`DELETE FROM artifact a WHERE a.pulp_id = ${id} AND ${unreferenced}
              RETURNING a.file`.execute(conn);
            if (d.rows[0]) files.push(d.rows[0].file);
          } catch (err) {
            // Referenced again meanwhile (a sync, an upload): it stays.
            if (!isForeignKeyViolation(err)) throw err;
          }
        }
        await Promise.all(files.map((f) => storage.delete(f)));
        report.increment(files.length);
      } finally {
        await sql`SELECT pg_advisory_unlock(${ARTIFACT_LOCK_CLASS}::int, hashtext(s)) FROM unnest(${shas}::text[]) AS s`.execute(
          conn,
        );
      }
    }
  });
  await report.done();
  return null;
}
