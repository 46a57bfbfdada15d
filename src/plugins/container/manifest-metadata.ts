import type { ParsedManifest } from './manifest.js';
import { MEDIA_TYPE } from './media-types.js';

/**
 * What pulp_container records about a manifest beyond its bytes (app/models.py, Manifest.init_*): the
 * architecture, OS and labels of an image's config blob, and the manifest's `type`.
 */
export interface ImageConfigInfo {
  architecture: string | null;
  os: string | null;
  labels: Record<string, string>;
}

const COSIGN_TYPES: Record<string, string> = {
  [MEDIA_TYPE.COSIGN_BLOB]: 'cosign_signature',
  [MEDIA_TYPE.COSIGN_ATTESTATION]: 'cosign_attestation',
  [MEDIA_TYPE.COSIGN_ATTESTATION_BUNDLE]: 'cosign_attestation_bundle',
};
const SBOM_PREFIXES = ['application/vnd.cyclonedx', 'text/spdx', 'application/vnd.syft+json'];
const KNOWN_TYPES = new Set<string>(Object.values(MEDIA_TYPE));

/** Reads an image config blob; anything that is not a JSON object gives empty metadata (artifacts, helm). */
export function imageConfigInfo(bytes: Buffer | null): ImageConfigInfo {
  const empty: ImageConfigInfo = { architecture: null, os: null, labels: {} };
  if (!bytes || bytes.length > 16 * 1024 * 1024) return empty;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return empty;
  }
  if (typeof json !== 'object' || json === null) return empty;
  const doc = json as { architecture?: unknown; os?: unknown; config?: { Labels?: unknown } };
  const rawLabels = doc.config?.Labels;
  const labels: Record<string, string> = {};
  if (typeof rawLabels === 'object' && rawLabels !== null) {
    for (const [k, v] of Object.entries(rawLabels)) if (typeof v === 'string') labels[k] = v;
  }
  return {
    architecture: typeof doc.architecture === 'string' ? doc.architecture : null,
    os: typeof doc.os === 'string' ? doc.os : null,
    labels,
  };
}

/** pulp_container's manifest `type`: index, bootable, flatpak, helm, cosign_*, artifact or image. */
export function manifestType(parsed: ParsedManifest, labels: Record<string, string>): string {
  if (parsed.kind === 'list') return 'index';
  if (parsed.annotations['containers.bootc'] === '1' || labels['containers.bootc'] === '1') return 'bootable';
  if (labels['org.flatpak.ref']) return 'flatpak';
  if (parsed.config.mediaType === MEDIA_TYPE.CONFIG_BLOB_HELM) return 'helm';
  for (const layer of parsed.layers) {
    const cosign = COSIGN_TYPES[layer.mediaType];
    if (cosign) return cosign;
    if (SBOM_PREFIXES.some((p) => layer.mediaType.startsWith(p))) return 'cosign_sbom';
  }
  if (
    parsed.mediaType === MEDIA_TYPE.MANIFEST_OCI &&
    (parsed.artifactType !== null ||
      parsed.config.mediaType === MEDIA_TYPE.OCI_EMPTY_JSON ||
      !KNOWN_TYPES.has(parsed.config.mediaType))
  )
    return 'artifact';
  return 'image';
}
