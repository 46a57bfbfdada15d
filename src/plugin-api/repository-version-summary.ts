import { type Kysely, sql, type Transaction } from 'kysely';

import { formatTimestamp } from '../core/ids.js';
import type { DB } from '../db/tables.js';
import { findResourceType, typedHref } from './resource-types.js';

type Db = Kysely<DB> | Transaction<DB>;

/** Per content type counts of a version, stored in `repository_version.info.content_summary`. */
export interface SummaryCounts {
  added: Record<string, number>;
  removed: Record<string, number>;
  present: Record<string, number>;
}

/** Pulp's `content_summary`: per type `{count, href}` of the content lists filtered by this version. */
export interface ContentSummary {
  added: Record<string, { count: number; href: string }>;
  removed: Record<string, { count: number; href: string }>;
  present: Record<string, { count: number; href: string }>;
}

/**
 * Counts a version's added, removed and present units per type. It reads every row of the version once;
 * versions store the result, so serializing a version never counts again (Pulp keeps the same numbers in
 * RepositoryVersionContentDetails).
 */
export async function computeSummaryCounts(db: Db, repositoryId: string, number: number): Promise<SummaryCounts> {
  const rows = await sql<{ pulp_type: string; added: number; removed: number; present: number }>`
    SELECT c.pulp_type,
      count(*) FILTER (WHERE rc.version_added = ${number})::int AS added,
      count(*) FILTER (WHERE rc.version_removed = ${number})::int AS removed,
      count(*) FILTER (WHERE rc.version_removed IS NULL OR rc.version_removed > ${number})::int AS present
    FROM repository_content rc JOIN content c ON c.pulp_id = rc.content_id
    WHERE rc.repository_id = ${repositoryId} AND rc.version_added <= ${number}
      AND (rc.version_removed IS NULL OR rc.version_removed >= ${number})
    GROUP BY c.pulp_type ORDER BY c.pulp_type`.execute(db);
  const out: SummaryCounts = { added: {}, removed: {}, present: {} };
  for (const r of rows.rows) {
    if (r.added > 0) out.added[r.pulp_type] = r.added;
    if (r.removed > 0) out.removed[r.pulp_type] = r.removed;
    if (r.present > 0) out.present[r.pulp_type] = r.present;
  }
  return out;
}

/**
 * The counts of version `number` from those of the version it was built on (the latest one before it):
 * present = previous present + added - removed. Only the changed rows are read (and joined to their
 * type), so a one-unit change of a 100,000-unit repository costs a few milliseconds instead of a full count.
 */
export async function nextSummaryCounts(
  db: Db,
  repositoryId: string,
  number: number,
  previous: SummaryCounts,
): Promise<SummaryCounts> {
  const rows = await sql<{ pulp_type: string; added: number; removed: number }>`
    SELECT c.pulp_type,
      count(*) FILTER (WHERE rc.version_added = ${number})::int AS added,
      count(*) FILTER (WHERE rc.version_removed = ${number})::int AS removed
    FROM repository_content rc JOIN content c ON c.pulp_id = rc.content_id
    WHERE rc.repository_id = ${repositoryId} AND (rc.version_added = ${number} OR rc.version_removed = ${number})
    GROUP BY c.pulp_type`.execute(db);
  const out: SummaryCounts = { added: {}, removed: {}, present: { ...previous.present } };
  for (const r of rows.rows) {
    if (r.added > 0) out.added[r.pulp_type] = r.added;
    if (r.removed > 0) out.removed[r.pulp_type] = r.removed;
    const present = (out.present[r.pulp_type] ?? 0) + r.added - r.removed;
    if (present > 0) out.present[r.pulp_type] = present;
    else delete out.present[r.pulp_type];
  }
  const sorted = (m: Record<string, number>) =>
    Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
  return { added: sorted(out.added), removed: sorted(out.removed), present: sorted(out.present) };
}

/** The collection href of a content type, e.g. `/pulp/api/v3/content/file/files/`. */
export function contentCollectionHref(apiPrefix: string, pulpType: string): string {
  const t = findResourceType('content', pulpType);
  if (t) return `${apiPrefix}${t.endpoint}/`;
  return `${apiPrefix}content/`;
}

/** Renders stored counts as Pulp's `content_summary` for the version at `versionHref`. */
export function renderContentSummary(apiPrefix: string, versionHref: string, counts: SummaryCounts): ContentSummary {
  const part = (m: Record<string, number>, filter: string) =>
    Object.fromEntries(
      Object.entries(m).map(([t, count]) => [
        t,
        { count, href: `${contentCollectionHref(apiPrefix, t)}?${filter}=${versionHref}` },
      ]),
    );
  return {
    added: part(counts.added, 'repository_version_added'),
    removed: part(counts.removed, 'repository_version_removed'),
    present: part(counts.present, 'repository_version'),
  };
}

/** `content_summary` of one version, counted now (use the stored counts when serializing). */
export async function contentSummary(
  db: Db,
  repositoryId: string,
  number: number,
  options: { apiPrefix?: string } = {},
): Promise<ContentSummary> {
  const prefix = options.apiPrefix ?? '/pulp/api/v3/';
  const repo = await db
    .selectFrom('repository')
    .select('pulp_type')
    .where('pulp_id', '=', repositoryId)
    .executeTakeFirstOrThrow();
  const href = `${typedHref(repo.pulp_type, 'repository', repositoryId, prefix)}versions/${number}/`;
  return renderContentSummary(prefix, href, await computeSummaryCounts(db, repositoryId, number));
}

/** The columns `serializeRepositoryVersion` needs; select them with `selectRepositoryVersions`. */
export interface RepositoryVersionRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  number: number;
  repository_id: string;
  repository_type: string;
  base_number: number | null;
  /** The base version's repository: another one when modify was given another repository's version. */
  base_repository_id?: string | null;
  base_repository_type?: string | null;
  info: Record<string, unknown>;
}

/**
 * Complete, visible versions with everything their serializer needs, in one query (aliases: `v` for the
 * version, `r` for the repository). Hidden repositories' versions are left out, as in Pulp.
 */
export function selectRepositoryVersions(db: Db) {
  return db
    .selectFrom('repository_version as v')
    .innerJoin('repository as r', 'r.pulp_id', 'v.repository_id')
    .leftJoin('repository_version as bv', 'bv.pulp_id', 'v.base_version_id')
    .leftJoin('repository as br', 'br.pulp_id', 'bv.repository_id')
    .select([
      'v.pulp_id',
      'v.pulp_created',
      'v.pulp_last_updated',
      'v.number',
      'v.repository_id',
      'r.pulp_type as repository_type',
      'bv.number as base_number',
      'bv.repository_id as base_repository_id',
      'br.pulp_type as base_repository_type',
      'v.info',
    ])
    .where('v.complete', '=', true)
    .where('r.user_hidden', '=', false);
}

function baseRepositoryHref(apiPrefix: string, row: RepositoryVersionRow, repoHref: string): string {
  if (!row.base_repository_id || !row.base_repository_type || row.base_repository_id === row.repository_id)
    return repoHref;
  return typedHref(row.base_repository_type, 'repository', row.base_repository_id, apiPrefix);
}

/** A repository version as Pulp renders it. Needs no query: counts come from the row's `info`. */
export function serializeRepositoryVersion(apiPrefix: string, row: RepositoryVersionRow): Record<string, unknown> {
  const repoHref = typedHref(row.repository_type, 'repository', row.repository_id, apiPrefix);
  const href = `${repoHref}versions/${row.number}/`;
  const counts = (row.info as { content_summary?: SummaryCounts }).content_summary ?? {
    added: {},
    removed: {},
    present: {},
  };
  const prnValue = `prn:core.repositoryversion:${row.pulp_id}`;
  return {
    pulp_href: href,
    prn: prnValue,
    pulp_created: formatTimestamp(row.pulp_created),
    pulp_last_updated: formatTimestamp(row.pulp_last_updated),
    number: row.number,
    repository: repoHref,
    base_version:
      row.base_number === null ? null : `${baseRepositoryHref(apiPrefix, row, repoHref)}versions/${row.base_number}/`,
    content_summary: renderContentSummary(apiPrefix, href, counts),
    vuln_report: `${apiPrefix}vuln_report/?repo_versions=${prnValue}`,
  };
}
