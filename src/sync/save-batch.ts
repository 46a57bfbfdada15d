import { sql, type Transaction } from 'kysely';

import type { ChecksumName } from '../core/settings.js';
import type { DB } from '../db/tables.js';
import { artifactPath } from '../storage/artifact-path.js';
import type { PipelineItem, PipelineOptions } from './pipeline.js';

/**
 * Saves one batch: downloaded files move into storage and get artifact rows (existing rows with the same
 * sha256 win), then, in one transaction sorted by natural key (deadlock avoidance, as Pulp sorts), new units
 * with their content artifacts, links of newly downloaded artifacts to existing units, and remote artifacts.
 * Returns the content ids of the batch.
 */
export async function saveBatch<T>(batch: PipelineItem<T>[], options: PipelineOptions<T>): Promise<string[]> {
  await saveArtifacts(batch, options);
  const { adapter } = options;
  batch.sort((a, b) => (adapter.naturalKey(a.d.unit) < adapter.naturalKey(b.d.unit) ? -1 : 1));
  return options.db.transaction().execute(async (trx) => {
    const fresh = new Map<string, PipelineItem<T>[]>();
    for (const item of batch) {
      if (item.contentId) continue;
      const key = adapter.naturalKey(item.d.unit);
      const list = fresh.get(key);
      if (list) list.push(item);
      else fresh.set(key, [item]);
    }
    if (fresh.size > 0) await insertContent(trx, [...fresh.values()], options);
    await linkArtifacts(trx, batch);
    await saveRemoteArtifacts(trx, batch, options.remoteId);
    return [...new Set(batch.map((i) => i.contentId as string))];
  });
}

async function saveArtifacts<T>(batch: PipelineItem<T>[], options: PipelineOptions<T>): Promise<void> {
  const downloads = batch.filter((i) => i.download);
  if (downloads.length === 0) return;
  const bySha = new Map<string, PipelineItem<T>[]>();
  for (const item of downloads) {
    const sha = item.download!.digests.sha256;
    const list = bySha.get(sha);
    if (list) list.push(item);
    else bySha.set(sha, [item]);
  }
  // Moves are link+unlink pairs on the thread pool: a few at a time instead of one after another.
  const firsts = [...bySha.entries()];
  for (let i = 0; i < firsts.length; i += 16) {
    await Promise.all(
      firsts.slice(i, i + 16).map(async ([sha, l]) => {
        await options.storage.saveFromFile(l[0]!.download!.path, artifactPath(sha));
        // saveFromFile consumed the temp file: the pipeline need not remove it again.
        l[0]!.moved = true;
      }),
    );
  }
  const first = [...bySha.values()].map((l) => l[0]!.download!);
  const col = (name: ChecksumName) =>
    first.map((d) => (options.checksums.includes(name) || name === 'sha256' ? (d.digests[name] ?? null) : null));
  const rows = await sql<{ pulp_id: string; sha256: string }>`
    INSERT INTO artifact (file, size, md5, sha1, sha224, sha256, sha384, sha512)
    SELECT * FROM unnest(${first.map((d) => artifactPath(d.digests.sha256))}::text[], ${first.map((d) => d.size)}::bigint[],
      ${col('md5')}::text[], ${col('sha1')}::text[], ${col('sha224')}::text[], ${col('sha256')}::text[],
      ${col('sha384')}::text[], ${col('sha512')}::text[])
    ORDER BY 6
    ON CONFLICT (sha256) DO UPDATE SET timestamp_of_interest = clock_timestamp()
    RETURNING pulp_id, sha256`.execute(options.db);
  for (const r of rows.rows) for (const item of bySha.get(r.sha256) ?? []) item.artifactId = r.pulp_id;
}

async function insertContent<T>(
  trx: Transaction<DB>,
  groups: PipelineItem<T>[][],
  options: PipelineOptions<T>,
): Promise<void> {
  const { adapter } = options;
  // Ids come from the database (gen_random_uuid) and are assigned before the insert so that rows map to units.
  const ids = await sql<{
    id: string;
  }>`SELECT gen_random_uuid()::text AS id FROM generate_series(1, ${groups.length})`.execute(trx);
  groups.forEach((g, i) => {
    for (const item of g) item.contentId = ids.rows[i]!.id;
  });
  const contentIds = groups.map((g) => g[0]!.contentId as string);
  await sql`INSERT INTO content (pulp_id, pulp_type) SELECT unnest(${contentIds}::uuid[]), ${adapter.pulpType}`.execute(
    trx,
  );
  const lost = await adapter.insertDetails(
    trx,
    groups.map((g) => ({ contentId: g[0]!.contentId as string, unit: g[0]!.d.unit })),
  );
  if (lost.size > 0) {
    const lostGroups = groups.filter((g) => lost.has(adapter.naturalKey(g[0]!.d.unit)));
    await trx
      .deleteFrom('content')
      .where(
        'pulp_id',
        'in',
        lostGroups.map((g) => g[0]!.contentId as string),
      )
      .execute();
    const existing = await adapter.findExisting(
      trx,
      lostGroups.map((g) => g[0]!.d.unit),
    );
    for (const g of lostGroups)
      for (const item of g) item.contentId = existing.get(adapter.naturalKey(item.d.unit)) ?? null;
  }
  const newItems = groups.filter((g) => !lost.has(adapter.naturalKey(g[0]!.d.unit))).map((g) => g[0]!);
  if (newItems.length === 0) return;
  const inserted = await sql<{ pulp_id: string; content_id: string }>`
    INSERT INTO content_artifact (content_id, artifact_id, relative_path)
    SELECT * FROM unnest(${newItems.map((i) => i.contentId)}::uuid[], ${newItems.map((i) => i.artifactId)}::uuid[],
      ${newItems.map((i) => i.d.artifact.relativePath)}::text[])
    RETURNING pulp_id, content_id::text`.execute(trx);
  const byContent = new Map(inserted.rows.map((r) => [r.content_id, r.pulp_id]));
  for (const g of groups)
    for (const item of g) if (item.contentId) item.contentArtifactId ??= byContent.get(item.contentId) ?? null;
}

/** Existing units whose content artifact has no file yet get the newly downloaded artifact. */
async function linkArtifacts<T>(trx: Transaction<DB>, batch: PipelineItem<T>[]): Promise<void> {
  const missing = batch.filter((i) => i.download && i.artifactId && i.contentArtifactId);
  if (missing.length === 0) return;
  await sql`UPDATE content_artifact ca SET artifact_id = v.artifact_id, pulp_last_updated = clock_timestamp()
    FROM unnest(${missing.map((i) => i.contentArtifactId)}::uuid[], ${missing.map((i) => i.artifactId)}::uuid[]) AS v(id, artifact_id)
    WHERE ca.pulp_id = v.id AND ca.artifact_id IS DISTINCT FROM v.artifact_id`.execute(trx);
}

async function saveRemoteArtifacts<T>(trx: Transaction<DB>, batch: PipelineItem<T>[], remoteId: string): Promise<void> {
  const byCa = new Map<string, PipelineItem<T>>();
  for (const item of batch) if (item.contentArtifactId) byCa.set(item.contentArtifactId, item);
  const items = [...byCa.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, i]) => i);
  if (items.length === 0) return;
  const d = (name: ChecksumName) => items.map((i) => i.d.artifact.digests[name] ?? null);
  await sql`INSERT INTO remote_artifact (url, size, md5, sha1, sha224, sha256, sha384, sha512, content_artifact_id, remote_id)
    SELECT v.url, v.size, v.md5, v.sha1, v.sha224, v.sha256, v.sha384, v.sha512, v.ca, ${remoteId}::uuid
    FROM unnest(${items.map((i) => i.d.artifact.url)}::text[], ${items.map((i) => i.d.artifact.size)}::bigint[],
      ${d('md5')}::text[], ${d('sha1')}::text[], ${d('sha224')}::text[], ${d('sha256')}::text[], ${d('sha384')}::text[],
      ${d('sha512')}::text[], ${items.map((i) => i.contentArtifactId)}::uuid[])
      AS v(url, size, md5, sha1, sha224, sha256, sha384, sha512, ca)
    ON CONFLICT (content_artifact_id, remote_id) DO UPDATE SET url = excluded.url, size = excluded.size,
      sha256 = excluded.sha256, failed_at = NULL, pulp_last_updated = clock_timestamp()
    WHERE remote_artifact.url IS DISTINCT FROM excluded.url OR remote_artifact.sha256 IS DISTINCT FROM excluded.sha256`.execute(
    trx,
  );
}
