import type { Logger } from 'pino';
import { sql } from 'kysely';

import { RemoteFetchError } from '../../core/errors.js';
import { createRepositoryVersion, type RepositoryVersionRef, type Services } from '../../plugin-api/index.js';
import { ensureBlob, ensureManifest, ensureTag, manifestClosure, manifestIds } from './content-store.js';
import { finalizeContainerVersion } from './finalize-version.js';
import { type ParsedManifest, parseManifest } from './manifest.js';
import { imageConfigInfo } from './manifest-metadata.js';
import { isValidDigest } from './names.js';
import type { FetchedManifest, RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-errors.js';
import { blobArtifact } from './repository-content.js';
import { deferBlob, downloadBlob, forEachLimited, storedBlobs } from './sync-blobs.js';
import { compileNameFilter } from './tag-filter.js';

type SyncServices = Pick<Services, 'db' | 'storage' | 'settings' | 'apiPrefix'>;

export interface SyncOptions {
  client: RegistryClient;
  repositoryId: string;
  remoteId: string;
  policy: string;
  includeTags?: string[] | null;
  excludeTags?: string[] | null;
  /** Mirror: the new version holds exactly what was synced; otherwise synced tags are added (replacing same names). */
  mirror: boolean;
  /** The remote's download_concurrency. */
  concurrency: number;
  signal?: AbortSignal;
  logger: Logger;
  onProgress?(event: 'tag' | 'manifest' | 'blob'): void;
}

/** Largest config blob read for metadata. */
const MAX_CONFIG_SIZE = 16 * 1024 * 1024;

class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Syncs a repository from a registry (pulp_container's sync stages, without signatures): the filtered tags;
 * per tag its manifest, for a list its child manifests, and the blobs every image names: downloaded
 * (immediate) or recorded as remote artifacts (on_demand, streamed; config blobs are always downloaded, for
 * the metadata they carry). A tag whose upstream digest is the one the latest version has is not fetched
 * again. Every manifest is checked against the digest it was asked by. Returns the new version, or null when
 * nothing changed.
 */
export async function syncRepository(services: SyncServices, o: SyncOptions): Promise<RepositoryVersionRef | null> {
  const db = services.db;
  const downloads = new Limiter(Math.max(1, o.concurrency));
  const blobs = new Map<string, Promise<string>>();
  const manifests = new Map<string, Promise<string>>();
  const deferred = o.policy !== 'immediate';

  const blob = (digest: string, size: number | null, forceDownload: boolean): Promise<string> => {
    const key = `${digest}:${forceDownload || !deferred}`;
    let p = blobs.get(key);
    if (!p) {
      p = (async () => {
        const stored = (await storedBlobs(db, [digest])).get(digest);
        if (stored) return stored;
        if (deferred && !forceDownload) return deferBlob(db, digest, size, o.client.blobUrl(digest), o.remoteId);
        const artifactId = await downloads.run(() => downloadBlob(services, o.client, digest, size, o.signal));
        o.onProgress?.('blob');
        return ensureBlob(db, digest, artifactId);
      })();
      blobs.set(key, p);
    }
    return p;
  };

  const configOf = async (blobId: string) => {
    const artifact = await blobArtifact(db, blobId);
    if (!artifact || artifact.size > MAX_CONFIG_SIZE) return imageConfigInfo(null);
    const chunks: Buffer[] = [];
    for await (const c of services.storage.createReadStream(artifact.file)) chunks.push(c as Buffer);
    return imageConfigInfo(Buffer.concat(chunks));
  };

  const storeImage = async (parsed: ParsedManifest & { kind: 'image' }): Promise<string> => {
    const configBlobId = await blob(parsed.config.digest, parsed.config.size, true);
    const layerIds = await Promise.all(
      parsed.layers
        .filter((l) => parsed.blobDigests.includes(l.digest) && l.digest !== parsed.config.digest)
        .map((l) => blob(l.digest, l.size, false)),
    );
    return ensureManifest(db, parsed, {
      configBlobId,
      blobIds: layerIds,
      children: [],
      config: await configOf(configBlobId),
    });
  };

  /** The manifest unit of fetched bytes (known by `digest` when asked by digest), children and blobs first. */
  const store = async (fetched: FetchedManifest, digest: string | undefined): Promise<string> => {
    const parsed = parseManifest(fetched.bytes, { contentType: fetched.contentType, expectedDigest: digest });
    o.onProgress?.('manifest');
    if (parsed.kind === 'image') return storeImage(parsed);
    const children: Array<{ manifestId: string; entry: (typeof parsed.manifests)[number] }> = [];
    for (const entry of parsed.manifests) {
      try {
        children.push({ manifestId: await manifestByDigest(entry.digest), entry });
      } catch (err) {
        // A child in a format we do not store (schema 1) leaves that platform out; the others are synced.
        if (!(err instanceof RegistryError)) throw err;
        o.logger.warn({ digest: entry.digest, reason: err.message }, 'child manifest skipped');
      }
    }
    return ensureManifest(db, parsed, {
      configBlobId: null,
      blobIds: [],
      children,
      config: imageConfigInfo(null),
    });
  };

  const manifestByDigest = (digest: string): Promise<string> => {
    let p = manifests.get(digest);
    if (!p) {
      p = (async () => {
        const known = (await manifestIds(db, [digest])).get(digest);
        if (known && !(await missingBlobs(known))) return known;
        const fetched = await o.client.getManifest(digest);
        if (!fetched) throw new RemoteFetchError(`The upstream registry has no manifest ${digest}.`, { status: 404 });
        return store(fetched, digest);
      })();
      manifests.set(digest, p);
    }
    return p;
  };

  /** Whether a stored manifest still lacks files this policy needs (blobs of an on-demand sync, say). */
  const missingBlobs = async (manifestId: string): Promise<boolean> => {
    if (deferred) return false;
    const closure = await manifestClosure(db, [manifestId]);
    const { rows } = await sql<{ missing: boolean }>`
      SELECT EXISTS (SELECT 1 FROM container_blob b JOIN content_artifact ca ON ca.content_id = b.content_id
        WHERE b.content_id = ANY(${closure}::uuid[]) AND ca.artifact_id IS NULL) AS missing`.execute(db);
    return rows[0]?.missing ?? false;
  };

  const keep = compileNameFilter({ includes: o.includeTags, excludes: o.excludeTags });
  const tags = (await o.client.listTags()).filter(keep).sort();
  const current = await sql<{ name: string; content_id: string; digest: string; manifest_id: string }>`
    SELECT t.name, t.content_id, m.digest, m.content_id AS manifest_id FROM container_tag t
    JOIN container_manifest m ON m.content_id = t.tagged_manifest_id
    JOIN repository_content rc ON rc.content_id = t.content_id AND rc.repository_id = ${o.repositoryId}
      AND rc.version_removed IS NULL`.execute(db);
  const existing = new Map(current.rows.map((r) => [r.name, r]));
  const tagIds: string[] = [];
  const manifestIdsOfTags: string[] = [];
  await forEachLimited(tags, Math.max(1, Math.min(o.concurrency, 8)), async (tag) => {
    o.signal?.throwIfAborted();
    const have = existing.get(tag);
    if (have) {
      const head = await o.client.headManifest(tag);
      if (head?.digest === have.digest && !(await missingBlobs(have.manifest_id))) {
        tagIds.push(have.content_id);
        manifestIdsOfTags.push(have.manifest_id);
        o.onProgress?.('tag');
        return;
      }
    }
    const fetched = await o.client.getManifest(tag);
    if (!fetched) return; // deleted upstream between the tag list and now
    const headerDigest = fetched.digest && isValidDigest(fetched.digest) ? fetched.digest : undefined;
    const manifestId = await store(fetched, headerDigest);
    tagIds.push(await ensureTag(db, tag, manifestId));
    manifestIdsOfTags.push(manifestId);
    o.onProgress?.('tag');
  });
  const add = [...tagIds, ...(await manifestClosure(db, manifestIdsOfTags))];
  return createRepositoryVersion(
    db,
    o.repositoryId,
    { add, ...(o.mirror ? { removeAll: true } : {}) },
    { apiPrefix: services.apiPrefix, finalize: finalizeContainerVersion },
  );
}
