import { rm } from 'node:fs/promises';

import { sql } from 'kysely';

import type { ChecksumName } from '../core/settings.js';
import type { Database } from '../db/database.js';
import type { Downloader, DownloadResult } from '../download/downloader.js';
import type { Storage } from '../storage/storage.js';
import { flatten, inBatches, mapConcurrent, prefetch } from './batches.js';
import type { ContentTypeAdapter, DeclarativeContent } from './declarative.js';
import { saveBatch } from './save-batch.js';

/** Rows per database batch (Pulp's batch `minsize`). */
export const SYNC_BATCH_SIZE = 500;

export interface PipelineItem<T> {
  d: DeclarativeContent<T>;
  artifactId: string | null;
  contentId: string | null;
  contentArtifactId: string | null;
  download: DownloadResult | null;
  /** True once storage took the downloaded file (saveFromFile removes it). */
  moved?: boolean;
  /** Where to try first for an artifact to download (see `PipelineOptions.alternateSources`). */
  alternate: AlternateSource | null;
}

/** Another place one artifact can be fetched from: a URL and the downloader of the remote that serves it. */
export interface AlternateSource {
  url: string;
  downloader: Downloader;
}

export interface PipelineOptions<T> {
  db: Database;
  storage: Storage;
  downloader: Downloader;
  adapter: ContentTypeAdapter<T>;
  remoteId: string;
  checksums: readonly ChecksumName[];
  signal?: AbortSignal;
  /** Called once per downloaded file. */
  onDownloaded?(): void;
  /** Called with the ids of every saved unit, batch by batch (new and existing alike). */
  onContent(contentIds: string[]): Promise<void> | void;
  batchSize?: number;
  /**
   * Pulp's alternate content sources: for the sha256s of a batch's artifacts that must be downloaded, where else
   * each can be fetched (called once per batch). Such an artifact is fetched there first, with the same size and
   * digest checks; when that fails it comes from its own URL through `downloader`, as if there were no alternate.
   */
  alternateSources?(sha256s: string[]): Promise<Map<string, AlternateSource>>;
  /** Called when an alternate download failed and the artifact's own URL is tried instead. */
  onAlternateFailed?(url: string, err: unknown): void;
}

/**
 * The generic sync pipeline (Pulp's stages, folded into three streaming steps):
 * 1. per batch of declarative content: look up stored artifacts by sha256 and existing units by natural key;
 * 2. download, with the downloader's concurrency, every non-deferred artifact that is not stored yet (from an
 *    alternate source first when one is known);
 * 3. per batch, in one transaction: save artifacts, new units, content artifacts and remote artifacts.
 * Memory is bounded by the batch size and the downloads in flight; the source is pulled lazily.
 */
export async function runSyncPipeline<T>(
  source: AsyncIterable<DeclarativeContent<T>>,
  options: PipelineOptions<T>,
): Promise<void> {
  const batchSize = options.batchSize ?? SYNC_BATCH_SIZE;
  // Temp files not yet moved into storage: removed whatever happens, so a failed sync leaves none behind.
  const live = new Set<string>();
  // The lookup of the next batch runs while the current one downloads and saves.
  const looked = flatten(prefetch(lookUpExisting(source, options, batchSize)));
  const downloaded = mapConcurrent(
    looked,
    // Enough items in flight to keep every download slot busy while others are being hashed.
    Math.max(4, (options.downloader.concurrency ?? 10) * 3),
    async (item: PipelineItem<T>) => {
      options.signal?.throwIfAborted();
      if (item.artifactId === null && !item.d.artifact.deferred) {
        item.download = await downloadArtifact(item, options);
        live.add(item.download.path);
        options.onDownloaded?.();
      }
      return item;
    },
    async (item) => {
      if (item.download) await rm(item.download.path, { force: true });
    },
  );
  // One batch saves while the next one downloads: awaiting the save before pulling again would stall every
  // connection for the length of the save.
  let saving: Promise<void> | null = null;
  const save = async (batch: PipelineItem<T>[]) => {
    options.signal?.throwIfAborted();
    const ids = await saveBatch(batch, options);
    await options.onContent(ids);
    // Moved into storage already, except duplicates of one digest within the batch.
    const leftovers = batch.filter((item) => item.download && !item.moved).map((item) => item.download!.path);
    await Promise.all(leftovers.map((p) => rm(p, { force: true })));
    for (const item of batch) if (item.download) live.delete(item.download.path);
  };
  try {
    for await (const batch of inBatches(downloaded, batchSize)) {
      if (saving) await saving;
      saving = save(batch);
      // Handled here so that a failure waiting for the next await is not reported as unhandled.
      saving.catch(() => undefined);
    }
    if (saving) await saving;
  } finally {
    // A failure elsewhere: let the batch being saved settle before its files are cleaned up.
    if (saving) await saving.catch(() => undefined);
    await Promise.all([...live].map((p) => rm(p, { force: true })));
  }
}

async function downloadArtifact<T>(item: PipelineItem<T>, options: PipelineOptions<T>): Promise<DownloadResult> {
  const a = item.d.artifact;
  const expected = { size: a.size, digests: a.digests };
  if (item.alternate) {
    try {
      return await item.alternate.downloader.download(item.alternate.url, expected, options.signal);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      options.onAlternateFailed?.(item.alternate.url, err);
    }
  }
  return options.downloader.download(a.url, expected, options.signal);
}

/** The alternate sources of the batch's artifacts that will be downloaded (none stored, not deferred). */
async function findAlternates<T>(items: PipelineItem<T>[], options: PipelineOptions<T>): Promise<void> {
  if (!options.alternateSources) return;
  const wanted = items.filter((i) => i.artifactId === null && !i.d.artifact.deferred && i.d.artifact.digests.sha256);
  if (wanted.length === 0) return;
  const found = await options.alternateSources([...new Set(wanted.map((i) => i.d.artifact.digests.sha256!))]);
  for (const item of wanted) item.alternate = found.get(item.d.artifact.digests.sha256!) ?? null;
}

async function* lookUpExisting<T>(
  source: AsyncIterable<DeclarativeContent<T>>,
  options: PipelineOptions<T>,
  batchSize: number,
): AsyncGenerator<PipelineItem<T>[]> {
  for await (const batch of inBatches(source, batchSize)) {
    options.signal?.throwIfAborted();
    const shas = [...new Set(batch.map((d) => d.artifact.digests.sha256).filter((x): x is string => !!x))];
    const artifacts = new Map<string, string>();
    if (shas.length > 0) {
      const rows = await sql<{ pulp_id: string; sha256: string }>`
        UPDATE artifact SET timestamp_of_interest = clock_timestamp()
        WHERE sha256 = ANY(${shas}::text[]) RETURNING pulp_id, sha256`.execute(options.db);
      for (const r of rows.rows) artifacts.set(r.sha256, r.pulp_id);
    }
    const existing = await options.adapter.findExisting(
      options.db,
      batch.map((d) => d.unit),
    );
    const contentIds = [...new Set(existing.values())];
    const cas = new Map<string, { id: string; artifactId: string | null; relativePath: string }>();
    if (contentIds.length > 0) {
      const rows = await options.db
        .selectFrom('content_artifact')
        .select(['pulp_id', 'content_id', 'artifact_id', 'relative_path'])
        .where('content_id', 'in', contentIds)
        .execute();
      for (const r of rows)
        cas.set(`${r.content_id}\n${r.relative_path}`, {
          id: r.pulp_id,
          artifactId: r.artifact_id,
          relativePath: r.relative_path,
        });
      await options.db
        .updateTable('content')
        .set({ timestamp_of_interest: sql`clock_timestamp()` })
        .where('pulp_id', 'in', contentIds)
        .execute();
    }
    const items = batch.map((d): PipelineItem<T> => {
      const contentId = existing.get(options.adapter.naturalKey(d.unit)) ?? null;
      const ca = contentId ? cas.get(`${contentId}\n${d.artifact.relativePath}`) : undefined;
      const sha = d.artifact.digests.sha256;
      return {
        d,
        contentId,
        contentArtifactId: ca?.id ?? null,
        artifactId: ca?.artifactId ?? (sha ? (artifacts.get(sha) ?? null) : null),
        download: null,
        alternate: null,
      };
    });
    await findAlternates(items, options);
    yield items;
  }
}
