import { sql } from 'kysely';
import type { Database } from '../../plugin-api/index.js';

/** pulp_file's fingerprint of the last sync (`repository.last_sync_details`). */
export interface SyncDetails {
  remote_pk: string;
  url: string;
  download_policy: string;
  mirror: boolean;
  most_recent_version: number;
  manifest_checksum: string;
}

/**
 * Pulp's skip rule: same remote, URL and manifest, nobody changed the repository since, no switch to
 * immediate nor mirror switched on, and (immediate) no unit of the latest version lacks its file.
 */
export async function shouldSkipSync(
  db: Database,
  repositoryId: string,
  previous: SyncDetails | undefined,
  current: SyncDetails,
): Promise<boolean> {
  if (!previous) return false;
  if (current.download_policy === 'immediate' && previous.download_policy !== 'immediate') return false;
  if (current.mirror && !previous.mirror) return false;
  if (previous.remote_pk !== current.remote_pk || previous.url !== current.url) return false;
  if (previous.most_recent_version !== current.most_recent_version) return false;
  if (previous.manifest_checksum !== current.manifest_checksum) return false;
  if (current.download_policy === 'immediate') {
    const missing = await sql<{ m: boolean }>`SELECT EXISTS (
      SELECT 1 FROM repository_content rc JOIN content_artifact ca ON ca.content_id = rc.content_id
      WHERE rc.repository_id = ${repositoryId} AND rc.version_removed IS NULL AND ca.artifact_id IS NULL) AS m`.execute(
      db,
    );
    if (missing.rows[0]?.m) return false;
  }
  return true;
}
