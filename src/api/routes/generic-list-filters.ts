import { type RawBuilder, sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../../core/ids.js';
import type { Filter } from '../../plugin-api/filters.js';
import { inVersionCondition } from '../../plugin-api/repository-versions.js';
import { type ResourceKind, resourceTypeByEndpoint, resourceTypesOf } from '../../plugin-api/resource-types.js';

function splitCsv(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** `pulp_type` and `pulp_type__in`, with the registered types of the kind as choices. */
export function pulpTypeFilters(kind: ResourceKind, column: string): Filter[] {
  const choices = () => resourceTypesOf(kind).map((t) => t.pulpType);
  const check = (name: string, v: string) => {
    if (!choices().includes(v))
      throw new ValidationError({ [name]: [`Select a valid choice. ${v} is not one of the available choices.`] });
    return v;
  };
  return [
    {
      name: 'pulp_type',
      type: 'string',
      enum: choices(),
      apply: (v) => sql<boolean>`${sql.ref(column)} = ${check('pulp_type', v[v.length - 1] ?? '')}`,
    },
    {
      name: 'pulp_type__in',
      type: 'string-list',
      enum: choices(),
      apply: (v) => {
        const list = splitCsv(v).map((x) => check('pulp_type__in', x));
        return list.length === 0 ? sql<boolean>`false` : sql<boolean>`${sql.ref(column)} = ANY(${list})`;
      },
    },
  ];
}

/**
 * A foreign-key filter (spec 3.4): an href or PRN of the related object, `null` or an empty string for
 * "unset", or the collection href of a type (`/pulp/api/v3/remotes/file/file/`) for "related object of that
 * type".
 */
export function relationCondition(name: string, value: string, column: string, table: string): RawBuilder<boolean> {
  const v = value.trim();
  if (v === '' || v === 'null') return sql<boolean>`${sql.ref(column)} IS NULL`;
  const prn = parsePrn(v);
  if (prn) return isUuid(prn.pk) ? sql<boolean>`${sql.ref(column)} = ${prn.pk}::uuid` : sql<boolean>`false`;
  const path = hrefPath(v);
  if (!path) throw new ValidationError({ [name]: ['Invalid hyperlink - No URL match.'] });
  const segments = path.split('/').filter(Boolean);
  const last = segments[segments.length - 1] ?? '';
  if (isUuid(last)) return sql<boolean>`${sql.ref(column)} = ${last}::uuid`;
  const endpoint = segments.slice(segments.indexOf('v3') + 1).join('/');
  const type = resourceTypeByEndpoint(endpoint);
  if (!type) throw new ValidationError({ [name]: ['Invalid hyperlink - No URL match.'] });
  return sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table(table)} rel WHERE rel.pulp_id = ${sql.ref(column)} AND rel.pulp_type = ${type.pulpType})`;
}

export function relationFilter(name: string, column: string, table: string): Filter {
  return { name, type: 'string', apply: (v) => relationCondition(name, v[v.length - 1] ?? '', column, table) };
}

export function relationInFilter(name: string, column: string, table: string): Filter {
  return {
    name,
    type: 'string-list',
    apply: (v) => {
      const parts = splitCsv(v).map((x) => relationCondition(name, x, column, table));
      return parts.length === 0 ? sql<boolean>`false` : sql<boolean>`(${sql.join(parts, sql` OR `)})`;
    },
  };
}

/** Content id of a content href or PRN (a field error when it is neither). */
export function contentId(name: string, value: string): string {
  const prn = parsePrn(value.trim());
  const last = prn ? prn.pk : ((hrefPath(value) ?? '').split('/').filter(Boolean).pop() ?? '');
  if (!isUuid(last)) throw new ValidationError({ [name]: ['Invalid hyperlink - Object does not exist.'] });
  return last;
}

/** Repositories (alias `r`) any of whose versions holds the content (`latestOnly`: only the latest version). */
export function repositoryWithContent(name: string, latestOnly: boolean): Filter {
  return {
    name,
    type: 'string',
    apply: (v) => {
      const id = contentId(name, v[v.length - 1] ?? '');
      if (!latestOnly)
        return sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcw WHERE rcw.repository_id = r.pulp_id AND rcw.content_id = ${id}::uuid)`;
      return sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcw WHERE rcw.repository_id = r.pulp_id AND rcw.content_id = ${id}::uuid
        AND rcw.version_removed IS NULL)`;
    },
  };
}

/** Publications (alias `p`, version alias `pv`) whose version holds any of the content. */
export function publicationContentCondition(ids: string[]): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcp WHERE rcp.repository_id = pv.repository_id
    AND rcp.content_id = ANY(${ids}::uuid[]) AND ${inVersionCondition('rcp', sql`pv.number`)})`;
}

/**
 * Distributions (alias `d`) currently serving the content: through a pinned version, a publication, or
 * their repository's latest version (present rows have no version_removed).
 */
export function distributionWithContent(name: string): Filter {
  return {
    name,
    type: 'string',
    apply: (v) => {
      const id = contentId(name, v[v.length - 1] ?? '');
      return sql<boolean>`(
        EXISTS (SELECT 1 FROM repository_content rcd WHERE rcd.repository_id = d.repository_id AND rcd.content_id = ${id}::uuid AND rcd.version_removed IS NULL)
        OR EXISTS (SELECT 1 FROM repository_version dv JOIN repository_content rcd ON rcd.repository_id = dv.repository_id
          WHERE dv.pulp_id = d.repository_version_id AND rcd.content_id = ${id}::uuid AND ${inVersionCondition('rcd', sql`dv.number`)})
        OR EXISTS (SELECT 1 FROM publication dp JOIN repository_version dv ON dv.pulp_id = dp.repository_version_id
          JOIN repository_content rcd ON rcd.repository_id = dv.repository_id
          WHERE dp.pulp_id = d.publication_id AND rcd.content_id = ${id}::uuid AND ${inVersionCondition('rcd', sql`dv.number`)}))`;
    },
  };
}
