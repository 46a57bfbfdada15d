import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';

import { NotFoundError, ValidationError } from '../core/errors.js';
import type { DB } from '../db/tables.js';
import { computeSummaryCounts, nextSummaryCounts, type SummaryCounts } from './repository-version-summary.js';
import { findResourceType, typedHref } from './resource-types.js';

/*
 * A repository's content is stored as ranges: a `repository_content` row says the unit is in every version
 * n with version_added <= n < version_removed (NULL = still present). Creating a version touches only the
 * rows that change, so a one-unit change of a 100,000-unit repository writes one row, and reading a
 * version is one indexed range query (see repository_content_range in 0001_core.ts).
 */

type Db = Kysely<DB> | Transaction<DB>;

/** A created repository version. `href` needs the API prefix, so it is built with `versionHref`. */
export interface RepositoryVersionRef {
  pulp_id: string;
  number: number;
  href: string;
}

export interface VersionChanges {
  /** Content ids to add (after removals). */
  add?: string[];
  /** Content ids to remove. */
  remove?: string[];
  /** Start from an empty version instead of the base version's content (Pulp's `["*"]`). */
  removeAll?: boolean;
  /** Start from this version's content instead of the latest one's. */
  baseVersion?: number;
  /** Start from this version (by id) of any repository: Pulp's modify accepts another repository's version. */
  baseVersionId?: string;
}

export interface CreateVersionOptions {
  /**
   * Runs inside the transaction after the changes are written and before the version is checked for
   * emptiness and completed: plugins enforce their uniqueness rules here (e.g. the file plugin drops the
   * older unit at a relative path that a newly added unit also uses, by setting its version_removed).
   */
  finalize?: (trx: Transaction<DB>, repositoryId: string, number: number) => Promise<void>;
  /** Passed to the repository type's `finalizeVersion` when no `finalize` is given (modify's `overwrite`). */
  overwrite?: boolean;
  /** Content types the repository accepts; adding another type fails. */
  contentTypes?: string[];
  /** API prefix for the returned href; default `/pulp/api/v3/`. */
  apiPrefix?: string;
}

/** `<repository href>versions/<number>/` */
export function versionHref(apiPrefix: string, repositoryType: string, repositoryId: string, number: number): string {
  return `${typedHref(repositoryType, 'repository', repositoryId, apiPrefix)}versions/${number}/`;
}

/** SQL condition: the `repository_content` row aliased `alias` belongs to version `number` (a value or a column). */
export function inVersionCondition(alias: string, number: number | RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${alias}.version_added`)} <= ${number} AND (${sql.ref(`${alias}.version_removed`)} IS NULL OR ${sql.ref(`${alias}.version_removed`)} > ${number}))`;
}

/**
 * The content ids of a version, as a subquery usable in filters:
 * `.where('content.pulp_id', 'in', versionContentIds(db, repoId, 3))`.
 */
export function versionContentIds(db: Db, repositoryId: string, number: number) {
  return db
    .selectFrom('repository_content as rc')
    .select('rc.content_id')
    .where('rc.repository_id', '=', repositoryId)
    .where(inVersionCondition('rc', number));
}

/** SQL condition for a content id column: the unit is in the version (an EXISTS semi-join). */
export function contentInVersion(contentIdColumn: string, repositoryId: string, number: number): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcv WHERE rcv.repository_id = ${repositoryId}
    AND rcv.content_id = ${sql.ref(contentIdColumn)} AND ${inVersionCondition('rcv', number)})`;
}

/** The highest complete version number, or null when the repository has none. */
export async function latestVersionNumber(db: Db, repositoryId: string): Promise<number | null> {
  const row = await db
    .selectFrom('repository_version')
    .select((eb) => eb.fn.max('number').as('n'))
    .where('repository_id', '=', repositoryId)
    .where('complete', '=', true)
    .executeTakeFirst();
  return row?.n === null || row?.n === undefined ? null : Number(row.n);
}

/** Creates version 0 (empty, complete) of a new repository, in the caller's transaction. */
export async function createInitialVersion(trx: Db, repositoryId: string): Promise<string> {
  const row = await trx
    .insertInto('repository_version')
    .values({
      repository_id: repositoryId,
      number: 0,
      complete: true,
      info: { content_summary: { added: {}, removed: {}, present: {} } },
    })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  await trx.updateTable('repository').set({ next_version: 1 }).where('pulp_id', '=', repositoryId).execute();
  return row.pulp_id;
}

/** Thrown inside the transaction to roll back a version that changed nothing. */
class NoChange extends Error {}

/**
 * Creates the next version of a repository in one transaction: locks the repository row (so versions of one
 * repository are created one at a time), writes the changes as ranges, runs `finalize`, and completes the
 * version (`finalize` defaults to the repository type's `finalizeVersion`, `contentTypes` to its
 * `contentTypes`). Returns null and leaves nothing behind when the content did not change (Pulp discards empty
 * versions). Then applies `retain_repo_versions` in the same transaction.
 * Adding a unit that is already present, or removing one that is absent, is not a change.
 */
export async function createRepositoryVersion(
  db: Kysely<DB>,
  repositoryId: string,
  changes: VersionChanges,
  options: CreateVersionOptions = {},
): Promise<RepositoryVersionRef | null> {
  const add = [...new Set(changes.add ?? [])];
  const remove = [...new Set(changes.remove ?? [])];
  try {
    return await db.transaction().execute(async (trx) => {
      const repo = await sql<{ pulp_type: string; next_version: number; retain_repo_versions: number | null }>`
        SELECT pulp_type, next_version, retain_repo_versions FROM repository WHERE pulp_id = ${repositoryId} FOR UPDATE`.execute(
        trx,
      );
      const r = repo.rows[0];
      if (!r) throw new NotFoundError('No Repository matches the given query.');
      const latest = await latestVersionNumber(trx, repositoryId);
      let base = changes.baseVersion ?? latest;
      let baseRepositoryId = repositoryId;
      let baseId: string | null = null;
      if (changes.baseVersionId !== undefined) {
        const b = await trx
          .selectFrom('repository_version')
          .select(['pulp_id', 'repository_id', 'number'])
          .where('pulp_id', '=', changes.baseVersionId)
          .where('complete', '=', true)
          .executeTakeFirst();
        if (!b) throw new ValidationError({ base_version: ['Invalid hyperlink - Object does not exist.'] });
        baseId = b.pulp_id;
        baseRepositoryId = b.repository_id;
        base = b.number;
      } else if (changes.baseVersion !== undefined) {
        const b = await trx
          .selectFrom('repository_version')
          .select('pulp_id')
          .where('repository_id', '=', repositoryId)
          .where('number', '=', changes.baseVersion)
          .where('complete', '=', true)
          .executeTakeFirst();
        if (!b) throw new ValidationError({ base_version: ['Invalid hyperlink - Object does not exist.'] });
        baseId = b.pulp_id;
      }
      const type = findResourceType('repository', r.pulp_type);
      const contentTypes = options.contentTypes ?? type?.contentTypes;
      if (contentTypes && add.length > 0) await checkContentTypes(trx, add, contentTypes);
      const n = r.next_version;
      const version = await trx
        .insertInto('repository_version')
        .values({ repository_id: repositoryId, number: n, base_version_id: baseId, info: {} })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();

      if (base === latest && baseRepositoryId === repositoryId && !changes.removeAll)
        await applyToLatest(trx, repositoryId, n, add, remove);
      else
        await applyFromBase(trx, { repositoryId, baseRepositoryId }, n, base, changes.removeAll === true, add, remove);

      if (options.finalize) await options.finalize(trx, repositoryId, n);
      else if (type?.finalizeVersion)
        await type.finalizeVersion(trx, repositoryId, n, { overwrite: options.overwrite !== false });
      // A unit added and dropped again in the same version (e.g. by finalize) was never in it.
      await sql`DELETE FROM repository_content WHERE repository_id = ${repositoryId} AND version_added = ${n} AND version_removed = ${n}`.execute(
        trx,
      );
      const changed = await sql<{
        changed: boolean;
      }>`SELECT EXISTS (SELECT 1 FROM repository_content WHERE repository_id = ${repositoryId}
        AND (version_added = ${n} OR version_removed = ${n})) AS changed`.execute(trx);
      if (!changed.rows[0]?.changed) throw new NoChange();

      const summary = await summaryFor(trx, repositoryId, n, latest);
      await trx
        .updateTable('repository_version')
        .set({ complete: true, info: JSON.stringify({ content_summary: summary }) })
        .where('pulp_id', '=', version.pulp_id)
        .execute();
      await trx
        .updateTable('repository')
        .set({ next_version: n + 1 })
        .where('pulp_id', '=', repositoryId)
        .execute();
      if (r.retain_repo_versions) await applyRetention(trx, repositoryId, r.retain_repo_versions);
      return {
        pulp_id: version.pulp_id,
        number: n,
        href: versionHref(options.apiPrefix ?? '/pulp/api/v3/', r.pulp_type, repositoryId, n),
      };
    });
  } catch (err) {
    if (err instanceof NoChange) return null;
    throw err;
  }
}

/** Counts of the new version n, derived from the latest version's stored counts when it has them. */
async function summaryFor(
  trx: Transaction<DB>,
  repositoryId: string,
  n: number,
  latest: number | null,
): Promise<SummaryCounts> {
  if (latest === null) return computeSummaryCounts(trx, repositoryId, n);
  const prev = await trx
    .selectFrom('repository_version')
    .select('info')
    .where('repository_id', '=', repositoryId)
    .where('number', '=', latest)
    .executeTakeFirst();
  const counts = (prev?.info as { content_summary?: SummaryCounts } | undefined)?.content_summary;
  return counts?.present ? nextSummaryCounts(trx, repositoryId, n, counts) : computeSummaryCounts(trx, repositoryId, n);
}

async function checkContentTypes(trx: Transaction<DB>, add: string[], allowed: string[]): Promise<void> {
  const bad = await trx
    .selectFrom('content')
    .select(['pulp_type'])
    .distinct()
    .where(sql<boolean>`pulp_id = ANY(${add}::uuid[])`)
    .where('pulp_type', 'not in', allowed)
    .execute();
  if (bad.length > 0) {
    throw new ValidationError([
      `Content of type ${bad.map((b) => b.pulp_type).join(', ')} cannot be added to this repository (supported: ${allowed.join(', ')}).`,
    ]);
  }
}

/** The common case: the new version starts from the latest one, so only the listed units are touched. */
async function applyToLatest(
  trx: Transaction<DB>,
  repositoryId: string,
  n: number,
  add: string[],
  remove: string[],
): Promise<void> {
  if (remove.length > 0) {
    await sql`UPDATE repository_content SET version_removed = ${n}, pulp_last_updated = clock_timestamp()
      WHERE repository_id = ${repositoryId} AND version_removed IS NULL
        AND content_id = ANY(${remove}::uuid[]) AND NOT (content_id = ANY(${add}::uuid[]))`.execute(trx);
  }
  if (add.length > 0) {
    await sql`INSERT INTO repository_content (repository_id, content_id, version_added)
      SELECT ${repositoryId}, a.id, ${n} FROM unnest(${add}::uuid[]) AS a(id)
      WHERE NOT EXISTS (SELECT 1 FROM repository_content rc WHERE rc.repository_id = ${repositoryId}
        AND rc.content_id = a.id AND rc.version_removed IS NULL)`.execute(trx);
  }
}

/**
 * Starting from another version (or from nothing): the target set is (base - remove) + add; every present
 * unit outside it ends at n and every unit of it not present starts at n. The main statement reads the
 * snapshot from before the CTE's update (which PostgreSQL always runs to completion), so "present" means
 * present in the latest version.
 */
async function applyFromBase(
  trx: Transaction<DB>,
  repos: { repositoryId: string; baseRepositoryId: string },
  n: number,
  base: number | null,
  removeAll: boolean,
  add: string[],
  remove: string[],
): Promise<void> {
  const { repositoryId, baseRepositoryId } = repos;
  const baseSet =
    removeAll || base === null
      ? sql`SELECT NULL::uuid AS content_id WHERE false`
      : sql`SELECT rc.content_id FROM repository_content rc WHERE rc.repository_id = ${baseRepositoryId} AND ${inVersionCondition('rc', base)}
          AND NOT (rc.content_id = ANY(${remove}::uuid[]))`;
  await sql`WITH target AS (${baseSet} UNION SELECT unnest(${add}::uuid[])),
    ended AS (UPDATE repository_content rc SET version_removed = ${n}, pulp_last_updated = clock_timestamp()
      WHERE rc.repository_id = ${repositoryId} AND rc.version_removed IS NULL
        AND NOT EXISTS (SELECT 1 FROM target t WHERE t.content_id = rc.content_id) RETURNING 1)
    INSERT INTO repository_content (repository_id, content_id, version_added)
    SELECT ${repositoryId}, t.content_id, ${n} FROM target t
    WHERE NOT EXISTS (SELECT 1 FROM repository_content rc WHERE rc.repository_id = ${repositoryId}
      AND rc.content_id = t.content_id AND rc.version_removed IS NULL)`.execute(trx);
}

/** Whether a distribution serves the version directly or through one of its publications. */
export async function isVersionProtected(db: Db, versionId: string): Promise<boolean> {
  const r = await sql<{
    p: boolean;
  }>`SELECT EXISTS (SELECT 1 FROM distribution d WHERE d.repository_version_id = ${versionId}
      OR d.publication_id IN (SELECT p.pulp_id FROM publication p WHERE p.repository_version_id = ${versionId})) AS p`.execute(
    db,
  );
  return r.rows[0]?.p === true;
}

/** Deletes the versions beyond the newest `keep`, oldest first, skipping versions a distribution serves. */
async function applyRetention(trx: Transaction<DB>, repositoryId: string, keep: number): Promise<void> {
  const old = await trx
    .selectFrom('repository_version')
    .select(['pulp_id', 'number'])
    .where('repository_id', '=', repositoryId)
    .where('complete', '=', true)
    .orderBy('number', 'desc')
    .offset(keep)
    .limit(1_000_000)
    .execute();
  for (const v of old.reverse()) {
    if (await isVersionProtected(trx, v.pulp_id)) continue;
    await squashAndDeleteVersion(trx, repositoryId, v.number);
  }
}

/**
 * Deletes a version of a locked repository in the caller's transaction. Its changes move into the next
 * version (so that version's added/removed stay relative to the version before it), content present only
 * in it loses its row, and its publications go with it. The only version of a repository cannot go.
 */
export async function squashAndDeleteVersion(
  trx: Transaction<DB>,
  repositoryId: string,
  number: number,
): Promise<void> {
  const versions = await trx
    .selectFrom('repository_version')
    .select(['pulp_id', 'number'])
    .where('repository_id', '=', repositoryId)
    .where('complete', '=', true)
    .orderBy('number')
    .execute();
  const idx = versions.findIndex((v) => v.number === number);
  const target = versions[idx];
  if (!target) throw new NotFoundError('No RepositoryVersion matches the given query.');
  if (versions.length === 1)
    throw new ValidationError([
      'Cannot delete repository version. Repositories must have at least one repository version.',
    ]);
  const next = versions[idx + 1];
  const k = number;
  if (!next) {
    await sql`DELETE FROM repository_content WHERE repository_id = ${repositoryId} AND version_added = ${k}`.execute(
      trx,
    );
    await sql`UPDATE repository_content SET version_removed = NULL WHERE repository_id = ${repositoryId} AND version_removed = ${k}`.execute(
      trx,
    );
  } else {
    const m = next.number;
    await sql`DELETE FROM repository_content WHERE repository_id = ${repositoryId} AND version_added = ${k} AND version_removed = ${m}`.execute(
      trx,
    );
    await sql`UPDATE repository_content SET version_added = ${m} WHERE repository_id = ${repositoryId} AND version_added = ${k}`.execute(
      trx,
    );
    await sql`UPDATE repository_content SET version_removed = ${m} WHERE repository_id = ${repositoryId} AND version_removed = ${k}`.execute(
      trx,
    );
    // A unit removed by k and added again by m is simply present across both: join its two ranges.
    const pairs = await sql<{ keep: string; drop: string; vr: number | null }>`
      SELECT a.pulp_id AS keep, b.pulp_id AS drop, b.version_removed AS vr FROM repository_content a
      JOIN repository_content b ON b.repository_id = a.repository_id AND b.content_id = a.content_id AND b.version_added = ${m}
      WHERE a.repository_id = ${repositoryId} AND a.version_removed = ${m}`.execute(trx);
    for (const p of pairs.rows) {
      await trx.deleteFrom('repository_content').where('pulp_id', '=', p.drop).execute();
      await trx
        .updateTable('repository_content')
        .set({ version_removed: p.vr })
        .where('pulp_id', '=', p.keep)
        .execute();
    }
    const summary = await computeSummaryCounts(trx, repositoryId, m);
    await sql`UPDATE repository_version SET info = jsonb_set(info, '{content_summary}', ${JSON.stringify(summary)}::jsonb) WHERE pulp_id = ${next.pulp_id}`.execute(
      trx,
    );
  }
  await trx.deleteFrom('repository_version').where('pulp_id', '=', target.pulp_id).execute();
}

/**
 * Deletes one version (task `delete_version`): locks the repository, refuses a version a distribution
 * serves (400), then squashes it into the next one.
 */
export async function deleteRepositoryVersion(db: Kysely<DB>, repositoryId: string, number: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT 1 FROM repository WHERE pulp_id = ${repositoryId} FOR UPDATE`.execute(trx);
    const v = await trx
      .selectFrom('repository_version')
      .select('pulp_id')
      .where('repository_id', '=', repositoryId)
      .where('number', '=', number)
      .where('complete', '=', true)
      .executeTakeFirst();
    if (!v) throw new NotFoundError('No RepositoryVersion matches the given query.');
    if (await isVersionProtected(trx, v.pulp_id)) {
      throw new ValidationError([
        'The repository version cannot be deleted because it (or its publications) are currently being used to distribute content. Please update the necessary distributions first.',
      ]);
    }
    await squashAndDeleteVersion(trx, repositoryId, number);
  });
}
