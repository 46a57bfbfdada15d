import { sql } from 'kysely';

import type { Db } from './content-store.js';

/**
 * Lookups of what a repository holds for the registry. "Present" rows (version_removed IS NULL) are the
 * latest version's content: versions are created in one transaction, so uncommitted ones are invisible.
 * Pending units (uploaded by a push, not yet tagged) count as available to the pushing repository.
 */
export type Scope = { repositoryId: string; number: number } | { repositoryId: string; latest: true };

function inScope(alias: string, scope: Scope) {
  const rc = sql.ref(`${alias}.content_id`);
  if ('latest' in scope)
    return sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcs WHERE rcs.repository_id = ${scope.repositoryId}
      AND rcs.content_id = ${rc} AND rcs.version_removed IS NULL)`;
  return sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcs WHERE rcs.repository_id = ${scope.repositoryId}
      AND rcs.content_id = ${rc} AND rcs.version_added <= ${scope.number}
      AND (rcs.version_removed IS NULL OR rcs.version_removed > ${scope.number}))`;
}

/** Blobs of the given digests present in the scope, or (with `pending`) uploaded to the repository. */
export async function availableBlobs(
  db: Db,
  scope: Scope,
  digests: readonly string[],
  pending = false,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (digests.length === 0) return out;
  const pendingCondition = pending
    ? sql`OR EXISTS (SELECT 1 FROM container_pending_blob p WHERE p.repository_id = ${scope.repositoryId}
        AND p.blob_id = b.content_id)`
    : sql``;
  const { rows } = await sql<{ digest: string; content_id: string }>`
    SELECT b.digest, b.content_id FROM container_blob b
    WHERE b.digest = ANY(${[...digests]}::text[]) AND (${inScope('b', scope)} ${pendingCondition})`.execute(db);
  for (const r of rows) out.set(r.digest, r.content_id);
  return out;
}

/** Manifests of the given digests present in the scope, or (with `pending`) uploaded to the repository. */
export async function availableManifests(
  db: Db,
  scope: Scope,
  digests: readonly string[],
  pending = false,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (digests.length === 0) return out;
  const pendingCondition = pending
    ? sql`OR EXISTS (SELECT 1 FROM container_pending_manifest p WHERE p.repository_id = ${scope.repositoryId}
        AND p.manifest_id = m.content_id)`
    : sql``;
  const { rows } = await sql<{ digest: string; content_id: string }>`
    SELECT m.digest, m.content_id FROM container_manifest m
    WHERE m.digest = ANY(${[...digests]}::text[]) AND (${inScope('m', scope)} ${pendingCondition})`.execute(db);
  for (const r of rows) out.set(r.digest, r.content_id);
  return out;
}

export interface ServedManifest {
  content_id: string;
  digest: string;
  media_type: string;
  data: Buffer;
}

/** The manifest a tag names in the scope, bytes included (one query: the registry's hottest path). */
export async function manifestByTag(db: Db, scope: Scope, tag: string): Promise<ServedManifest | undefined> {
  const { rows } = await sql<ServedManifest>`
    SELECT m.content_id, m.digest, m.media_type, m.data FROM container_tag t
    JOIN container_manifest m ON m.content_id = t.tagged_manifest_id
    WHERE t.name = ${tag} AND ${inScope('t', scope)} LIMIT 1`.execute(db);
  return rows[0];
}

/** A manifest by digest in the scope, or (with `pending`) uploaded to the repository. */
export async function manifestByDigest(
  db: Db,
  scope: Scope,
  digest: string,
  pending = false,
): Promise<ServedManifest | undefined> {
  const pendingCondition = pending
    ? sql`OR EXISTS (SELECT 1 FROM container_pending_manifest p WHERE p.repository_id = ${scope.repositoryId}
        AND p.manifest_id = m.content_id)`
    : sql``;
  const { rows } = await sql<ServedManifest>`
    SELECT m.content_id, m.digest, m.media_type, m.data FROM container_manifest m
    WHERE m.digest = ${digest} AND (${inScope('m', scope)} ${pendingCondition})`.execute(db);
  return rows[0];
}

/** Tag names of the scope in order, after `last`, at most `n` (the distribution spec's paging). */
export async function tagNames(db: Db, scope: Scope, n: number, last: string | null): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT t.name FROM container_tag t WHERE ${inScope('t', scope)}
      ${last === null ? sql`` : sql`AND t.name > ${last}`}
    ORDER BY t.name LIMIT ${n}`.execute(db);
  return rows.map((r) => r.name);
}

/** The tag units of the latest version named `name` that do not point at `manifestId` (to be replaced). */
export async function tagsToReplace(db: Db, repositoryId: string, name: string, manifestId: string): Promise<string[]> {
  const { rows } = await sql<{ content_id: string }>`
    SELECT t.content_id FROM container_tag t WHERE t.name = ${name} AND t.tagged_manifest_id <> ${manifestId}
      AND ${inScope('t', { repositoryId, latest: true })}`.execute(db);
  return rows.map((r) => r.content_id);
}

export async function addPendingBlob(db: Db, repositoryId: string, blobId: string): Promise<void> {
  await sql`INSERT INTO container_pending_blob (repository_id, blob_id) VALUES (${repositoryId}, ${blobId})
    ON CONFLICT (repository_id, blob_id) DO UPDATE SET pulp_created = clock_timestamp()`.execute(db);
}

export async function addPendingManifest(db: Db, repositoryId: string, manifestId: string): Promise<void> {
  await sql`INSERT INTO container_pending_manifest (repository_id, manifest_id) VALUES (${repositoryId}, ${manifestId})
    ON CONFLICT (repository_id, manifest_id) DO UPDATE SET pulp_created = clock_timestamp()`.execute(db);
}

/** The stored file of a blob's artifact, or null when the blob is not downloaded (on-demand). */
export async function blobArtifact(
  db: Db,
  blobId: string,
): Promise<{ file: string; size: number; sha256: string } | null> {
  const { rows } = await sql<{ file: string; size: string; sha256: string }>`
    SELECT a.file, a.size, a.sha256 FROM content_artifact ca JOIN artifact a ON a.pulp_id = ca.artifact_id
    WHERE ca.content_id = ${blobId} LIMIT 1`.execute(db);
  const r = rows[0];
  return r ? { file: r.file, size: Number(r.size), sha256: r.sha256 } : null;
}
