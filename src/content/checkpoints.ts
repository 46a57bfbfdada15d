import { sql } from 'kysely';

import type { Database } from '../db/database.js';
import type { ServingTarget } from './distributions.js';
import type { ListingEntry } from './resolve.js';

/** Pulp's CHECKPOINT_TS_FORMAT, `%Y%m%dT%H%M%SZ` (UTC, whole seconds). */
export function checkpointTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function parseTimestamp(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Reject what strptime rejects (month 13, February 30, ...), which Date would roll over.
  return checkpointTimestamp(date) === text ? date : null;
}

export type CheckpointResolution =
  | { kind: 'listing'; entries: ListingEntry[] }
  /** The path relative to the distribution's base path that the client should ask for instead. */
  | { kind: 'redirect'; relativePath: string }
  | { kind: 'notfound' }
  | { kind: 'publication'; target: Extract<ServingTarget, { kind: 'publication' }>; relativePath: string };

/**
 * A checkpoint distribution (core 3.74) serves `<base_path>/<YYYYMMDDTHHMMSSZ>/<path>` from the newest checkpoint
 * publication of its repository created at or before that second; a timestamp that is not that publication's own
 * is redirected to it, a future one or one before every checkpoint is 404, and the base path lists the
 * checkpoints. `rel` is the path below the base path without a trailing slash.
 */
export async function resolveCheckpoint(
  db: Database,
  repositoryId: string | null,
  rel: string,
): Promise<CheckpointResolution> {
  if (!repositoryId) return { kind: 'notfound' };
  if (rel === '') {
    const rows = await sql<{ pulp_created: Date }>`SELECT DISTINCT p.pulp_created FROM publication p
      JOIN repository_version v ON v.pulp_id = p.repository_version_id
      WHERE v.repository_id = ${repositoryId} AND p.checkpoint AND p.complete ORDER BY p.pulp_created`.execute(db);
    const seen = new Set<string>();
    const entries: ListingEntry[] = [];
    for (const r of rows.rows) {
      const created = new Date(r.pulp_created);
      const name = `${checkpointTimestamp(created)}/`;
      if (seen.has(name)) continue;
      seen.add(name);
      entries.push({ name, date: created.toISOString(), size: null });
    }
    return { kind: 'listing', entries };
  }
  const slash = rel.indexOf('/');
  const stamp = slash < 0 ? rel : rel.slice(0, slash);
  const rest = slash < 0 ? '' : rel.slice(slash + 1);
  const requested = parseTimestamp(stamp);
  if (!requested || requested.getTime() > Date.now()) return { kind: 'notfound' };
  // The timestamp names a whole second: publications up to its last microsecond belong to it.
  const until = new Date(requested.getTime() + 999).toISOString().replace('Z', '999Z');
  const row = await sql<{ pulp_id: string; pass_through: boolean; number: number; pulp_created: Date }>`
    SELECT p.pulp_id, p.pass_through, v.number, p.pulp_created FROM publication p
    JOIN repository_version v ON v.pulp_id = p.repository_version_id
    WHERE v.repository_id = ${repositoryId} AND p.checkpoint AND p.complete AND p.pulp_created <= ${until}::timestamptz
    ORDER BY p.pulp_created DESC LIMIT 1`.execute(db);
  const p = row.rows[0];
  if (!p) return { kind: 'notfound' };
  const own = checkpointTimestamp(new Date(p.pulp_created));
  if (own !== stamp) return { kind: 'redirect', relativePath: `${own}/${rest}` };
  return {
    kind: 'publication',
    target: {
      kind: 'publication',
      publicationId: p.pulp_id,
      repositoryId,
      versionNumber: p.number,
      passThrough: p.pass_through,
    },
    relativePath: rest,
  };
}
