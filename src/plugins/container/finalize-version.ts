import { sql } from 'kysely';

import type { Db } from './content-store.js';

/**
 * pulp_container's finalize_new_version for both repository types: a tag added in version n replaces the
 * older tag of the same name (Tag's repo_key_fields is the name), and blobs and manifests a push left pending
 * are no longer pending once a version holds them.
 */
export async function finalizeContainerVersion(trx: Db, repositoryId: string, n: number): Promise<void> {
  await sql`UPDATE repository_content old SET version_removed = ${n}, pulp_last_updated = clock_timestamp()
    FROM container_tag t_old
    WHERE old.repository_id = ${repositoryId} AND old.version_removed IS NULL AND old.version_added < ${n}
      AND t_old.content_id = old.content_id
      AND EXISTS (SELECT 1 FROM repository_content nw JOIN container_tag t_new ON t_new.content_id = nw.content_id
        WHERE nw.repository_id = ${repositoryId} AND nw.version_added = ${n} AND nw.version_removed IS NULL
          AND t_new.name = t_old.name AND t_new.content_id <> t_old.content_id)`.execute(trx);
  const dups = await sql<{ name: string }>`
    SELECT t.name FROM repository_content rc JOIN container_tag t ON t.content_id = rc.content_id
    WHERE rc.repository_id = ${repositoryId} AND rc.version_removed IS NULL AND rc.version_added = ${n}
    GROUP BY t.name HAVING count(*) > 1 LIMIT 10`.execute(trx);
  if (dups.rows.length > 0)
    throw new DuplicateTagError(
      `Found ${dups.rows.length} duplicate contents in repository version (tag names: ${dups.rows.map((r) => r.name).join(', ')}).`,
    );
  await sql`DELETE FROM container_pending_blob p USING repository_content rc
    WHERE p.repository_id = ${repositoryId} AND rc.repository_id = ${repositoryId}
      AND rc.content_id = p.blob_id AND rc.version_added = ${n}`.execute(trx);
  await sql`DELETE FROM container_pending_manifest p USING repository_content rc
    WHERE p.repository_id = ${repositoryId} AND rc.repository_id = ${repositoryId}
      AND rc.content_id = p.manifest_id AND rc.version_added = ${n}`.execute(trx);
}

/** Two tags of one name added to a version together. */
export class DuplicateTagError extends Error {}
