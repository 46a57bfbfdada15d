/**
 * The registry's URL space (distribution spec endpoints end-1 to end-13, plus pulp_container's signature
 * extension), parsed from the raw request path. Names are matched loosely here and checked afterwards, so
 * that a bad name is answered NAME_INVALID rather than 404.
 */
export type RegistryPath =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; uuid: string }
  | { kind: 'signatures'; name: string; digest: string };

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => RegistryPath]> = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog\/?$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/tags\/list\/?$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, uuid: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^\/extensions\/v2\/(.+)\/signatures\/([^/]+)$/, (m) => ({ kind: 'signatures', name: m[1]!, digest: m[2]! })],
];

/** The endpoint of a request path (query string excluded), or null for a path outside the registry API. */
export function parseRegistryPath(pathname: string): RegistryPath | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  for (const [re, build] of PATTERNS) {
    const m = re.exec(decoded);
    if (m) return build(m);
  }
  return null;
}
