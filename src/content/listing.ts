import type { ListingEntry } from './resolve.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `DD-Mon-YYYY HH:MM` in UTC, as Pulp's listings show dates. */
function formatDate(iso: string): string {
  const d = new Date(iso.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** Decimal units: `N Bytes`, `x.y kB`, `x.y MB`, ... */
export function humanSize(size: number): string {
  if (size < 1000) return `${size} Bytes`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = size;
  let unit = '';
  for (const u of units) {
    value /= 1000;
    unit = u;
    if (value < 1000) break;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/**
 * The link of a listing entry, percent-encoded so that no name (`%2e%2e`, `a?b`, `#x`, `//host`, `a/b`) makes a
 * browser resolve it anywhere but that entry below the listed folder; a trailing `/` marks a folder and stays.
 * A name of dots alone has no such link (browsers resolve `..` and `%2E%2E` alike), so it gets none: stored
 * paths never have one, but a listing must not trust that.
 */
export function entryHref(name: string): string | null {
  const folder = name.endsWith('/');
  const bare = folder ? name.slice(0, -1) : name;
  if (/^\.{0,2}$/.test(bare)) return null;
  return `./${encodeURIComponent(bare)}${folder ? '/' : ''}`;
}

/** Pulp's directory listing page (spec runtime §2.3): entries sorted, names escaped, date and size columns. */
export function renderListing(requestPath: string, entries: ListingEntry[], isRoot: boolean): string {
  const title = `Index of ${escapeHtml(requestPath)}`;
  const lines: string[] = [];
  if (!isRoot) lines.push('<a href="../">../</a>');
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of sorted) {
    const name = escapeHtml(entry.name);
    const href = entryHref(entry.name);
    const link = href === null ? name : `<a href="${escapeHtml(href)}">${name}</a>`;
    if (entry.date === null && entry.size === null) {
      lines.push(link);
      continue;
    }
    const pad = ' '.repeat(Math.max(1, 100 - (entry.name.length + 2)));
    const date = entry.date ? formatDate(entry.date) : '';
    const size = entry.size !== null ? humanSize(entry.size) : '';
    lines.push(`${link}${pad}${date}  ${size}`);
  }
  return (
    `<!DOCTYPE html>\n<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<hr><pre>` +
    lines.join('\n') +
    `\n</pre><hr></body>\n</html>\n`
  );
}
