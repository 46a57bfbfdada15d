import { sql, type Transaction } from 'kysely';

import type { DB } from '../../plugin-api/index.js';

/**
 * pulp_python's finalize_new_version (`remove_duplicates` on repo_key_fields = filename): a package added in
 * version n replaces any older package with the same filename. Two packages of one filename added together
 * cannot happen (one filename, one sha256 per upload or sync), but the newest wins if they do.
 */
export async function finalizePythonVersion(trx: Transaction<DB>, repositoryId: string, n: number): Promise<void> {
  await sql`UPDATE repository_content old SET version_removed = ${n}, pulp_last_updated = clock_timestamp()
    FROM python_package_content po
    WHERE old.repository_id = ${repositoryId} AND old.version_removed IS NULL AND old.version_added < ${n}
      AND po.content_id = old.content_id
      AND EXISTS (SELECT 1 FROM repository_content nw JOIN python_package_content pn ON pn.content_id = nw.content_id
        WHERE nw.repository_id = ${repositoryId} AND nw.version_added = ${n} AND nw.version_removed IS NULL
          AND pn.filename = po.filename AND pn.content_id <> po.content_id)`.execute(trx);
}
