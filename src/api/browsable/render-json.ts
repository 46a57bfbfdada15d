import { escapeHtml } from './html.js';

/**
 * A JSON value as indented HTML in which every href is a link: API paths (`pulp_href`, `repository`, a task's
 * `created_resources`) and absolute http(s) URLs (pagination `next`/`previous`, a distribution's `base_url`).
 */
export function renderJson(value: unknown, apiPrefix: string, indent = 0): string {
  const pad = '  '.repeat(indent);
  const inner = '  '.repeat(indent + 1);
  if (value === null) return '<span class="j-null">null</span>';
  if (typeof value === 'string') return renderString(value, apiPrefix);
  if (typeof value === 'number') return `<span class="j-num">${escapeHtml(value)}</span>`;
  if (typeof value === 'boolean') return `<span class="j-bool">${value}</span>`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => `${inner}${renderJson(v, apiPrefix, indent + 1)}`);
    return `[\n${items.join(',\n')}\n${pad}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const items = entries.map(
      ([k, v]) =>
        `${inner}<span class="j-key">${escapeHtml(JSON.stringify(k))}</span>: ${renderJson(v, apiPrefix, indent + 1)}`,
    );
    return `{\n${items.join(',\n')}\n${pad}}`;
  }
  return escapeHtml(JSON.stringify(value));
}

function renderString(value: string, apiPrefix: string): string {
  const quoted = escapeHtml(JSON.stringify(value));
  if (isLink(value, apiPrefix)) {
    const external = /^https?:/i.test(value) ? ' rel="noopener noreferrer"' : '';
    const inner = escapeHtml(JSON.stringify(value).slice(1, -1));
    return `<span class="j-str">&quot;<a href="${escapeHtml(value)}"${external}>${inner}</a>&quot;</span>`;
  }
  return `<span class="j-str">${quoted}</span>`;
}

function isLink(value: string, apiPrefix: string): boolean {
  if (value.startsWith(apiPrefix)) return !/\s/.test(value);
  return /^https?:\/\/[^\s/]+(\/\S*)?$/i.test(value);
}
