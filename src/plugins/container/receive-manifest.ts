import type { Readable } from 'node:stream';

import type { Services } from '../../plugin-api/index.js';
import { type Db, ensureManifest, ensureTag, manifestClosure } from './content-store.js';
import { type ParsedManifest, parseManifest } from './manifest.js';
import { type ImageConfigInfo, imageConfigInfo } from './manifest-metadata.js';
import { classifyReference } from './names.js';
import { digestInvalid, manifestBlobUnknown, manifestInvalid } from './registry-errors.js';
import {
  addPendingManifest,
  availableBlobs,
  availableManifests,
  blobArtifact,
  tagsToReplace,
} from './repository-content.js';

/** Largest config blob read for its metadata (architecture, os, labels). */
const MAX_CONFIG_SIZE = 16 * 1024 * 1024;

export interface ReceivedManifest {
  parsed: ParsedManifest;
  manifestId: string;
  /** For a PUT by tag: the units the new version adds and removes. Null for a PUT by digest (left pending). */
  version: { add: string[]; remove: string[] } | null;
}

async function readStream(stream: Readable, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function configInfo(services: Pick<Services, 'db' | 'storage'>, configBlobId: string): Promise<ImageConfigInfo> {
  const artifact = await blobArtifact(services.db, configBlobId);
  if (!artifact || artifact.size > MAX_CONFIG_SIZE) return imageConfigInfo(null);
  return imageConfigInfo(await readStream(services.storage.createReadStream(artifact.file), MAX_CONFIG_SIZE));
}

/**
 * A manifest pushed to a repository: checked (bytes against the digest it is pushed by, structure, size),
 * then every blob an image names, or every child a list names, must be in the repository's latest version
 * or uploaded to it (MANIFEST_BLOB_UNKNOWN otherwise, and nothing is stored). A manifest pushed by tag gets its
 * tag and the content a new version must add; one pushed by digest (a list's child) stays pending until the
 * list that names it is tagged.
 */
export async function receiveManifest(
  services: Pick<Services, 'db' | 'storage'>,
  repositoryId: string,
  reference: string,
  bytes: Buffer,
  contentType: string | undefined,
): Promise<ReceivedManifest> {
  const kind = classifyReference(reference);
  if (kind === 'invalid-digest') throw digestInvalid(reference, 'unsupported or malformed digest');
  if (kind === 'invalid') throw manifestInvalid(reference, `'${reference}' is not a valid tag`);
  const parsed = parseManifest(bytes, { contentType, expectedDigest: kind === 'digest' ? reference : undefined });
  const db: Db = services.db;
  const scope = { repositoryId, latest: true } as const;
  let manifestId: string;
  if (parsed.kind === 'image') {
    const layerDigests = parsed.blobDigests.filter((d) => d !== parsed.config.digest);
    const found = await availableBlobs(db, scope, parsed.blobDigests, true);
    const missing = parsed.blobDigests.find((d) => !found.has(d));
    if (missing) throw manifestBlobUnknown(missing);
    const configBlobId = found.get(parsed.config.digest)!;
    manifestId = await ensureManifest(db, parsed, {
      configBlobId,
      blobIds: layerDigests.map((d) => found.get(d)!),
      children: [],
      config: await configInfo(services, configBlobId),
    });
  } else {
    const digests = parsed.manifests.map((m) => m.digest);
    const found = await availableManifests(db, scope, digests, true);
    const missing = digests.find((d) => !found.has(d));
    if (missing) throw manifestBlobUnknown(missing);
    manifestId = await ensureManifest(db, parsed, {
      configBlobId: null,
      blobIds: [],
      children: parsed.manifests.map((m) => ({ manifestId: found.get(m.digest)!, entry: m })),
      config: imageConfigInfo(null),
    });
  }
  if (kind === 'digest') {
    await addPendingManifest(db, repositoryId, manifestId);
    return { parsed, manifestId, version: null };
  }
  const tagId = await ensureTag(db, reference, manifestId);
  const add = [tagId, ...(await manifestClosure(db, [manifestId]))];
  return { parsed, manifestId, version: { add, remove: await tagsToReplace(db, repositoryId, reference, manifestId) } };
}
