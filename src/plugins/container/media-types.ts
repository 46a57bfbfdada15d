/**
 * Media types of the registry: the four manifest formats served and accepted (OCI image manifest and index,
 * Docker v2 schema 2 and manifest list), plus the layer and config types a manifest may name. Schema 1
 * manifests are neither accepted on push nor synced (pulp_container refuses their push too).
 */
export const MEDIA_TYPE = {
  MANIFEST_V1: 'application/vnd.docker.distribution.manifest.v1+json',
  MANIFEST_V1_SIGNED: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  MANIFEST_V2: 'application/vnd.docker.distribution.manifest.v2+json',
  MANIFEST_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  MANIFEST_OCI: 'application/vnd.oci.image.manifest.v1+json',
  INDEX_OCI: 'application/vnd.oci.image.index.v1+json',
  CONFIG_BLOB: 'application/vnd.docker.container.image.v1+json',
  CONFIG_BLOB_OCI: 'application/vnd.oci.image.config.v1+json',
  CONFIG_BLOB_HELM: 'application/vnd.cncf.helm.config.v1+json',
  OCI_EMPTY_JSON: 'application/vnd.oci.empty.v1+json',
  REGULAR_BLOB: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  FOREIGN_BLOB: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  FOREIGN_BLOB_OCI_TAR: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  FOREIGN_BLOB_OCI_TAR_GZIP: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  FOREIGN_BLOB_OCI_TAR_ZSTD: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  COSIGN_BLOB: 'application/vnd.dev.cosign.simplesigning.v1+json',
  COSIGN_ATTESTATION: 'application/vnd.dsse.envelope.v1+json',
  COSIGN_ATTESTATION_BUNDLE: 'application/vnd.dev.sigstore.bundle.v0.3+json',
} as const;

/** The manifest formats this registry stores and serves. */
export const MANIFEST_MEDIA_TYPES = [
  MEDIA_TYPE.MANIFEST_V2,
  MEDIA_TYPE.MANIFEST_LIST,
  MEDIA_TYPE.MANIFEST_OCI,
  MEDIA_TYPE.INDEX_OCI,
] as const;
export type ManifestMediaType = (typeof MANIFEST_MEDIA_TYPES)[number];

export const IMAGE_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE.MANIFEST_V2, MEDIA_TYPE.MANIFEST_OCI];
export const LIST_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE.MANIFEST_LIST, MEDIA_TYPE.INDEX_OCI];

/** Layers that a manifest may reference by URL instead of pushing them (they must carry `urls`). */
export const FOREIGN_LAYER_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE.FOREIGN_BLOB,
  MEDIA_TYPE.FOREIGN_BLOB_OCI_TAR,
  MEDIA_TYPE.FOREIGN_BLOB_OCI_TAR_GZIP,
  MEDIA_TYPE.FOREIGN_BLOB_OCI_TAR_ZSTD,
];

/** The Accept header sent to upstream registries: every format we can store. */
export const MANIFEST_ACCEPT_HEADER = MANIFEST_MEDIA_TYPES.join(',');

/** Content type of served blobs (as pulp_container's content app answers). */
export const BLOB_CONTENT_TYPE = 'application/octet-stream';

/** Digest of the gzip of an empty tar: Docker's "throwaway" layer, always answerable. */
export const EMPTY_BLOB = 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';

export function isManifestMediaType(value: string): value is ManifestMediaType {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(value);
}

/**
 * Media types a client accepts, from its Accept header(s), parameters (`;q=0.5`) stripped. Clients that send
 * no Accept header (or only wildcards) get what was stored: the registry never converts between formats.
 */
export function acceptedMediaTypes(accept: string | string[] | undefined): { types: Set<string>; any: boolean } {
  const values = Array.isArray(accept) ? accept : accept === undefined ? [] : [accept];
  const types = new Set<string>();
  let any = values.length === 0;
  for (const value of values) {
    for (const part of value.split(',')) {
      const type = part.split(';')[0]?.trim().toLowerCase() ?? '';
      if (!type) continue;
      if (type === '*/*' || type === 'application/*') any = true;
      else types.add(type);
    }
  }
  if (types.size === 0) any = true;
  return { types, any };
}

/** Whether a stored manifest of `mediaType` may be served to a client that sent `accept`. */
export function clientAccepts(accept: string | string[] | undefined, mediaType: string): boolean {
  const { types, any } = acceptedMediaTypes(accept);
  return any || types.has(mediaType);
}
