/** One challenge of a WWW-Authenticate header: the scheme and its auth-params (RFC 7235). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate value such as `Bearer realm="https://a/token",service="a",scope="repository:x:pull"`.
 * Quoted values may hold commas (`pull,push`) and backslash escapes. Several challenges may share one header.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  let current: Challenge | null = null;
  while (i < n) {
    skipSpace();
    const word = token();
    if (!word) {
      i++;
      continue;
    }
    while (i < n && header[i] === ' ') i++;
    if (header[i] === '=') {
      i++;
      while (i < n && header[i] === ' ') i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(start, i).trim();
      }
      if (current) current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** The `rel="next"` target of a Link header, or null. */
export function nextLink(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (m && /(^|;)\s*rel="?next"?\s*(;|$)/i.test(m[2] ?? '')) return m[1] ?? null;
  }
  return null;
}
