import { createHash } from 'node:crypto';

import { verifyUserPassword } from '../../core/passwords.js';
import type { Database } from '../../db/database.js';
import { verifySignedUrl } from '../../plugin-api/content-redirect.js';
import type { GuardRequest } from '../../plugin-api/define-plugin.js';
import { findGuardType } from '../../plugin-api/guard-types.js';
import { modelByLabel } from '../../plugin-api/rbac-catalogue.js';
import { loadUserPermissions } from '../../plugin-api/rbac-permissions.js';
import { compileJq } from './jq.js';

export type { GuardRequest };

/**
 * A process-wide cache that is emptied whenever anything served changes (the content app's ContentCache:
 * the content-change triggers NOTIFY every process). Guards, verified credentials and download permissions live in
 * its maps, so a guarded request normally costs no query at all.
 */
export interface GuardCacheHost {
  generation: number;
  createMap<K, V>(): Map<K, V>;
  store<K, V>(map: Map<K, V>, key: K, value: V, generation: number, maxEntries?: number): void;
}

type Check = (req: GuardRequest, state: State) => Promise<boolean>;

interface State {
  db: Database;
  caches: Caches | null;
  depth: number;
}

interface Caches {
  host: GuardCacheHost;
  guards: Map<string, Check | null>;
  users: Map<string, { id: number; isSuperuser: boolean }>;
  downloads: Map<string, boolean>;
}

const hosts = new WeakMap<Database, Caches>();

/** Lets guard checks cache in the content app's invalidated-on-change maps (call once per process). */
export function registerGuardCache(db: Database, host: GuardCacheHost): void {
  hosts.set(db, { host, guards: host.createMap(), users: host.createMap(), downloads: host.createMap() });
}

const DENY: Check = async () => false;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function header(req: GuardRequest, name: string): string | undefined {
  const v = req.request.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Strict base64 (standard or URL-safe alphabet), as Python's b64decode accepts it. */
function decodeBase64(text: string): Buffer | null {
  const t = text.trim();
  if (t.length === 0 || t.length % 4 === 1 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(t)) return null;
  return Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
}

function headerCheck(detail: Record<string, unknown>): Check {
  const name = str(detail.header_name);
  const expected = str(detail.header_value);
  const filter = typeof detail.jq_filter === 'string' && detail.jq_filter !== '' ? detail.jq_filter : null;
  let jq: ((input: unknown) => unknown[]) | null = null;
  if (filter) {
    try {
      jq = compileJq(filter);
    } catch {
      return DENY;
    }
  }
  return async (req) => {
    const value = header(req, name);
    if (!value || value.length > 64 * 1024) return false;
    const decoded = decodeBase64(value);
    if (!decoded) return false;
    if (!jq) return decoded.toString('utf8') === expected;
    try {
      const first = jq(JSON.parse(decoded.toString('utf8')))[0];
      return typeof first === 'string' && first === expected;
    } catch {
      return false;
    }
  };
}

/** A plugin's guard type: compiled once per guard row, fail closed when it cannot be. */
function pluginCheck(pulpType: string, detail: Record<string, unknown>): Check {
  const type = findGuardType(pulpType);
  if (!type) return DENY;
  try {
    const compiled = type.compile(detail);
    return async (req) => compiled(req);
  } catch {
    return DENY;
  }
}

// As for the API's Basic authentication: many failures for one username slow it down, never lock it out.
const failures = new Map<string, { count: number; since: number }>();

async function slowDownAfterFailures(username: string): Promise<void> {
  const f = failures.get(username);
  if (f && f.count >= 20) await new Promise((r) => setTimeout(r, Math.min(2000, (f.count - 19) * 100)));
}

function recordFailure(username: string): void {
  const now = Date.now();
  const f = failures.get(username);
  if (!f || now - f.since > 15 * 60_000) failures.set(username, { count: 1, since: now });
  else f.count += 1;
  if (failures.size > 10_000) failures.clear();
}

async function authenticatedUser(
  req: GuardRequest,
  state: State,
): Promise<{ id: number; isSuperuser: boolean } | null> {
  const auth = header(req, 'authorization');
  const m = auth ? /^Basic\s+(\S{1,4096})\s*$/i.exec(auth) : null;
  if (!m) return null;
  const key = createHash('sha256')
    .update(m[1] as string)
    .digest('hex');
  const hit = state.caches?.users.get(key);
  if (hit) return hit;
  const generation = state.caches?.host.generation ?? 0;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) return null;
  const username = decoded.slice(0, sep);
  await slowDownAfterFailures(username);
  const row = await state.db
    .selectFrom('auth_user')
    .select(['id', 'password', 'is_active', 'is_superuser'])
    .where('username', '=', username)
    .executeTakeFirst();
  if (!(await verifyUserPassword(decoded.slice(sep + 1), row)) || !row) {
    recordFailure(username);
    return null;
  }
  failures.delete(username);
  const user = { id: row.id, isSuperuser: row.is_superuser };
  if (state.caches) state.caches.host.store(state.caches.users, key, user, generation, 10_000);
  return user;
}

function rbacCheck(guardId: string): Check {
  const model = modelByLabel('core.rbaccontentguard');
  return async (req, state) => {
    const user = await authenticatedUser(req, state);
    if (!user || !model) return false;
    if (user.isSuperuser) return true;
    const key = `${guardId}:${user.id}`;
    const hit = state.caches?.downloads.get(key);
    if (hit !== undefined) return hit;
    const generation = state.caches?.host.generation ?? 0;
    const perms = await loadUserPermissions(state.db, user);
    const allowed = perms.hasModelOrObject('core.download_rbaccontentguard', { model, id: guardId });
    if (state.caches) state.caches.host.store(state.caches.downloads, key, allowed, generation, 100_000);
    return allowed;
  };
}

function redirectCheck(detail: Record<string, unknown>): Check {
  const secret = typeof detail.shared_secret === 'string' ? detail.shared_secret : null;
  if (!secret) return DENY;
  return async (req) => verifySignedUrl(secret, req.request.url ?? '');
}

function compositeCheck(detail: Record<string, unknown>): Check {
  const members = Array.isArray(detail.guards) ? detail.guards.filter((g): g is string => typeof g === 'string') : [];
  return async (req, state) => {
    if (members.length === 0) return true;
    // Members are tried in order; the first that allows wins (Pulp's CompositeContentGuard).
    for (const id of members) if (await check(id, req, { ...state, depth: state.depth + 1 })) return true;
    return false;
  };
}

async function loadCheck(db: Database, guardId: string): Promise<Check | null> {
  const row = await db
    .selectFrom('content_guard')
    .select(['pulp_type', 'detail'])
    .where('pulp_id', '=', guardId)
    .executeTakeFirst();
  if (!row) return null;
  const detail = row.detail ?? {};
  switch (row.pulp_type) {
    case 'core.header':
      return headerCheck(detail);
    case 'core.rbac':
      return rbacCheck(guardId);
    case 'core.content_redirect':
      return redirectCheck(detail);
    case 'core.composite':
      return compositeCheck(detail);
    default:
      // A guard type no installed plugin evaluates refuses everything rather than exposing content.
      return pluginCheck(row.pulp_type, detail);
  }
}

async function check(guardId: string, req: GuardRequest, state: State): Promise<boolean> {
  if (state.depth > 8) return false;
  const caches = state.caches;
  let fn = caches?.guards.get(guardId);
  if (fn === undefined) {
    const generation = caches?.host.generation ?? 0;
    fn = await loadCheck(state.db, guardId);
    if (caches) caches.host.store(caches.guards, guardId, fn, generation, 10_000);
  }
  // An unknown id refuses: failing closed is the only safe answer for a guard.
  if (fn === null) return false;
  return fn(req, state);
}

/**
 * Whether the content guard with this id lets the request through (Pulp's `permit`), per guard type:
 * RBAC (Basic credentials of a user with `core.download_rbaccontentguard`), header (base64, optional jq),
 * content redirect (signed, unexpired URL), composite (any member; none = allow), X.509 (client certificate
 * chaining to the guard's CA). The content app answers 403 when it is false.
 */
export async function isAllowedByGuard(db: Database, guardId: string, req: GuardRequest): Promise<boolean> {
  try {
    return await check(guardId, req, { db, caches: hosts.get(db) ?? null, depth: 0 });
  } catch {
    return false;
  }
}
