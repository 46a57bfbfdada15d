/**
 * Splits a request URL into the decoded path below the content prefix. Returns null (404) for anything
 * outside the prefix or not in canonical form: bad percent-encoding, NUL and control characters, backslashes,
 * empty (`//`), `.` and `..` segments, decoded or not. Resolution only ever compares the result with stored
 * canonical paths, and never builds a file name from it, so nothing can reach outside a distribution.
 */
export function splitRequestPath(url: string, prefix: string): { sub: string; rawPath: string } | null {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  if (!rawPath.startsWith(prefix)) return null;
  const rawSub = rawPath.slice(prefix.length);
  let sub = rawSub;
  if (rawSub.includes('%')) {
    try {
      sub = decodeURIComponent(rawSub);
    } catch {
      return null;
    }
  }
  if (sub === '') return { sub, rawPath };

  if (/[\u0000-\u001f\u007f\\]/.test(sub)) return null;
  const body = sub.endsWith('/') ? sub.slice(0, -1) : sub;
  for (const segment of body.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return null;
  }
  return { sub, rawPath };
}
