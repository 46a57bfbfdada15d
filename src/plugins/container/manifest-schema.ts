import { FOREIGN_LAYER_MEDIA_TYPES, MEDIA_TYPE } from './media-types.js';
import { isValidDigest } from './names.js';

/**
 * Structural checks of the four manifest formats, the same rules as pulp_container's JSON schemas
 * (app/json_schemas.py) plus what its push handler checks by hand (foreign layers need URLs), and stricter
 * where a bad value would be stored and served later: digests must be verifiable and sizes whole numbers.
 * Each check returns the first problem as `path: message`, or null.
 */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface ListEntry extends Descriptor {
  platform: Platform | null;
}

export class SchemaProblem extends Error {}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringArray(v: unknown, at: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    throw new SchemaProblem(`${at}: must be a list of strings`);
  return v as string[];
}

export function annotations(v: unknown, at: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || Object.values(v).some((s) => typeof s !== 'string'))
    throw new SchemaProblem(`${at}: must be an object of strings`);
  return v as Record<string, string>;
}

export function descriptor(v: unknown, at: string, allowedMediaTypes?: readonly string[]): Descriptor {
  if (!isObject(v)) throw new SchemaProblem(`${at}: must be an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw new SchemaProblem(`${at}.mediaType: is required`);
  if (allowedMediaTypes && !allowedMediaTypes.includes(mediaType))
    throw new SchemaProblem(`${at}.mediaType: '${mediaType}' is not one of ${allowedMediaTypes.join(', ')}`);
  if (typeof digest !== 'string') throw new SchemaProblem(`${at}.digest: is required`);
  if (!isValidDigest(digest)) throw new SchemaProblem(`${at}.digest: '${digest}' is not a sha256 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new SchemaProblem(`${at}.size: must be a non-negative integer`);
  const out: Descriptor = { mediaType, digest, size };
  if (v.urls !== undefined) {
    const urls = stringArray(v.urls, `${at}.urls`);
    if (urls.some((u) => !/^https?:\/\//.test(u))) throw new SchemaProblem(`${at}.urls: must be http(s) URLs`);
    out.urls = urls;
  }
  const ann = annotations(v.annotations, `${at}.annotations`);
  if (ann) out.annotations = ann;
  if (v.artifactType !== undefined) {
    if (typeof v.artifactType !== 'string') throw new SchemaProblem(`${at}.artifactType: must be a string`);
    out.artifactType = v.artifactType;
  }
  return out;
}

function platform(v: unknown, at: string): Platform {
  if (!isObject(v)) throw new SchemaProblem(`${at}: must be an object`);
  if (typeof v.architecture !== 'string') throw new SchemaProblem(`${at}.architecture: is required`);
  if (typeof v.os !== 'string') throw new SchemaProblem(`${at}.os: is required`);
  const out: Platform = { architecture: v.architecture, os: v.os };
  for (const key of ['os.version', 'variant'] as const) {
    if (v[key] === undefined) continue;
    if (typeof v[key] !== 'string') throw new SchemaProblem(`${at}.${key}: must be a string`);
    out[key] = v[key];
  }
  for (const key of ['os.features', 'features'] as const) {
    if (v[key] !== undefined) out[key] = stringArray(v[key], `${at}.${key}`);
  }
  return out;
}

function schemaVersion2(json: Json): void {
  if (json.schemaVersion !== 2) throw new SchemaProblem('schemaVersion: must be 2');
}

function declaredMediaType(json: Json, expected: string, required: boolean): void {
  if (json.mediaType === undefined && !required) return;
  if (json.mediaType !== expected) throw new SchemaProblem(`mediaType: must be '${expected}'`);
}

/** An image manifest (OCI or Docker schema 2): its config and layers. */
export function checkImageManifest(json: Json, mediaType: string): { config: Descriptor; layers: Descriptor[] } {
  schemaVersion2(json);
  const docker = mediaType === MEDIA_TYPE.MANIFEST_V2;
  declaredMediaType(json, mediaType, docker);
  const config = descriptor(
    json.config,
    'config',
    docker ? [MEDIA_TYPE.CONFIG_BLOB, 'application/octet-stream'] : undefined,
  );
  if (!Array.isArray(json.layers)) throw new SchemaProblem('layers: must be a list');
  const layers = json.layers.map((l, i) => descriptor(l, `layers.${i}`));
  layers.forEach((layer, i) => {
    if (FOREIGN_LAYER_MEDIA_TYPES.includes(layer.mediaType) && !layer.urls?.length)
      throw new SchemaProblem(`layers.${i}: the URL of a foreign layer must be specified`);
  });
  annotations(json.annotations, 'annotations');
  if (json.subject !== undefined) descriptor(json.subject, 'subject');
  if (json.artifactType !== undefined && typeof json.artifactType !== 'string')
    throw new SchemaProblem('artifactType: must be a string');
  return { config, layers };
}

const OCI_INDEX_CHILDREN = [
  MEDIA_TYPE.MANIFEST_OCI,
  MEDIA_TYPE.INDEX_OCI,
  MEDIA_TYPE.MANIFEST_V2,
  MEDIA_TYPE.MANIFEST_LIST,
];
const DOCKER_LIST_CHILDREN = [MEDIA_TYPE.MANIFEST_V2, MEDIA_TYPE.MANIFEST_OCI];

/** A manifest list or OCI index: its entries (the platform is optional in an OCI index only). */
export function checkManifestList(json: Json, mediaType: string): ListEntry[] {
  schemaVersion2(json);
  const docker = mediaType === MEDIA_TYPE.MANIFEST_LIST;
  declaredMediaType(json, mediaType, docker);
  if (!Array.isArray(json.manifests)) throw new SchemaProblem('manifests: must be a list');
  const entries = json.manifests.map((m, i): ListEntry => {
    const d = descriptor(m, `manifests.${i}`, docker ? DOCKER_LIST_CHILDREN : OCI_INDEX_CHILDREN);
    const p = (m as Json).platform;
    if (p === undefined && docker) throw new SchemaProblem(`manifests.${i}.platform: is required`);
    return { ...d, platform: p === undefined ? null : platform(p, `manifests.${i}.platform`) };
  });
  annotations(json.annotations, 'annotations');
  if (json.subject !== undefined) descriptor(json.subject, 'subject');
  return entries;
}
