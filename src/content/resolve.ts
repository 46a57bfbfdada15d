import { sql } from 'kysely';

import type { Database } from '../db/database.js';
import type { ServingTarget } from './distributions.js';
import { CANDIDATE_COLUMNS, type Candidate, COOLDOWN_CONDITION, toCandidates } from './on-demand.js';

/** What one relative path of a publication or version points at. */
export type Served =
  | { kind: 'artifact'; file: string; size: number; sha256: string }
  /** Not downloaded yet: fetched from one of its remote artifacts (on-demand), read in the same query. */
  | { kind: 'remote'; contentArtifactId: string; candidates: Candidate[] };

export interface ListingEntry {
  name: string;
  /** ISO timestamp or null (distribution listings have none). */
  date: string | null;
  size: number | null;
}

export type Resolution =
  | { kind: 'served'; served: Served; relativePath: string }
  | { kind: 'redirect' }
  | { kind: 'listing'; entries: ListingEntry[] }
  | { kind: 'notfound'; reason?: string }
  | { kind: 'error'; message: string };

interface ExactRow {
  prio: number;
  content_artifact_id: string | null;
  file: string | null;
  size: number | null;
  sha256: string | null;
}

function scope(target: Exclude<ServingTarget, { kind: 'none' }>): {
  pub: string | null;
  repo: string;
  n: number;
  content: boolean;
} {
  if (target.kind === 'publication') {
    return {
      pub: target.publicationId,
      repo: target.repositoryId,
      n: target.versionNumber,
      content: target.passThrough,
    };
  }
  return { pub: null, repo: target.repositoryId, n: target.versionNumber, content: true };
}

/**
 * The file at `path`: published metadata, then published artifacts, then (pass-through publications and
 * versions) the version's content artifacts. Each branch is a unique-index lookup, so the cost does not grow
 * with the size of the repository (content_artifact.relative_path is indexed by migration 0050).
 */
export async function findExact(
  db: Database,
  target: Exclude<ServingTarget, { kind: 'none' }>,
  path: string,
): Promise<Served | 'ambiguous' | undefined> {
  const s = scope(target);
  const { rows } = await sql<ExactRow & Record<string, unknown>>`
    WITH hit AS (
    SELECT 1 AS prio, NULL::uuid AS content_artifact_id, a.file, a.size, a.sha256
      FROM published_metadata pm JOIN artifact a ON a.pulp_id = pm.artifact_id
      WHERE pm.publication_id = ${s.pub}::uuid AND pm.relative_path = ${path}
    UNION ALL
    SELECT 2, ca.pulp_id, a.file, a.size, a.sha256
      FROM published_artifact pa JOIN content_artifact ca ON ca.pulp_id = pa.content_artifact_id
      LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
      WHERE pa.publication_id = ${s.pub}::uuid AND pa.relative_path = ${path}
    UNION ALL
    SELECT 3, ca.pulp_id, a.file, a.size, a.sha256
      FROM content_artifact ca
      JOIN repository_content rc ON rc.content_id = ca.content_id
      LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
      WHERE ${s.content} AND ca.relative_path = ${path} AND rc.repository_id = ${s.repo}::uuid
        AND rc.version_added <= ${s.n} AND (rc.version_removed IS NULL OR rc.version_removed > ${s.n})
    ORDER BY prio LIMIT 3)
    SELECT hit.*, ${CANDIDATE_COLUMNS}
    FROM hit
    LEFT JOIN remote_artifact ra ON hit.file IS NULL AND ra.content_artifact_id = hit.content_artifact_id AND ${COOLDOWN_CONDITION}
    LEFT JOIN remote r ON r.pulp_id = ra.remote_id
    ORDER BY hit.prio, ra.pulp_created, ra.pulp_id`.execute(db);
  const first = rows[0];
  if (!first) return undefined;
  if (first.prio === 3 && rows.some((r) => r.content_artifact_id !== first.content_artifact_id)) return 'ambiguous';
  if (first.file !== null && first.size !== null && first.sha256 !== null) {
    return { kind: 'artifact', file: first.file, size: first.size, sha256: first.sha256 };
  }
  if (first.content_artifact_id === null) return undefined;
  const own = rows.filter((r) => r.prio === first.prio && r.content_artifact_id === first.content_artifact_id);
  return { kind: 'remote', contentArtifactId: first.content_artifact_id, candidates: toCandidates(own) };
}

/** Byte-wise bounds of every path starting with `prefix` (which ends with '/'). */
function prefixBounds(prefix: string): [string, string] {
  return [prefix, `${prefix.slice(0, -1)}0`];
}

/** Entries of the directory `prefix` ('' for the top, else ending with '/'); `limit` 1 answers "is it a directory". */
export async function listDirectory(
  db: Database,
  target: Exclude<ServingTarget, { kind: 'none' }>,
  prefix: string,
  limit?: number,
): Promise<ListingEntry[]> {
  const s = scope(target);
  const [lo, hi] = prefix === '' ? ['', ''] : prefixBounds(prefix);
  const all = prefix === '';
  const cut = prefix.length + 1;
  const { rows } = await sql<{ name: string; is_dir: boolean; size: number | null; created: string | null }>`
    WITH entries AS (
      SELECT substr(pm.relative_path, ${cut}) AS rest, a.size AS size, pm.pulp_created AS created
        FROM published_metadata pm JOIN artifact a ON a.pulp_id = pm.artifact_id
        WHERE pm.publication_id = ${s.pub}::uuid AND (${all} OR (pm.relative_path ~>=~ ${lo} AND pm.relative_path ~<~ ${hi}))
      UNION ALL
      SELECT substr(pa.relative_path, ${cut}), COALESCE(a.size, (SELECT ra.size FROM remote_artifact ra WHERE ra.content_artifact_id = ca.pulp_id LIMIT 1)), pa.pulp_created
        FROM published_artifact pa JOIN content_artifact ca ON ca.pulp_id = pa.content_artifact_id
        LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
        WHERE pa.publication_id = ${s.pub}::uuid AND (${all} OR (pa.relative_path ~>=~ ${lo} AND pa.relative_path ~<~ ${hi}))
      UNION ALL
      SELECT substr(ca.relative_path, ${cut}), COALESCE(a.size, (SELECT ra.size FROM remote_artifact ra WHERE ra.content_artifact_id = ca.pulp_id LIMIT 1)), rc.pulp_created
        FROM repository_content rc
        JOIN content_artifact ca ON ca.content_id = rc.content_id
        LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
        WHERE ${s.content} AND rc.repository_id = ${s.repo}::uuid
          AND rc.version_added <= ${s.n} AND (rc.version_removed IS NULL OR rc.version_removed > ${s.n})
          AND (${all} OR (ca.relative_path ~>=~ ${lo} AND ca.relative_path ~<~ ${hi}))
      ${limit ? sql`LIMIT ${limit}` : sql``}
    )
    SELECT split_part(rest, '/', 1) AS name, strpos(rest, '/') > 0 AS is_dir, max(size) AS size, max(created)::text AS created
    FROM entries GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  return rows.map((r) => ({ name: r.is_dir ? `${r.name}/` : r.name, date: r.created, size: r.size }));
}

/**
 * Resolves a path inside a distribution (spec runtime §2.3 step 6). `rel` has no leading slash; `endsSlash`
 * says whether the request ended with '/'. An exact file is looked up first (one indexed query, the common
 * case), then `index.html` and the directory listing.
 */
export async function resolvePath(
  db: Database,
  target: ServingTarget,
  rel: string,
  endsSlash: boolean,
): Promise<Resolution> {
  if (target.kind === 'none') return { kind: 'notfound', reason: target.reason };
  if (rel !== '' && !endsSlash) {
    const exact = await findExact(db, target, rel);
    if (exact === 'ambiguous') return { kind: 'error', message: `More than one content artifact has the path ${rel}.` };
    if (exact) return { kind: 'served', served: exact, relativePath: rel };
  }
  const dir = rel === '' ? '' : `${rel}/`;
  const index = await findExact(db, target, `${dir}index.html`);
  if (index && index !== 'ambiguous') {
    if (!endsSlash) return { kind: 'redirect' };
    return { kind: 'served', served: index, relativePath: `${dir}index.html` };
  }
  if (!endsSlash) {
    const any = await listDirectory(db, target, dir, 1);
    return any.length > 0 ? { kind: 'redirect' } : { kind: 'notfound' };
  }
  const entries = await listDirectory(db, target, dir);
  if (entries.length > 0) return { kind: 'listing', entries };
  return { kind: 'notfound' };
}
