import type { Logger } from 'pino';
import { sql } from 'kysely';

import { createRepositoryVersion, type RepositoryVersionRef, type Services } from '../../plugin-api/index.js';
import { ensureTag, manifestClosure } from './content-store.js';
import { finalizeContainerVersion } from './finalize-version.js';
import { isValidDigest } from './names.js';
import type { RegistryClient } from './registry-client.js';
import { forEachLimited } from './sync-blobs.js';
import { compileNameFilter } from './tag-filter.js';
import { UpstreamImporter } from './upstream-import.js';

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

/**
 * Syncs a repository from a registry (pulp_container's sync stages, without signatures): the tags the filters
 * keep, each with its manifest, children and blobs (see UpstreamImporter). A tag whose upstream digest (HEAD)
 * is the one the latest version has is not fetched again. Returns the new version, or null when nothing
 * changed.
 */
export async function syncRepository(services: SyncServices, o: SyncOptions): Promise<RepositoryVersionRef | null> {
  const db = services.db;
  const importer = new UpstreamImporter(services, o);
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
      if (head?.digest === have.digest && !(await importer.lacksFiles(have.manifest_id))) {
        tagIds.push(have.content_id);
        manifestIdsOfTags.push(have.manifest_id);
        o.onProgress?.('tag');
        return;
      }
    }
    const fetched = await o.client.getManifest(tag);
    if (!fetched) return; // deleted upstream between the tag list and now
    const headerDigest = fetched.digest && isValidDigest(fetched.digest) ? fetched.digest : undefined;
    const { id } = await importer.store(fetched, headerDigest);
    tagIds.push(await ensureTag(db, tag, id));
    manifestIdsOfTags.push(id);
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
