import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';

import { ValidationError } from '../core/errors.js';
import type { Filter, FilterSet } from './filters.js';
import { STREAMED_PAGE_THRESHOLD, streamPage } from './page-stream.js';
import type { Reply, RequestContext } from './operations.js';

/** Query parameters every list accepts besides its filters. */
export const RESERVED_LIST_PARAMS = new Set([
  'limit',
  'offset',
  'ordering',
  'fields',
  'exclude_fields',
  'minimal',
  'format',
  'page_size',
  'q',
]);
const DEFAULT_PAGE_SIZE = 100;

/**
 * Optional queryset scoping installed by the RBAC layer (extension `queryScope`): a condition limiting a list
 * to the objects the user may see, or null for no limit.
 */
export type QueryScope = (ctx: RequestContext, tableAlias: string) => Promise<RawBuilder<boolean> | null>;

/** Optional parser for Pulp's `q` expressions, installed by the API layer. */
export type QExpressionCompiler = (expression: string, filters: Filter[]) => Promise<RawBuilder<boolean>>;

function splitValues(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Applies `fields` and `exclude_fields` to one object (top-level keys; unknown names are ignored). */
export function selectFields<T extends Record<string, unknown>>(obj: T, query: Record<string, string[]>): Partial<T> {
  const fields = splitValues(query.fields);
  const exclude = splitValues(query.exclude_fields);
  if (fields.length === 0 && exclude.length === 0) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (fields.length > 0 && !fields.includes(k)) continue;
    if (exclude.includes(k)) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

/** Largest offset or limit: what a JSON number holds exactly (PostgreSQL's bigint would take more). */
const MAX_PAGING_VALUE = Number.MAX_SAFE_INTEGER;

/**
 * `limit` and `offset` as DRF's LimitOffsetPagination reads them: a value that is not a positive integer
 * falls back to the default, and `MAX_PAGE_SIZE` (DRF's max_limit) silently caps the limit. A number too large
 * for the database is a field error instead of a 500.
 */
function parsePaging(ctx: RequestContext): { limit: number; offset: number } {
  const query = ctx.query;
  const last = (k: string) => query[k]?.[query[k].length - 1];
  const l = Number(last('limit'));
  const o = Number(last('offset'));
  const errors: Record<string, string[]> = {};
  for (const [name, n] of [
    ['limit', l],
    ['offset', o],
  ] as const) {
    if (Number.isFinite(n) && n > MAX_PAGING_VALUE)
      errors[name] = [`Ensure this value is less than or equal to ${MAX_PAGING_VALUE}.`];
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  const max = ctx.services.settings.MAX_PAGE_SIZE;
  const limit = Number.isInteger(l) && l > 0 ? l : DEFAULT_PAGE_SIZE;
  return {
    limit: max !== null && limit > max ? max : limit,
    offset: Number.isInteger(o) && o > 0 ? o : 0,
  };
}

/** Rejects parameters that are neither filters nor reserved, with Pulp's exact body. */
export function checkUnknownParams(query: Record<string, string[]>, filters: Filter[], extra: string[] = []): void {
  const known = new Set([...filters.map((f) => f.name), ...extra]);
  const unknown = Object.keys(query).filter((k) => !RESERVED_LIST_PARAMS.has(k) && !known.has(k));
  if (unknown.length > 0) {
    throw new ValidationError({ errors: unknown.map((k) => `Invalid Filter: '${k}'`) });
  }
}

/** Conditions for every filter present in the query (plus `q`, when a compiler is installed). */
export async function filterConditions(ctx: RequestContext, filterSet: FilterSet): Promise<RawBuilder<boolean>[]> {
  checkUnknownParams(ctx.query, filterSet.filters);
  const out: RawBuilder<boolean>[] = [];
  const errors: Record<string, string[]> = {};
  for (const filter of filterSet.filters) {
    const values = ctx.query[filter.name];
    if (!values) continue;
    try {
      out.push(await filter.apply(values));
    } catch (err) {
      if (err instanceof ValidationError && !Array.isArray(err.fields)) Object.assign(errors, err.fields);
      else throw err;
    }
  }
  const q = ctx.query.q?.[ctx.query.q.length - 1];
  if (q !== undefined) {
    const compile = ctx.services.extensions.get('q') as QExpressionCompiler | undefined;
    if (!compile) throw new ValidationError({ q: ['Filter expressions are not supported.'] });
    try {
      out.push(await compile(q, filterSet.filters));
    } catch (err) {
      if (err instanceof ValidationError && !Array.isArray(err.fields)) Object.assign(errors, err.fields);
      else throw err;
    }
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return out;
}

function orderBy(ctx: RequestContext, filterSet: FilterSet, tableAlias: string): RawBuilder<unknown> {
  const requested = splitValues(ctx.query.ordering);
  const allowed = new Set([...filterSet.ordering, 'pulp_created', 'pk']);
  const terms = requested.length > 0 ? requested : (filterSet.defaultOrdering ?? ['-pulp_created']);
  const bad = terms.filter((t) => !allowed.has(t.replace(/^-/, '')));
  if (bad.length > 0) {
    throw new ValidationError({
      ordering: bad.map((t) => `Select a valid choice. ${t} is not one of the available choices.`),
    });
  }
  const parts = terms.map((t) => {
    const desc = t.startsWith('-');
    const name = t.replace(/^-/, '');
    const column =
      filterSet.orderingColumns?.[name] ?? (name === 'pk' ? `${tableAlias}.pulp_id` : `${tableAlias}.${name}`);
    return desc ? sql`${sql.ref(column)} DESC` : sql`${sql.ref(column)} ASC`;
  });
  // A stable tiebreaker, as Pulp appends -pulp_created/-pk.
  parts.push(sql`${sql.ref(`${tableAlias}.pulp_id`)} DESC`);
  return sql.join(parts, sql`, `);
}

function pageUrl(url: URL, limit: number, offset: number): string {
  const u = new URL(url.href);
  u.searchParams.set('limit', String(limit));
  if (offset > 0) u.searchParams.set('offset', String(offset));
  else u.searchParams.delete('offset');
  return u.href;
}

export interface ListOptions<Row> {
  filterSet: FilterSet;
  /** Alias of the main table in the query, used for ordering and the tiebreaker. */
  tableAlias: string;
  /** Turns a page of rows into response objects (may batch extra queries for the page). */
  serialize(rows: Row[]): Promise<Record<string, unknown>[]> | Record<string, unknown>[];
  /**
   * The query to count, when it can be narrower than the page query: the same rows, minus joins that only add
   * columns (such as LEFT JOINs to optional details) and that would make PostgreSQL join every row to count it.
   * Filters and the query scope are applied to it as to the page query. Defaults to the page query.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  countQuery?: SelectQueryBuilder<any, any, any>;
  /**
   * The list's exact count when it is known without counting rows (such as a repository version's stored
   * content summary), or null to count in SQL. Called with the names of the filters in the request (`q`
   * included), only when no query scope applies; it runs alongside the page query, in place of the count.
   */
  exactCount?: (applied: string[]) => Promise<number | null>;
}

/**
 * Runs a paginated list: filters, `q`, ordering, limit/offset, field selection and Pulp's envelope
 * (`count`, absolute `next`/`previous`, `results`). Two queries per page: the count and the rows.
 */
export async function listResponse<DB, TB extends keyof DB, Row>(
  ctx: RequestContext,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query: SelectQueryBuilder<DB, TB, any>,
  options: ListOptions<Row>,
): Promise<Reply> {
  const conditions = await filterConditions(ctx, options.filterSet);
  const scope = ctx.services.extensions.get('queryScope') as QueryScope | undefined;
  const scoped = scope ? await scope(ctx, options.tableAlias) : null;
  if (scoped) conditions.push(scoped);
  let q = query;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let counted: SelectQueryBuilder<any, any, any> = options.countQuery ?? query;
  for (const c of conditions) {
    q = q.where(c);
    counted = counted.where(c);
  }
  const { limit, offset } = parsePaging(ctx);
  const ordered = q
    .orderBy(orderBy(ctx, options.filterSet, options.tableAlias))
    .limit(limit)
    .offset(offset);
  const countQuery = counted.clearSelect().select(sql<number>`count(*)::int`.as('count'));
  const countRows = async () =>
    Number(((await countQuery.executeTakeFirst()) as { count?: number } | undefined)?.count ?? 0);
  const applied = options.filterSet.filters.filter((f) => ctx.query[f.name] !== undefined).map((f) => f.name);
  if (ctx.query.q !== undefined) applied.push('q');
  const known = !scoped && options.exactCount ? options.exactCount(applied) : null;
  const counting = known ? known.then((n) => n ?? countRows()) : countRows();
  const envelope = (count: number) => ({
    count,
    next: offset + limit < count ? pageUrl(ctx.url, limit, offset + limit) : null,
    previous: offset > 0 ? pageUrl(ctx.url, limit, Math.max(0, offset - limit)) : null,
  });
  if (limit > STREAMED_PAGE_THRESHOLD) {
    const count = await counting;
    const body = await streamPage(ctx.services.db, ordered, envelope(count), async (rows) =>
      (await options.serialize(rows as Row[])).map((r) => selectFields(r, ctx.query)),
    );
    return { status: 200, body, headers: { 'content-type': 'application/json' } };
  }
  const [count, rows] = await Promise.all([counting, ordered.execute()]);
  const results = (await options.serialize(rows as Row[])).map((r) => selectFields(r, ctx.query));
  return { status: 200, body: { ...envelope(count), results } };
}

/** A paginated envelope over an in-memory list (for small, computed collections). */
export function listArray(ctx: RequestContext, items: Record<string, unknown>[]): Reply {
  const { limit, offset } = parsePaging(ctx);
  const count = items.length;
  return {
    status: 200,
    body: {
      count,
      next: offset + limit < count ? pageUrl(ctx.url, limit, offset + limit) : null,
      previous: offset > 0 ? pageUrl(ctx.url, limit, Math.max(0, offset - limit)) : null,
      results: items.slice(offset, offset + limit).map((r) => selectFields(r, ctx.query)),
    },
  };
}
