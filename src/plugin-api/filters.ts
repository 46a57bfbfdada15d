import { type RawBuilder, sql } from 'kysely';

import { ValidationError } from '../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../core/ids.js';

/** Type of a filter's value, for parsing and for the OpenAPI parameter. */
export type FilterValueType = 'string' | 'integer' | 'number' | 'boolean' | 'date-time' | 'uuid-list' | 'string-list';

export interface Filter {
  name: string;
  type: FilterValueType;
  description?: string;
  /** Allowed values (OpenAPI enum). */
  enum?: string[];
  /**
   * Builds the SQL condition. `values` holds every occurrence of the parameter (repeated or comma separated
   * ones are already split for list types). Throw ValidationError for a bad value.
   */
  apply(values: string[]): RawBuilder<boolean> | Promise<RawBuilder<boolean>>;
}

export interface FilterSet {
  filters: Filter[];
  /** Names accepted by `ordering` (both directions); `pulp_created` is always allowed. */
  ordering: string[];
  /** SQL column for an ordering name when it differs from the name. */
  orderingColumns?: Record<string, string>;
  /** Default order when none is requested; Pulp's default is newest first. */
  defaultOrdering?: string[];
}

/** A column reference such as `t.name`; never interpolate user input here. */
export type Column = string;

function invalid(name: string, message: string): never {
  throw new ValidationError({ [name]: [message] });
}

function single(name: string, values: string[]): string {
  return values[values.length - 1] ?? invalid(name, 'This field is required.');
}

function splitCsv(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function parseBoolean(name: string, value: string): boolean {
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  return invalid(name, 'Enter a valid boolean.');
}

export function parseDateTime(name: string, value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) return invalid(name, 'Enter a valid date/time.');
  // Keep microseconds: the database compares the literal.
  return /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) || value.length <= 10 ? value : `${value}Z`;
}

const MAX_FILTER_INT = Number.MAX_SAFE_INTEGER;

/**
 * An integer filter value. Its SQL is cast to bigint (comparisons with integer columns still use their
 * indexes), and anything beyond what a JSON number holds exactly is a field error rather than a database error.
 */
export function parseInteger(name: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) return invalid(name, 'Enter a number.');
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    return invalid(name, `Ensure this value is between -${MAX_FILTER_INT} and ${MAX_FILTER_INT}.`);
  return n;
}

/** An integer bound as bigint, so that PostgreSQL never infers a narrower type for the parameter. */
const int = (n: number) => sql`${n}::bigint`;

/** The trailing pk of an href or PRN; throws a field error when it is neither. */
export function pkFromReference(name: string, value: string): string {
  const prn = parsePrn(value);
  if (prn) return prn.pk;
  const p = hrefPath(value);
  const last = p?.split('/').filter(Boolean).pop();
  if (!last) return invalid(name, `Invalid href or PRN: ${value}`);
  return last;
}

const ref = (column: Column) => sql.ref(column);

/** `x`, `x__iexact`, `x__in`, `x__contains`, `x__icontains`, `x__startswith`, `x__istartswith`, `x__regex`, `x__iregex`. */
export function nameFilters(name: string, column: Column): Filter[] {
  const c = () => ref(column);
  const like = (v: string) => v.replace(/[\\%_]/g, (m) => `\\${m}`);
  return [
    { name, type: 'string', apply: (v) => sql<boolean>`${c()} = ${single(name, v)}` },
    { name: `${name}__iexact`, type: 'string', apply: (v) => sql<boolean>`lower(${c()}) = lower(${single(name, v)})` },
    { name: `${name}__in`, type: 'string-list', apply: (v) => inList(c(), splitCsv(v)) },
    {
      name: `${name}__contains`,
      type: 'string',
      apply: (v) => sql<boolean>`${c()} LIKE ${`%${like(single(name, v))}%`}`,
    },
    {
      name: `${name}__icontains`,
      type: 'string',
      apply: (v) => sql<boolean>`${c()} ILIKE ${`%${like(single(name, v))}%`}`,
    },
    {
      name: `${name}__startswith`,
      type: 'string',
      apply: (v) => sql<boolean>`${c()} LIKE ${`${like(single(name, v))}%`}`,
    },
    {
      name: `${name}__istartswith`,
      type: 'string',
      apply: (v) => sql<boolean>`${c()} ILIKE ${`${like(single(name, v))}%`}`,
    },
    { name: `${name}__regex`, type: 'string', apply: (v) => sql<boolean>`${c()} ~ ${single(name, v)}` },
    { name: `${name}__iregex`, type: 'string', apply: (v) => sql<boolean>`${c()} ~* ${single(name, v)}` },
  ];
}

function inList(column: RawBuilder<unknown>, values: string[]): RawBuilder<boolean> {
  if (values.length === 0) return sql<boolean>`false`;
  return sql<boolean>`${column} = ANY(${values})`;
}

/** Exact match on a text column. */
export function exactFilter(name: string, column: Column, type: FilterValueType = 'string'): Filter {
  return {
    name,
    type,
    apply: (v) => {
      const value = single(name, v);
      if (type === 'boolean') return sql<boolean>`${ref(column)} = ${parseBoolean(name, value)}`;
      if (type === 'integer') return sql<boolean>`${ref(column)} = ${int(parseInteger(name, value))}`;
      return sql<boolean>`${ref(column)} = ${value}`;
    },
  };
}

/** `x`, `x__lt`, `x__lte`, `x__gt`, `x__gte`, `x__range`, `x__isnull`. */
export function dateTimeFilters(name: string, column: Column): Filter[] {
  const c = () => ref(column);
  const ts = (v: string[]) => parseDateTime(name, single(name, v));
  return [
    { name, type: 'date-time', apply: (v) => sql<boolean>`${c()} = ${ts(v)}::timestamptz` },
    { name: `${name}__lt`, type: 'date-time', apply: (v) => sql<boolean>`${c()} < ${ts(v)}::timestamptz` },
    { name: `${name}__lte`, type: 'date-time', apply: (v) => sql<boolean>`${c()} <= ${ts(v)}::timestamptz` },
    { name: `${name}__gt`, type: 'date-time', apply: (v) => sql<boolean>`${c()} > ${ts(v)}::timestamptz` },
    { name: `${name}__gte`, type: 'date-time', apply: (v) => sql<boolean>`${c()} >= ${ts(v)}::timestamptz` },
    {
      name: `${name}__range`,
      type: 'string-list',
      apply: (v) => {
        const parts = splitCsv(v);
        if (parts.length !== 2) invalid(`${name}__range`, 'Range query expects two values.');
        const [a, b] = parts.map((p) => parseDateTime(name, p));
        return sql<boolean>`${c()} BETWEEN ${a}::timestamptz AND ${b}::timestamptz`;
      },
    },
    isNullFilter(`${name}__isnull`, column),
  ];
}

/** `x`, `x__ne`, `x__lt`, `x__lte`, `x__gt`, `x__gte`, `x__range`, `x__isnull` on an integer column. */
export function numberFilters(name: string, column: Column, nullable = true): Filter[] {
  const c = () => ref(column);
  const n = (v: string[]) => int(parseInteger(name, single(name, v)));
  const out: Filter[] = [
    { name, type: 'integer', apply: (v) => sql<boolean>`${c()} = ${n(v)}` },
    { name: `${name}__ne`, type: 'integer', apply: (v) => sql<boolean>`${c()} IS DISTINCT FROM ${n(v)}` },
    { name: `${name}__lt`, type: 'integer', apply: (v) => sql<boolean>`${c()} < ${n(v)}` },
    { name: `${name}__lte`, type: 'integer', apply: (v) => sql<boolean>`${c()} <= ${n(v)}` },
    { name: `${name}__gt`, type: 'integer', apply: (v) => sql<boolean>`${c()} > ${n(v)}` },
    { name: `${name}__gte`, type: 'integer', apply: (v) => sql<boolean>`${c()} >= ${n(v)}` },
    {
      name: `${name}__range`,
      type: 'string-list',
      apply: (v) => {
        const parts = splitCsv(v);
        if (parts.length !== 2) invalid(`${name}__range`, 'Range query expects two values.');
        const [a, b] = parts.map((p) => int(parseInteger(name, p)));
        return sql<boolean>`${c()} BETWEEN ${a} AND ${b}`;
      },
    },
  ];
  if (nullable) out.push(isNullFilter(`${name}__isnull`, column));
  return out;
}

export function isNullFilter(name: string, column: Column): Filter {
  return {
    name,
    type: 'boolean',
    apply: (v) =>
      parseBoolean(name, single(name, v))
        ? sql<boolean>`${ref(column)} IS NULL`
        : sql<boolean>`${ref(column)} IS NOT NULL`,
  };
}

/** `pulp_href__in`, `pulp_id__in` and `prn__in`: only the trailing pk of each href or PRN is used. */
export function identityFilters(column: Column, options: { pulpIdIn?: boolean } = {}): Filter[] {
  const pks = (name: string, v: string[]) => {
    const list = splitCsv(v).map((x) => pkFromReference(name, x));
    return list.filter((pk) => isUuid(pk));
  };
  const out: Filter[] = [
    {
      name: 'pulp_href__in',
      type: 'string-list',
      apply: (v) => inList(sql`${ref(column)}::text`, pks('pulp_href__in', v)),
    },
    { name: 'prn__in', type: 'string-list', apply: (v) => inList(sql`${ref(column)}::text`, pks('prn__in', v)) },
  ];
  if (options.pulpIdIn !== false) {
    out.push({
      name: 'pulp_id__in',
      type: 'uuid-list',
      apply: (v) => {
        const ids = splitCsv(v);
        for (const id of ids) if (!isUuid(id)) invalid('pulp_id__in', `“${id}” is not a valid UUID.`);
        return inList(sql`${ref(column)}::text`, ids);
      },
    });
  }
  return out;
}

/**
 * `pulp_label_select`: comma separated terms `key`, `!key`, `key=value`, `key!=value`, `key~substr`;
 * `\,` escapes a comma inside a value.
 */
export function labelSelectFilter(column: Column): Filter {
  return {
    name: 'pulp_label_select',
    type: 'string',
    apply: (v) => {
      const raw = single('pulp_label_select', v);
      const terms = raw
        .split(/(?<!\\),/)
        .map((t) => t.replace(/\\,/g, ',').trim())
        .filter(Boolean);
      const parts: RawBuilder<boolean>[] = terms.map((term) => {
        const m = /^([^=!~]+?)\s*(!=|=|~)\s*(.*)$/.exec(term);
        if (m) {
          const [, key, op, value] = m as unknown as [string, string, string, string];
          if (op === '=') return sql<boolean>`${ref(column)} ->> ${key.trim()} = ${value}`;
          if (op === '!=')
            return sql<boolean>`(${ref(column)} ? ${key.trim()} AND ${ref(column)} ->> ${key.trim()} IS DISTINCT FROM ${value})`;
          return sql<boolean>`${ref(column)} ->> ${key.trim()} ILIKE ${`%${value}%`}`;
        }
        if (term.startsWith('!')) {
          const key = term.slice(1).trim();
          if (!/^[\w .-]+$/.test(key)) invalid('pulp_label_select', "Cannot use an operator with '!'.");
          return sql<boolean>`NOT (${ref(column)} ? ${key})`;
        }
        return sql<boolean>`${ref(column)} ? ${term}`;
      });
      return parts.length === 0 ? sql<boolean>`true` : sql<boolean>`(${sql.join(parts, sql` AND `)})`;
    },
  };
}
