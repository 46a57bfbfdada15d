import type { Logger } from 'pino';
import { sql } from 'kysely';

import { RemoteFetchError, type Services } from '../../plugin-api/index.js';
import { ensureBlob, ensureManifest, manifestClosure, manifestIds } from './content-store.js';
import { type ParsedManifest, parseManifest } from './manifest.js';
import { imageConfigInfo } from './manifest-metadata.js';
import type { FetchedManifest, RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-errors.js';
import { blobArtifact } from './repository-content.js';
import { deferBlob, downloadBlob, storedBlobs } from './sync-blobs.js';

type ImportServices = Pick<Services, 'db' | 'storage' | 'settings'>;

/** Largest config blob read for metadata. */
const MAX_CONFIG_SIZE = 16 * 1024 * 1024;

export interface UpstreamImportOptions {
  client: RegistryClient;
  remoteId: string;
  /** immediate downloads every blob; on_demand and streamed record where to fetch layers. */
  policy: string;
  concurrency: number;
  signal?: AbortSignal;
  logger: Logger;
  onProgress?(event: 'manifest' | 'blob'): void;
}

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
 * Stores what an upstream registry serves, for sync and pull-through: a manifest (checked against the digest
 * it was asked by), for a list its children first, for an image its blobs, downloaded (immediate) or recorded
 * as remote artifacts (config blobs are always downloaded, for the metadata they carry). Each manifest and
 * blob is handled once per importer, however many tags share it.
 */
export class UpstreamImporter {
  private readonly downloads: Limiter;
  private readonly blobs = new Map<string, Promise<string>>();
  private readonly manifests = new Map<string, Promise<string>>();
  private readonly deferred: boolean;

  constructor(
    private readonly services: ImportServices,
    private readonly o: UpstreamImportOptions,
  ) {
    this.downloads = new Limiter(Math.max(1, o.concurrency));
    this.deferred = o.policy !== 'immediate';
  }

  private blob(digest: string, size: number | null, forceDownload: boolean): Promise<string> {
    const download = forceDownload || !this.deferred;
    const key = `${digest}:${download}`;
    let p = this.blobs.get(key);
    if (!p) {
      p = (async () => {
        const db = this.services.db;
        const stored = (await storedBlobs(db, [digest])).get(digest);
        if (stored) return stored;
        if (!download) return deferBlob(db, digest, size, this.o.client.blobUrl(digest), this.o.remoteId);
        const artifactId = await this.downloads.run(() =>
          downloadBlob(this.services, this.o.client, digest, size, this.o.signal),
        );
        this.o.onProgress?.('blob');
        return ensureBlob(db, digest, artifactId);
      })();
      this.blobs.set(key, p);
    }
    return p;
  }

  private async configOf(blobId: string) {
    const artifact = await blobArtifact(this.services.db, blobId);
    if (!artifact || artifact.size > MAX_CONFIG_SIZE) return imageConfigInfo(null);
    const chunks: Buffer[] = [];
    for await (const c of this.services.storage.createReadStream(artifact.file)) chunks.push(c as Buffer);
    return imageConfigInfo(Buffer.concat(chunks));
  }

  private async storeImage(parsed: ParsedManifest & { kind: 'image' }): Promise<string> {
    const configBlobId = await this.blob(parsed.config.digest, parsed.config.size, true);
    const layerIds = await Promise.all(
      parsed.layers
        .filter((l) => parsed.blobDigests.includes(l.digest) && l.digest !== parsed.config.digest)
        .map((l) => this.blob(l.digest, l.size, false)),
    );
    return ensureManifest(this.services.db, parsed, {
      configBlobId,
      blobIds: layerIds,
      children: [],
      config: await this.configOf(configBlobId),
    });
  }

  /** The manifest unit of fetched bytes (known by `digest` when asked by digest). */
  async store(fetched: FetchedManifest, digest: string | undefined): Promise<{ id: string; parsed: ParsedManifest }> {
    const parsed = parseManifest(fetched.bytes, { contentType: fetched.contentType, expectedDigest: digest });
    this.o.onProgress?.('manifest');
    if (parsed.kind === 'image') return { id: await this.storeImage(parsed), parsed };
    const children: Array<{ manifestId: string; entry: (typeof parsed.manifests)[number] }> = [];
    for (const entry of parsed.manifests) {
      try {
        children.push({ manifestId: await this.byDigest(entry.digest), entry });
      } catch (err) {
        // A child in a format we do not store (schema 1) leaves that platform out; the others are kept.
        if (!(err instanceof RegistryError)) throw err;
        this.o.logger.warn({ digest: entry.digest, reason: err.message }, 'child manifest skipped');
      }
    }
    const id = await ensureManifest(this.services.db, parsed, {
      configBlobId: null,
      blobIds: [],
      children,
      config: imageConfigInfo(null),
    });
    return { id, parsed };
  }

  /** The manifest unit of `digest`: the stored one when it has what the policy needs, else fetched. */
  byDigest(digest: string): Promise<string> {
    let p = this.manifests.get(digest);
    if (!p) {
      p = (async () => {
        const known = (await manifestIds(this.services.db, [digest])).get(digest);
        if (known && !(await this.lacksFiles(known))) return known;
        const fetched = await this.o.client.getManifest(digest);
        if (!fetched) throw new RemoteFetchError(`The upstream registry has no manifest ${digest}.`, { status: 404 });
        return (await this.store(fetched, digest)).id;
      })();
      this.manifests.set(digest, p);
    }
    return p;
  }

  /** Whether a stored manifest lacks files an immediate policy needs (it was synced on demand before). */
  async lacksFiles(manifestId: string): Promise<boolean> {
    if (this.deferred) return false;
    const closure = await manifestClosure(this.services.db, [manifestId]);
    const { rows } = await sql<{ missing: boolean }>`
      SELECT EXISTS (SELECT 1 FROM container_blob b JOIN content_artifact ca ON ca.content_id = b.content_id
        WHERE b.content_id = ANY(${closure}::uuid[]) AND ca.artifact_id IS NULL) AS missing`.execute(this.services.db);
    return rows[0]?.missing ?? false;
  }
}
