import { sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import { hrefPath, isUuid, parsePrn, pdrn } from '../../core/ids.js';
import { relativePathProblem } from '../../core/safe-path.js';
import { type Filter, type FilterSet, identityFilters, labelSelectFilter, nameFilters } from '../filters.js';
import type { RequestContext } from '../operations.js';

/** Task reservations every distribution change takes (Pulp's). */
export const BASE_PATH_LOCK = pdrn('distribution.base_path');
export const DISTRIBUTIONS_LOCK = pdrn('distributions');

/** A `base_path` problem in Pulp's words, or null. Overlaps are checked again by the database (migration 0300). */
export async function basePathProblem(
  ctx: RequestContext,
  basePath: string,
  exceptId: string | null,
): Promise<Record<string, unknown> | null> {
  const problem = relativePathProblem(basePath);
  if (problem) return { base_path: [`The path ${JSON.stringify(basePath)} is not in canonical form: ${problem}`] };
  const clash = await sql<{ name: string; base_path: string }>`SELECT name, base_path FROM distribution
    WHERE pulp_id IS DISTINCT FROM ${exceptId}::uuid
      AND (base_path = ${basePath} OR starts_with(base_path, ${`${basePath}/`}) OR starts_with(${basePath}, base_path || '/')) LIMIT 1`.execute(
    ctx.services.db,
  );
  const c = clash.rows[0];
  if (c?.base_path === basePath) return { base_path: ['This field must be unique.'] };
  if (c) return { base_path: { base_path: `Overlaps with existing distribution '${c.name}'` } };
  return null;
}

export async function resolveGuard(ctx: RequestContext, value: unknown): Promise<string> {
  const v = String(value);
  const id =
    parsePrn(v)?.pk ??
    /\/contentguards\/[a-z0-9_]+\/[a-z0-9_-]+\/([0-9a-f-]{36})\/$/.exec(hrefPath(v) ?? '')?.[1] ??
    '';
  if (!isUuid(id)) throw new ValidationError({ content_guard: ['Invalid hyperlink - Object does not exist.'] });
  const g = await ctx.services.db
    .selectFrom('content_guard')
    .select('pulp_id')
    .where('pulp_id', '=', id)
    .executeTakeFirst();
  if (!g) throw new ValidationError({ content_guard: ['Invalid hyperlink - Object does not exist.'] });
  return id;
}

/** Pulp's filters of every distribution list, plus the type's own. */
export function distributionFilterSet(extra: Filter[]): FilterSet {
  const repoFilter = (name: string): Filter => ({
    name,
    type: name.endsWith('__in') ? 'string-list' : 'string',
    apply: (v) => {
      const ids = v
        .flatMap((x) => x.split(','))
        .map((x) => parsePrn(x)?.pk ?? /([0-9a-f-]{36})\/?$/.exec(x)?.[1] ?? '')
        .filter(isUuid);
      return ids.length === 0 ? sql<boolean>`false` : sql<boolean>`d.repository_id = ANY(${ids}::uuid[])`;
    },
  });
  return {
    filters: [
      ...nameFilters('name', 'd.name'),
      ...nameFilters('base_path', 'd.base_path').filter((f) =>
        ['base_path', 'base_path__contains', 'base_path__icontains', 'base_path__in'].includes(f.name),
      ),
      repoFilter('repository'),
      repoFilter('repository__in'),
      labelSelectFilter('d.pulp_labels'),
      ...identityFilters('d.pulp_id'),
      ...extra,
    ],
    ordering: ['name', 'base_path', 'pulp_last_updated'],
    orderingColumns: {
      name: 'd.name',
      base_path: 'd.base_path',
      pulp_created: 'd.pulp_created',
      pulp_last_updated: 'd.pulp_last_updated',
    },
  };
}
