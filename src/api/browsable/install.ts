import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { Settings } from '../../core/settings.js';
import type { Database } from '../../db/database.js';
import type { Operation } from '../../plugin-api/operations.js';
import type { BasicAuthenticator } from '../auth.js';
import { authenticateSession, CSRF_COOKIE, parseCookies } from '../rbac/sessions.js';
import { installAuthPages } from './auth-pages.js';
import { formatParameter, prefersHtml } from './negotiate.js';
import { renderPage } from './page.js';
import { BROWSABLE_ASSETS, serveStaticFolders, type StaticFolder } from './static-assets.js';

export interface BrowsableApiOptions {
  settings: Settings;
  db: Database;
  apiPrefix: string;
  operations: Operation[];
  authenticator: BasicAuthenticator;
  /** More folders to serve below STATIC_URL (the web UI's bundle). */
  staticFolders?: StaticFolder[];
}

/** Where the login and logout pages are, as Pulp mounts DRF's (`/auth/login/`). */
export const AUTH_URL = '/auth/';

interface RouteTable {
  /** Full route URL (Fastify syntax) -> its operations. */
  byRoute: Map<string, Operation[]>;
  patterns: Array<{ route: string; re: RegExp }>;
}

function routeTable(prefix: string, operations: Operation[]): RouteTable {
  const byRoute = new Map<string, Operation[]>();
  for (const op of operations) {
    const route = `${prefix}${op.url}`;
    byRoute.set(route, [...(byRoute.get(route) ?? []), op]);
  }
  const patterns = [...byRoute.keys()].map((route) => ({
    route,
    re: new RegExp(
      `^${route
        .split(/(:[A-Za-z0-9_]+)/)
        .map((p) => (p.startsWith(':') ? '[^/]+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    ),
  }));
  return { byRoute, patterns };
}

/** Routes one literal segment below `route`: actions (`sync/`) and sub-resources (`versions/`). */
function childrenOf(table: RouteTable, route: string, pathname: string) {
  const out: Array<{ operation: Operation; path: string }> = [];
  for (const [other, ops] of table.byRoute) {
    if (!other.startsWith(route) || other === route) continue;
    const rest = other.slice(route.length);
    if (!/^[A-Za-z0-9_-]+\/$/.test(rest)) continue;
    for (const operation of ops) out.push({ operation, path: `${pathname}${rest}` });
  }
  return out;
}

async function signedInUser(request: FastifyRequest, o: BrowsableApiOptions): Promise<string | null> {
  try {
    const basic = await o.authenticator.authenticate(request.headers.authorization);
    if (basic) return basic.username;
    // GET: the CSRF check of unsafe methods has already been made by the request itself.
    const session = await authenticateSession(o.db, 'GET', request.headers);
    return session?.username ?? null;
  } catch {
    return null;
  }
}

function parseBody(payload: unknown): unknown {
  const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : typeof payload === 'string' ? payload : '';
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The browsable API: any JSON answer below the API prefix to a request that prefers HTML is rendered as a
 * page (see page.ts) by one onSend hook, so every endpoint has one, error answers included, and JSON clients
 * get the exact bytes they got before. Also mounts the login/logout pages and the static assets.
 */
export async function installBrowsableApi(app: FastifyInstance, o: BrowsableApiOptions): Promise<void> {
  const table = routeTable(o.apiPrefix, o.operations);
  const docs = `${o.apiPrefix}docs/`;
  const staticUrl = o.settings.STATIC_URL;

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const url = new URL(request.url, 'http://localhost');
    if (!url.pathname.startsWith(o.apiPrefix) || url.pathname.startsWith(docs) || request.method === 'HEAD')
      return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    // 204 stays as it is: a browser shows no body of it (the page script renders that case itself).
    if (!type.startsWith('application/json')) return payload;
    if (!prefersHtml(request.headers.accept, formatParameter(url))) return payload;
    let route = request.routeOptions.url;
    if (!route || !table.byRoute.has(route)) route = table.patterns.find((p) => p.re.test(url.pathname))?.route;
    const operations = route ? (table.byRoute.get(route) ?? []) : [];
    const responseHeaders: Record<string, string> = { 'content-type': type };
    for (const name of ['location', 'correlation-id']) {
      const v = reply.getHeader(name);
      if (typeof v === 'string') responseHeaders[name] = v;
    }
    // A browser would answer a Basic challenge with its own dialog; the page links the login form instead.
    reply.removeHeader('www-authenticate');
    const html = renderPage({
      method: request.method,
      url,
      status: reply.statusCode,
      body: parseBody(payload),
      responseHeaders,
      operations,
      children: route ? childrenOf(table, route, url.pathname) : [],
      username: await signedInUser(request, o),
      csrf: parseCookies(request.headers.cookie)[CSRF_COOKIE] ?? '',
      apiPrefix: o.apiPrefix,
      staticUrl,
      authUrl: AUTH_URL,
    });
    void reply.header('content-type', 'text/html; charset=utf-8').header('vary', 'Accept');
    return html;
  });

  await installAuthPages(app, {
    db: o.db,
    authenticator: o.authenticator,
    authUrl: AUTH_URL,
    apiPrefix: o.apiPrefix,
    staticUrl,
  });
  serveStaticFolders(app, staticUrl, [BROWSABLE_ASSETS, ...(o.staticFolders ?? [])]);
}
