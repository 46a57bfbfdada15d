import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * The real path of `p` (symlinks of the part that exists resolved, the rest appended), as Python's
 * os.path.realpath gives it: a path that does not exist yet still resolves through its existing parents.
 */
export async function resolvedPath(p: string): Promise<string> {
  const absolute = path.resolve(p);
  const rest: string[] = [];
  let head = absolute;
  for (;;) {
    try {
      return path.join(await realpath(head), ...rest.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return absolute;
      rest.push(path.basename(head));
      head = parent;
    }
  }
}

/**
 * Whether `p` lies within one of the `allowed` directories (ALLOWED_EXPORT_PATHS / ALLOWED_IMPORT_PATHS), after
 * resolving symlinks. Pulp compares string prefixes; here the prefix must end at a path separator, so
 * `/exports-evil` is not within `/exports`. Returns the resolved path, or null when not allowed.
 */
export async function allowedPath(p: string, allowed: readonly string[]): Promise<string | null> {
  if (!path.isAbsolute(p)) return null;
  const real = await resolvedPath(p);
  for (const a of allowed) {
    const base = await resolvedPath(a);
    if (real === base || real.startsWith(base.endsWith(path.sep) ? base : base + path.sep)) return real;
  }
  return null;
}
