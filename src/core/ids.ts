import { randomUUID } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function newId(): string {
  return randomUUID();
}

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** `<API_ROOT>api/v3/`, e.g. `/pulp/api/v3/`. */
export function apiPrefix(apiRoot: string): string {
  return `${apiRoot}api/v3/`;
}

/** `prn:<app_label>.<model>:<pk>` naming the concrete model, as Pulp does. */
export function prn(model: string, pk: string | number): string {
  return `prn:${model}:${pk}`;
}

export interface ParsedPrn {
  model: string;
  pk: string;
}

export function parsePrn(value: string): ParsedPrn | null {
  const m = /^prn:([a-z][a-z0-9_-]*\.[a-z][a-z0-9_]*):([^:]+)$/.exec(value);
  return m ? { model: m[1] as string, pk: m[2] as string } : null;
}

/**
 * Accepts an href (relative, or an absolute URL whose path is used) and returns its path, ending in `/`.
 * Returns null when it is not a path at all.
 */
export function hrefPath(value: string): string | null {
  let p = value.trim();
  if (/^https?:\/\//i.test(p)) {
    try {
      p = new URL(p).pathname;
    } catch {
      return null;
    }
  }
  if (!p.startsWith('/')) return null;
  return p.endsWith('/') ? p : `${p}/`;
}

/**
 * ISO 8601 in UTC with microseconds and `Z`, as Pulp renders date-times. The database hands timestamps over
 * as text (`2026-08-19 13:12:05.123456+00`, session time zone UTC) so that microseconds survive.
 */
export function formatTimestamp(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(?:\+00(?::00)?|Z)$/.exec(value);
    if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
    value = new Date(value);
  }
  const iso = value.toISOString(); // 2026-08-19T13:12:05.123Z
  return `${iso.slice(0, 23)}000Z`;
}

/**
 * The one domain (domains are not enabled): Pulp always has a `default` domain, and task reservations name
 * it (`shared:prn:core.domain:<id>`, `pdrn:<id>:orphans`). A fixed id keeps those names stable everywhere.
 */
export const DEFAULT_DOMAIN_ID = '018f6f3e-0000-7000-8000-000000000001';

/** A domain-scoped pseudo resource name, e.g. `pdrn:<domain>:orphans`. */
export function pdrn(word: string): string {
  return `pdrn:${DEFAULT_DOMAIN_ID}:${word}`;
}
