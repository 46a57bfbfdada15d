import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';

import { ValidationError } from '../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../core/ids.js';
import type { DB } from '../db/tables.js';
import type { Filter } from './filters.js';
import { inVersionCondition, latestVersionNumber } from './repository-versions.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface VersionReference {
  repositoryId: string;
  number: number;
  versionId: string;
}

const invalid = (field: string): never => {
  throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
};

/**
 * Resolves what Pulp accepts where a repository version is expected: a version href or PRN, or a repository
 * href or PRN meaning its latest version. A field error on `field` when nothing matches.
 */
export async function resolveVersionReference(db: Db, field: string, value: string): Promise<VersionReference> {
  const prn = parsePrn(value.trim());
  let repositoryId: string | null = null;
  let number: number | null = null;
  if (prn) {
    if (!isUuid(prn.pk)) invalid(field);
    if (prn.model === 'core.repositoryversion') {
      const v = await db
        .selectFrom('repository_version')
        .select(['repository_id', 'number', 'pulp_id'])
        .where('pulp_id', '=', prn.pk)
        .where('complete', '=', true)
        .executeTakeFirst();
      if (!v) return invalid(field);
      return { repositoryId: v.repository_id, number: v.number, versionId: v.pulp_id };
    }
    repositoryId = prn.pk;
  } else {
    const path = hrefPath(value) ?? '';
    const m = /\/repositories\/(?:[a-z0-9_-]+\/)+?([0-9a-f-]{36})\/(?:versions\/(\d+)\/)?$/i.exec(path);
    if (!m || !isUuid(m[1] ?? '')) return invalid(field);
    repositoryId = m[1] as string;
    number = m[2] === undefined ? null : Number(m[2]);
  }
  if (number === null) number = await latestVersionNumber(db, repositoryId);
  if (number === null) return invalid(field);
  const v = await db
    .selectFrom('repository_version')
    .select('pulp_id')
    .where('repository_id', '=', repositoryId)
    .where('number', '=', number)
    .where('complete', '=', true)
    .executeTakeFirst();
  if (!v) return invalid(field);
  return { repositoryId, number, versionId: v.pulp_id };
}

/**
 * The content filters `repository_version`, `repository_version_added` and `repository_version_removed`
 * for a query whose content id column is `contentIdColumn` (each one semi-join on the range index).
 */
export function contentVersionFilters(db: Db, contentIdColumn: string): Filter[] {
  const col = () => sql.ref(contentIdColumn);
  const make = (name: string, cond: (ref: VersionReference) => RawBuilder<boolean>): Filter => ({
    name,
    type: 'string',
    apply: async (values) => cond(await resolveVersionReference(db, name, values[values.length - 1] ?? '')),
  });
  return [
    make(
      'repository_version',
      (r) => sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcf WHERE rcf.repository_id = ${r.repositoryId}
      AND rcf.content_id = ${col()} AND ${inVersionCondition('rcf', r.number)})`,
    ),
    make(
      'repository_version_added',
      (r) => sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcf WHERE rcf.repository_id = ${r.repositoryId}
      AND rcf.content_id = ${col()} AND rcf.version_added = ${r.number})`,
    ),
    make(
      'repository_version_removed',
      (r) => sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcf WHERE rcf.repository_id = ${r.repositoryId}
      AND rcf.content_id = ${col()} AND rcf.version_removed = ${r.number})`,
    ),
  ];
}

/** Minutes of `orphaned_for` (`-1` = ORPHAN_PROTECTION_TIME); a field error for anything else than an integer. */
export function orphanMinutes(field: string, value: string, protectionTime: number): number {
  if (!/^-?\d+(\.\d+)?$/.test(value.trim())) throw new ValidationError({ [field]: ['Enter a number.'] });
  const n = Number(value);
  return n === -1 ? protectionTime : n;
}

/** `orphaned_for` on content (`content` alias column): in no repository version, older than the minutes. */
export function contentOrphanedForFilter(contentAlias: string, protectionTime: number): Filter {
  return {
    name: 'orphaned_for',
    type: 'number',
    apply: (values) => {
      const minutes = orphanMinutes('orphaned_for', values[values.length - 1] ?? '', protectionTime);
      return sql<boolean>`(NOT EXISTS (SELECT 1 FROM repository_content rco WHERE rco.content_id = ${sql.ref(`${contentAlias}.pulp_id`)})
        AND ${sql.ref(`${contentAlias}.timestamp_of_interest`)} < clock_timestamp() - make_interval(mins => ${minutes}::int))`;
    },
  };
}
