import { sql, type Transaction } from 'kysely';

import type { Digests } from '../core/checksums.js';
import type { ChecksumName } from '../core/settings.js';
import type { Database } from '../db/database.js';
import type { DB } from '../db/tables.js';
import { artifactPath } from '../storage/artifact-path.js';
import type { Storage } from '../storage/storage.js';

/**
 * Moves a hashed temporary file into storage and returns its artifact id; an artifact with the same sha256
 * is reused (and touched), its stored file kept.
 */
export async function storeArtifactFile(
  db: Database | Transaction<DB>,
  storage: Storage,
  file: { path: string; size: number; digests: Digests },
  checksums: readonly ChecksumName[],
): Promise<string> {
  const name = artifactPath(file.digests.sha256);
  await storage.saveFromFile(file.path, name);
  const d = (n: ChecksumName) => (checksums.includes(n) || n === 'sha256' ? (file.digests[n] ?? null) : null);
  const row = await sql<{ pulp_id: string }>`
    INSERT INTO artifact (file, size, md5, sha1, sha224, sha256, sha384, sha512)
    VALUES (${name}, ${file.size}, ${d('md5')}, ${d('sha1')}, ${d('sha224')}, ${d('sha256')}, ${d('sha384')}, ${d('sha512')})
    ON CONFLICT (sha256) DO UPDATE SET timestamp_of_interest = clock_timestamp()
    RETURNING pulp_id`.execute(db);
  return row.rows[0]!.pulp_id;
}
