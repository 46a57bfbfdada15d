import type { Database } from '../db/database.js';
import type { AccessPolicyDefinition } from './rbac-types.js';

/**
 * How long a process trusts an access policy row it read. Every authorization and every 202 (the task's creation
 * hook) reads its viewset's policy; policies change rarely and only through the access policy endpoints, which
 * forget the cache of their own process at once. Other processes see the change within this time.
 */
export const ACCESS_POLICY_TTL_MS = 2000;

interface Entry {
  at: number;
  value: Promise<AccessPolicyDefinition | null>;
}

// Per database handle: test suites run several databases in one process.
const caches = new WeakMap<Database, Map<string, Entry>>();

/** The cached policy of a viewset, or `load()` (shared by concurrent callers) when absent or older than the TTL. */
export function cachedAccessPolicy(
  db: Database,
  viewset: string,
  load: () => Promise<AccessPolicyDefinition | null>,
): Promise<AccessPolicyDefinition | null> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map<string, Entry>()));
  const now = Date.now();
  const hit = cache.get(viewset);
  if (hit && now - hit.at < ACCESS_POLICY_TTL_MS) return hit.value;
  const value = load();
  const entry = { at: now, value };
  cache.set(viewset, entry);
  // A failed read is not remembered.
  value.catch(() => {
    if (cache.get(viewset) === entry) cache.delete(viewset);
  });
  return value;
}

/** Forgets every cached policy of this database handle (after this process changed one). */
export function forgetAccessPolicies(db: Database): void {
  caches.delete(db);
}
