import { ValidationError } from './errors.js';

/**
 * Why a relative path breaks Pulp's canonical form (leading or trailing `/`, empty, `.` or `..` segments,
 * whitespace around segments, `?`, `#`), or contains NUL or control characters (our hardening); null when fine.
 */
export function relativePathProblem(path: string): string | null {
  if (path.length === 0) return 'The path may not be empty.';
  if (path.length > 4096) return 'The path is too long.';

  if (/[\u0000-\u001f\u007f]/.test(path)) return 'The path may not contain control characters.';
  if (path.startsWith('/')) return 'The path may not start with "/".';
  if (path.endsWith('/')) return 'The path may not end with "/".';
  if (/[?#]/.test(path)) return 'The path may not contain "?" or "#".';
  if (path.includes('\\')) return 'The path may not contain "\\".';
  for (const segment of path.split('/')) {
    if (segment === '') return 'The path may not contain "//".';
    if (segment === '.' || segment === '..') return 'The path may not contain "." or ".." segments.';
    // `%2e%2e` is stored as written, but a browser following a listing link resolves it as `..`.
    if (/^(\.|%2e){1,2}$/i.test(segment)) return 'The path may not contain percent-encoded "." or ".." segments.';
    if (segment.trim() !== segment) return 'Path segments may not begin or end with whitespace.';
  }
  return null;
}

/** Throws a field error on `field` when the path is not a safe relative path. */
export function assertSafeRelativePath(path: string, field = 'relative_path'): string {
  const problem = relativePathProblem(path);
  if (problem) throw new ValidationError({ [field]: [`${problem} Got ${JSON.stringify(path)}.`] });
  return path;
}
