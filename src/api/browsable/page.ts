import type { Operation } from '../../plugin-api/operations.js';
import { filterForm, operationForm } from './forms.js';
import { attrs, escapeHtml } from './html.js';
import { renderJson } from './render-json.js';

/** Everything one browsable page shows about a request and its response. */
export interface PageInput {
  method: string;
  url: URL;
  status: number;
  /** Parsed JSON body, undefined for an empty one. */
  body: unknown;
  responseHeaders: Record<string, string>;
  /** Operations of the matched route (same path, every method). */
  operations: Operation[];
  /** Operations one literal segment below the route (`sync/`, `modify/`, `versions/`), with their paths. */
  children: Array<{ operation: Operation; path: string }>;
  username: string | null;
  /** The `csrftoken` cookie, echoed by the logout form. */
  csrf: string;
  apiPrefix: string;
  staticUrl: string;
  authUrl: string;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  415: 'Unsupported Media Type',
};

function breadcrumbs(pathname: string, apiPrefix: string): string {
  const crumbs = [`<a href="${escapeHtml(apiPrefix)}">Api Root</a>`];
  if (pathname.startsWith(apiPrefix)) {
    let acc = apiPrefix;
    for (const segment of pathname.slice(apiPrefix.length).split('/').filter(Boolean)) {
      acc += `${segment}/`;
      crumbs.push(
        acc === pathname
          ? `<span aria-current="page">${escapeHtml(segment)}</span>`
          : `<a href="${escapeHtml(acc)}">${escapeHtml(segment)}</a>`,
      );
    }
  }
  return `<nav aria-label="Breadcrumb" class="crumbs">${crumbs.join(' / ')}</nav>`;
}

function pagination(body: unknown): string {
  if (!body || typeof body !== 'object' || !('count' in body)) return '';
  const b = body as { count?: unknown; next?: unknown; previous?: unknown };
  if (!('next' in b) && !('previous' in b)) return '';
  const link = (href: unknown, label: string, rel: string) =>
    typeof href === 'string'
      ? `<a${attrs({ href, rel, class: 'button' })}>${label}</a>`
      : `<span class="button disabled" aria-disabled="true">${label}</span>`;
  return `<nav class="pager" aria-label="Pagination">${link(b.previous, '« Previous', 'prev')} <span>${escapeHtml(b.count)} in total</span> ${link(b.next, 'Next »', 'next')}</nav>`;
}

function userBar(input: PageInput): string {
  const next = `${input.url.pathname}${input.url.search}`;
  if (!input.username) {
    return `<a href="${escapeHtml(`${input.authUrl}login/?next=${encodeURIComponent(next)}`)}">Log in</a>`;
  }
  return `<span>Signed in as <strong>${escapeHtml(input.username)}</strong></span>
<form method="post" action="${escapeHtml(`${input.authUrl}logout/`)}" class="inline logout-form">
<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(input.csrf)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit" class="link">Log out</button></form>`;
}

/** The HTML page of one API response: request line, headers, linked JSON, pager, filters and forms. */
export function renderPage(input: PageInput): string {
  const { url, apiPrefix } = input;
  const main = input.operations.find((o) => o.method === 'GET') ?? input.operations[0];
  const title = main?.summary ?? main?.tag ?? 'Pulp 3 API';
  const allow: string[] = [...new Set(input.operations.map((o) => o.method))];
  if (allow.includes('GET')) allow.push('HEAD');
  const headers = { ...input.responseHeaders, ...(allow.length ? { allow: allow.join(', ') } : {}) };
  const headerLines = Object.entries(headers)
    .map(([k, v]) => `<span class="h-name">${escapeHtml(k)}:</span> ${escapeHtml(v)}`)
    .join('\n');
  const body = input.body === undefined ? '' : renderJson(input.body, apiPrefix);
  const current =
    input.body && typeof input.body === 'object' && !Array.isArray(input.body)
      ? (input.body as Record<string, unknown>)
      : undefined;
  const list = input.method === 'GET' && main?.filters ? filterForm(main, url.pathname, url.searchParams) : '';
  let n = 0;
  const forms = input.operations
    .filter((o) => o.method !== 'GET')
    .map((o) => operationForm(o, url.pathname, n++, current));
  const actions = input.children
    .filter((c) => c.operation.method !== 'GET')
    .map((c) => operationForm(c.operation, c.path, n++));
  const related = input.children
    .filter((c) => c.operation.method === 'GET')
    .map((c) => `<li><a href="${escapeHtml(c.path)}">${escapeHtml(c.path.slice(url.pathname.length))}</a></li>`);
  const statusText = STATUS_TEXT[input.status] ?? '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Pulp 3 API</title>
<link rel="stylesheet" href="${escapeHtml(input.staticUrl)}browsable-api/browsable.css">
<script src="${escapeHtml(input.staticUrl)}browsable-api/browsable.js" defer></script>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="topbar"><a class="brand" href="${escapeHtml(apiPrefix)}">Pulp 3 API</a><span class="grow"></span><a href="/ui/">Web UI</a> ${userBar(input)}</header>
<main id="content">
${breadcrumbs(url.pathname, apiPrefix)}
<h1>${escapeHtml(title)}</h1>
<p class="methods" aria-label="Allowed methods">${allow.map((m) => `<span class="method m-${m.toLowerCase()}">${m}</span>`).join(' ')}</p>
<section aria-labelledby="response-title" class="response">
<h2 id="response-title" class="visually-hidden">Response</h2>
<pre class="request"><strong>${escapeHtml(input.method)}</strong> ${escapeHtml(url.pathname + url.search)}</pre>
<pre class="response-body" tabindex="0"><span class="status s${Math.floor(input.status / 100)}">HTTP ${input.status} ${statusText}</span>
${headerLines}

${body}</pre>
${pagination(input.body)}
</section>
${list ? `<section aria-labelledby="filters-title"><h2 id="filters-title">Filters</h2>${list}</section>` : ''}
${related.length ? `<section aria-labelledby="related-title"><h2 id="related-title">Related</h2><ul>${related.join('')}</ul></section>` : ''}
${forms.length + actions.length ? `<section aria-labelledby="forms-title" class="forms"><h2 id="forms-title">Operations</h2>${[...forms, ...actions].join('\n')}</section>` : ''}
</main>
</body>
</html>
`;
}
