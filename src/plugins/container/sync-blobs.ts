import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';

import { sql } from 'kysely';

import {
  DigestMismatchError,
  importArtifactFromFile,
  MultiHasher,
  SizeMismatchError,
  TaskCanceledError,
  type Services,
  pipeToFile,
} from '../../plugin-api/index.js';
import { type Db, ensureBlob } from './content-store.js';
import type { RegistryClient } from './registry-client.js';

type SyncServices = Pick<Services, 'db' | 'storage' | 'settings'>;

const ATTEMPTS = 3;

/**
 * Downloads a blob into storage, verifying its size (when the manifest states it) and digest as it streams,
 * retrying a truncated or corrupted transfer; returns the artifact id. A failed attempt leaves no file.
 */
export async function downloadBlob(
  services: SyncServices,
  client: RegistryClient,
  digest: string,
  expectedSize: number | null,
  signal?: AbortSignal,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const file = path.join(services.storage.tempDir(), `container-sync-${randomUUID()}`);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const blob = await client.openBlob(digest);
      const hasher = new MultiHasher(services.settings.ALLOWED_CONTENT_CHECKSUMS);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          if (expectedSize !== null && hasher.size + chunk.length > expectedSize)
            return cb(new SizeMismatchError(`Blob ${digest} is larger than the ${expectedSize} bytes stated.`));
          hasher.update(chunk);
          cb(null, chunk);
        },
      });
      await pipeToFile(blob.body, file, [counter], { signal });
      if (expectedSize !== null && hasher.size !== expectedSize)
        throw new SizeMismatchError(`Blob ${digest} has ${hasher.size} bytes, ${expectedSize} were stated.`);
      const digests = hasher.digest();
      if (`sha256:${digests.sha256}` !== digest)
        throw new DigestMismatchError(`Blob ${digest} downloaded with the digest sha256:${digests.sha256}.`);
      const artifact = await importArtifactFromFile(services, file, { computed: { size: hasher.size, digests } });
      return artifact.pulp_id;
    } catch (err) {
      await rm(file, { force: true });
      if (signal?.aborted) throw new TaskCanceledError('Sync canceled.', { cause: err });
      if (attempt >= ATTEMPTS || err instanceof SizeMismatchError) throw err;
    }
  }
}

/** Blobs (by digest) that exist with their file stored. */
export async function storedBlobs(db: Db, digests: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (digests.length === 0) return out;
  const { rows } = await sql<{ digest: string; content_id: string }>`
    SELECT b.digest, b.content_id FROM container_blob b
    JOIN content_artifact ca ON ca.content_id = b.content_id AND ca.artifact_id IS NOT NULL
    WHERE b.digest = ANY(${[...digests]}::text[])`.execute(db);
  for (const r of rows) out.set(r.digest, r.content_id);
  return out;
}

/**
 * An on-demand blob: the unit without its file, and where to fetch it (a remote artifact of the remote), so
 * the content app can download it when a client first asks.
 */
export async function deferBlob(
  db: Db,
  digest: string,
  size: number | null,
  url: string,
  remoteId: string,
): Promise<string> {
  const blobId = await ensureBlob(db, digest, null);
  await sql`INSERT INTO remote_artifact (url, size, sha256, content_artifact_id, remote_id)
    SELECT ${url}, ${size}, ${digest.slice('sha256:'.length)}, ca.pulp_id, ${remoteId}
    FROM content_artifact ca WHERE ca.content_id = ${blobId}
    ON CONFLICT (content_artifact_id, remote_id) DO UPDATE SET url = EXCLUDED.url, size = EXCLUDED.size,
      failed_at = NULL`.execute(db);
  return blobId;
}

/** Runs `fn` over `items` with at most `limit` at once; the first failure stops new work and is thrown. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const state: { failure: Error | null } = { failure: null };
  const worker = async () => {
    while (state.failure === null && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        state.failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (state.failure !== null) throw state.failure;
}
