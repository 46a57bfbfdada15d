import { createHash } from 'node:crypto';

import {
  type Descriptor,
  checkImageManifest,
  checkManifestList,
  type ListEntry,
  SchemaProblem,
} from './manifest-schema.js';
import {
  FOREIGN_LAYER_MEDIA_TYPES,
  IMAGE_MEDIA_TYPES,
  isManifestMediaType,
  LIST_MEDIA_TYPES,
  type ManifestMediaType,
  MEDIA_TYPE,
} from './media-types.js';
import { digestInvalid, manifestInvalid, RegistryError } from './registry-errors.js';

/**
 * Largest manifest accepted on push or sync. Docker's distribution and the OCI conformance tests use 4 MiB;
 * bigger bodies are refused before they are parsed (413, as the distribution spec asks).
 */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

interface ParsedCommon {
  /** Digest of the exact bytes received: what clients pull by and what we serve back byte for byte. */
  digest: string;
  mediaType: ManifestMediaType;
  bytes: Buffer;
  json: Record<string, unknown>;
  annotations: Record<string, string>;
}

export interface ParsedImageManifest extends ParsedCommon {
  kind: 'image';
  config: Descriptor;
  layers: Descriptor[];
  /** Blobs that must exist in the registry: the config and every layer not fetched from a foreign URL. */
  blobDigests: string[];
  /** Sum of the layer sizes, as pulp_container's compressed_image_size. */
  compressedSize: number;
  artifactType: string | null;
}

export interface ParsedManifestList extends ParsedCommon {
  kind: 'list';
  manifests: ListEntry[];
}

export type ParsedManifest = ParsedImageManifest | ParsedManifestList;

/** `sha256:<hex>` of `bytes`. */
export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Media type of a manifest: the document's own `mediaType`, else the Content-Type it came with, else what its
 * shape says (pulp_container's determine_media_type). A Content-Type that contradicts the document is refused.
 */
export function determineMediaType(json: Record<string, unknown>, contentType: string | undefined): string {
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  const headerIsManifest = header !== undefined && (isManifestMediaType(header) || header.includes('manifest.v1'));
  if (declared !== undefined) {
    if (headerIsManifest && header !== declared)
      throw new SchemaProblem(`mediaType: '${declared}' does not match the Content-Type '${header}'`);
    return declared;
  }
  if (headerIsManifest) return header === MEDIA_TYPE.MANIFEST_V1_SIGNED ? MEDIA_TYPE.MANIFEST_V1 : header;
  if (Array.isArray(json.manifests)) return MEDIA_TYPE.INDEX_OCI;
  if (json.config !== undefined) return MEDIA_TYPE.MANIFEST_OCI;
  return MEDIA_TYPE.MANIFEST_V1;
}

/**
 * Parses and checks manifest bytes as received from a client or an upstream registry. `expectedDigest` is the
 * digest the bytes are known by (a PUT by digest, a sync by digest, a list entry): it must match the bytes.
 * Throws RegistryError (MANIFEST_INVALID, DIGEST_INVALID, SIZE_INVALID); never trusts declared sizes.
 */
export function parseManifest(
  bytes: Buffer,
  options: { contentType?: string; expectedDigest?: string } = {},
): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_SIZE)
    throw new RegistryError(
      'SIZE_INVALID',
      `manifest is larger than ${MAX_MANIFEST_SIZE} bytes`,
      { size: bytes.length },
      { status: 413 },
    );
  const digest = digestOf(bytes);
  if (options.expectedDigest !== undefined && options.expectedDigest !== digest)
    throw digestInvalid(options.expectedDigest, `manifest digest ${digest} does not match ${options.expectedDigest}`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw manifestInvalid(digest, 'manifest is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw manifestInvalid(digest, 'manifest must be a JSON object');
  const doc = json as Record<string, unknown>;
  try {
    const mediaType = determineMediaType(doc, options.contentType);
    if (mediaType === MEDIA_TYPE.MANIFEST_V1 || mediaType === MEDIA_TYPE.MANIFEST_V1_SIGNED)
      throw new SchemaProblem('manifests of schema version 1 are not supported');
    if (!isManifestMediaType(mediaType))
      throw new SchemaProblem(`a manifest of an unknown media type was provided: ${mediaType}`);
    const common = {
      digest,
      mediaType,
      bytes,
      json: doc,
      annotations: (doc.annotations ?? {}) as Record<string, string>,
    };
    if (LIST_MEDIA_TYPES.includes(mediaType)) {
      return { ...common, kind: 'list', manifests: checkManifestList(doc, mediaType) };
    }
    if (!IMAGE_MEDIA_TYPES.includes(mediaType)) throw new SchemaProblem(`unexpected media type ${mediaType}`);
    const { config, layers } = checkImageManifest(doc, mediaType);
    const blobDigests = new Set([config.digest]);
    for (const layer of layers) {
      if (!(FOREIGN_LAYER_MEDIA_TYPES.includes(layer.mediaType) && layer.urls?.length)) blobDigests.add(layer.digest);
    }
    return {
      ...common,
      kind: 'image',
      config,
      layers,
      blobDigests: [...blobDigests],
      compressedSize: layers.reduce((sum, l) => sum + l.size, 0),
      artifactType: typeof doc.artifactType === 'string' ? doc.artifactType : null,
    };
  } catch (err) {
    if (err instanceof SchemaProblem) throw manifestInvalid(digest, err.message);
    throw err;
  }
}
