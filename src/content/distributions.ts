import { sql } from 'kysely';

import type { Database } from '../db/database.js';

export interface DistributionInfo {
  pulp_id: string;
  base_path: string;
  pulp_type: string;
  hidden: boolean;
  content_guard_id: string | null;
  repository_id: string | null;
  repository_version_id: string | null;
  publication_id: string | null;
  remote_id: string | null;
  /** Serves the repository's checkpoint publications under `<base_path>/<timestamp>/` (core 3.74). */
  checkpoint: boolean;
}

/** Every distribution, by base path. Distributions are few (thousands at most), so one query loads them all. */
export interface DistributionSnapshot {
  byBasePath: Map<string, DistributionInfo>;
  /** Base paths sorted, for listings of the content root and of intermediate folders. */
  visibleBasePaths: string[];
}

export async function loadDistributions(db: Database): Promise<DistributionSnapshot> {
  const rows = await db
    .selectFrom('distribution')
    .select([
      'pulp_id',
      'base_path',
      'pulp_type',
      'hidden',
      'content_guard_id',
      'repository_id',
      'repository_version_id',
      'publication_id',
      'remote_id',
      sql<boolean>`coalesce((detail ->> 'checkpoint')::boolean, false)`.as('checkpoint'),
    ])
    .execute();
  const byBasePath = new Map<string, DistributionInfo>();
  for (const row of rows) byBasePath.set(row.base_path, row);
  const visibleBasePaths = rows
    .filter((r) => !r.hidden && !r.pulp_type.startsWith('core.'))
    .map((r) => r.base_path)
    .sort();
  return { byBasePath, visibleBasePaths };
}

/**
 * Longest-prefix match (spec runtime §2.2): the proper directory prefixes of `sub` + '/', longest first.
 * Base paths never nest, so the first hit is the only one.
 */
export function matchDistribution(snapshot: DistributionSnapshot, sub: string): DistributionInfo | undefined {
  let end = sub.length;
  for (;;) {
    const candidate = sub.slice(0, end);
    if (candidate.length > 0) {
      const hit = snapshot.byBasePath.get(candidate);
      if (hit) return hit;
    }
    end = sub.lastIndexOf('/', end - 1);
    if (end <= 0) return undefined;
  }
}

/** The next path segment of every visible distribution below `prefix` (which is '' or ends with '/'). */
export function childSegments(snapshot: DistributionSnapshot, prefix: string): string[] {
  const out = new Set<string>();
  for (const basePath of snapshot.visibleBasePaths) {
    if (!basePath.startsWith(prefix)) continue;
    const rest = basePath.slice(prefix.length);
    const slash = rest.indexOf('/');
    out.add(slash === -1 ? `${rest}/` : `${rest.slice(0, slash)}/`);
  }
  return [...out].sort();
}

/** Whether any distribution at all (hidden ones too) lives below `prefix`: decides 301 and listings. */
export function hasDistributionsBelow(snapshot: DistributionSnapshot, prefix: string): boolean {
  for (const basePath of snapshot.byBasePath.keys()) if (basePath.startsWith(prefix)) return true;
  return false;
}

/** What a distribution serves right now. */
export type ServingTarget =
  | { kind: 'publication'; publicationId: string; repositoryId: string; versionNumber: number; passThrough: boolean }
  | { kind: 'version'; repositoryId: string; versionNumber: number }
  | { kind: 'none'; reason: string };

const NOT_POINTING = 'Distribution is not pointing to a publication, repository, repository version, or remote.';

/**
 * Resolves the serving target (spec runtime §2.3 step 5). Distribution types that serve publications
 * (file and the other publishing plugins) look for the newest complete publication; others serve versions.
 */
export async function loadServingTarget(
  db: Database,
  dist: DistributionInfo,
  servesPublications: boolean,
): Promise<ServingTarget> {
  if (dist.publication_id) {
    const row = await sql<{ pulp_id: string; pass_through: boolean; repository_id: string; number: number }>`
      SELECT p.pulp_id, p.pass_through, v.repository_id, v.number
      FROM publication p JOIN repository_version v ON v.pulp_id = p.repository_version_id
      WHERE p.pulp_id = ${dist.publication_id}`.execute(db);
    const p = row.rows[0];
    if (!p) return { kind: 'none', reason: NOT_POINTING };
    return {
      kind: 'publication',
      publicationId: p.pulp_id,
      repositoryId: p.repository_id,
      versionNumber: p.number,
      passThrough: p.pass_through,
    };
  }
  if (dist.repository_version_id) {
    if (servesPublications) {
      const row = await sql<{ pulp_id: string; pass_through: boolean; repository_id: string; number: number }>`
        SELECT p.pulp_id, p.pass_through, v.repository_id, v.number
        FROM publication p JOIN repository_version v ON v.pulp_id = p.repository_version_id
        WHERE v.pulp_id = ${dist.repository_version_id} AND p.complete
        ORDER BY p.pulp_created DESC LIMIT 1`.execute(db);
      const p = row.rows[0];
      if (!p) return { kind: 'none', reason: 'The repository version has no publication.' };
      return {
        kind: 'publication',
        publicationId: p.pulp_id,
        repositoryId: p.repository_id,
        versionNumber: p.number,
        passThrough: p.pass_through,
      };
    }
    const v = await db
      .selectFrom('repository_version')
      .select(['repository_id', 'number'])
      .where('pulp_id', '=', dist.repository_version_id)
      .executeTakeFirst();
    if (!v) return { kind: 'none', reason: NOT_POINTING };
    return { kind: 'version', repositoryId: v.repository_id, versionNumber: v.number };
  }
  if (dist.repository_id) {
    if (servesPublications) {
      const row = await sql<{ pulp_id: string; pass_through: boolean; repository_id: string; number: number }>`
        SELECT p.pulp_id, p.pass_through, v.repository_id, v.number
        FROM publication p JOIN repository_version v ON v.pulp_id = p.repository_version_id
        WHERE v.repository_id = ${dist.repository_id} AND p.complete AND NOT p.checkpoint
        ORDER BY v.number DESC, p.pulp_created DESC LIMIT 1`.execute(db);
      const p = row.rows[0];
      if (!p) return { kind: 'none', reason: 'The repository has no publication.' };
      return {
        kind: 'publication',
        publicationId: p.pulp_id,
        repositoryId: p.repository_id,
        versionNumber: p.number,
        passThrough: p.pass_through,
      };
    }
    const v = await db
      .selectFrom('repository_version')
      .select(['repository_id', 'number'])
      .where('repository_id', '=', dist.repository_id)
      .where('complete', '=', true)
      .orderBy('number', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!v) return { kind: 'none', reason: 'The repository has no version.' };
    return { kind: 'version', repositoryId: v.repository_id, versionNumber: v.number };
  }
  if (dist.remote_id) return { kind: 'none', reason: 'Pull-through distributions are not supported.' };
  return { kind: 'none', reason: NOT_POINTING };
}
