import { sql } from 'kysely';

import type { Settings } from '../core/settings.js';
import type { Database } from '../db/database.js';
import { preauthenticateUrl } from '../plugin-api/content-redirect.js';

/**
 * Pulp's `get_artifact_url` for filesystem storage: the artifact's URL under the artifact distribution
 * (`<CONTENT_ORIGIN><CONTENT_PATH_PREFIX><base_path>/<artifact uuid>`, relative without an origin), signed for the
 * distribution's content-redirect guard, so it works for an hour without credentials and never otherwise.
 */
export async function artifactUrl(db: Database, settings: Settings, artifactId: string): Promise<string | null> {
  const dist = await sql<{ base_path: string; content_guard_id: string | null }>`
    SELECT base_path, content_guard_id FROM distribution WHERE pulp_type = 'core.artifact' LIMIT 1`.execute(db);
  const row = dist.rows[0];
  if (!row) return null;
  const origin = settings.CONTENT_ORIGIN ? settings.CONTENT_ORIGIN.replace(/\/+$/, '') : '';
  const prefix = settings.CONTENT_PATH_PREFIX.replace(/^\/+|\/+$/g, '');
  const plain = `${origin}/${prefix}/${row.base_path}/${artifactId}`;
  return row.content_guard_id ? preauthenticateUrl(db, row.content_guard_id, plain) : plain;
}
