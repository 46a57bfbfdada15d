/** The UI is a client of the REST API: every request goes through here (session cookie + CSRF header). */

export interface UiConfig {
  apiPrefix: string;
  uiPrefix: string;
  staticUrl: string;
}

/** A column of a plugin page, or a field of its detail view (src/plugin-api/ui-pages.ts `UiField`). */
export interface UiField {
  field: string;
  label?: string;
  /** `{value}` and `{<field>}` replaced by the object's values. */
  template?: string;
  copy?: boolean;
}

/** A page a plugin declares (`ui.pages`), as `GET /ui/api/navigation/` answers it. */
export interface PluginPageEntry {
  title: string;
  /** Below the UI prefix: `python/packages/`. */
  path: string;
  /** API list endpoint below the API prefix: `content/python/packages/`. */
  list: string;
  columns: UiField[];
  detail?: UiField[];
  description?: string;
  plugin: string;
}

export type Json = Record<string, unknown>;

export interface Page<T = Json> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(describe(status, body));
  }
}

function describe(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Json;
    if (typeof b.detail === 'string') return b.detail;
    return Object.entries(b)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('; ');
  }
  return `HTTP ${status}`;
}

function readConfig(): UiConfig {
  const el = document.getElementById('app');
  const raw = el?.getAttribute('data-config');
  return raw ? (JSON.parse(raw) as UiConfig) : { apiPrefix: '/pulp/api/v3/', uiPrefix: '/ui/', staticUrl: '/assets/' };
}

export const config = readConfig();

function cookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

/** Called when an answer says the session is gone (401): the app shows the sign-in page. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

/** The UI's own answers (`/ui/api/...`): navigation, version diffs. */
export const uiApi = (path: string) => `${config.uiPrefix}api/${path}`;

/** An API path or href as a URL: relative hrefs stay relative, names below the prefix get it. */
export function apiUrl(path: string): string {
  if (path.startsWith('/') || /^https?:/.test(path)) return path;
  return `${config.apiPrefix}${path}`;
}

export async function request<T = Json>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    // X-Requested-With: a 401 then challenges with `xBasic`, so the browser shows no password dialog of its own.
    headers: {
      Accept: 'application/json',
      'X-Requested-With': 'XMLHttpRequest',
      'X-CSRFToken': cookie('csrftoken'),
      ...headers,
    },
  };
  if (body !== undefined) {
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(apiUrl(path), init);
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (res.status === 401 && !headers.Authorization) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed as T;
}

export const get = <T = Json>(path: string) => request<T>('GET', path);

/** Query string from the set values of `params` (empty ones left out). */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  if (!s) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${s}`;
}

/** Every result of a list, following `next` (for client-side diffs and blocker lookups). */
export async function getAll<T = Json>(path: string, max = 20000): Promise<T[]> {
  const out: T[] = [];
  let next: string | null = withQuery(path, { limit: 1000 });
  while (next && out.length < max) {
    const page: Page<T> = await get<Page<T>>(next);
    out.push(...page.results);
    next = page.next;
  }
  return out;
}

export async function signIn(username: string, password: string): Promise<Json> {
  const auth = `Basic ${btoa(unescape(encodeURIComponent(`${username}:${password}`)))}`;
  return request('POST', 'login/', undefined, { Authorization: auth });
}

export async function signOut(): Promise<void> {
  await request('DELETE', 'login/').catch(() => undefined);
}

/** The UI path that shows an API href (`/pulp/api/v3/tasks/<id>/` -> `/ui/tasks/<id>/`). */
export function uiPathOf(href: string): string {
  const path = href.replace(/^https?:\/\/[^/]+/, '');
  if (!path.startsWith(config.apiPrefix)) return path;
  const rest = path.slice(config.apiPrefix.length);
  if (rest.startsWith('tasks/')) return `${config.uiPrefix}${rest}`;
  return `${config.uiPrefix}browse/${rest}`;
}
