/* eslint-disable @typescript-eslint/no-explicit-any -- walking an untyped OpenAPI document */
/**
 * Bad values for the API fuzz test (`test/integration/api/api-fuzz.test.ts`), generated from the OpenAPI
 * document's schemas. Each value says whether Pulp must refuse it (`refuse`: a 4xx is required) or may take it
 * (`maybe`: anything but a 5xx, and a refusal must leave the database as it was).
 */
export type Verdict = 'refuse' | 'maybe';

export interface BadValue {
  label: string;
  value: unknown;
  verdict: Verdict;
}

export type Json = Record<string, any>;

/** A small deterministic PRNG (mulberry32), so that a failing run can be repeated with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function deref(doc: Json, schema: Json | undefined): Json {
  let s = schema ?? {};
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
    const name = s.$ref.replace('#/components/schemas/', '');
    s = doc.components?.schemas?.[name] ?? {};
  }
  return s;
}

export interface Shape {
  kinds: Set<string>;
  nullable: boolean;
  enumValues: unknown[] | null;
  format: string | undefined;
  items: Json | undefined;
}

/** The kinds a schema admits (string, integer, number, boolean, array, object), through anyOf/oneOf. */
export function shapeOf(doc: Json, schema: Json | undefined): Shape {
  const shape: Shape = { kinds: new Set(), nullable: false, enumValues: null, format: undefined, items: undefined };
  const visit = (raw: Json | undefined): void => {
    const s = deref(doc, raw);
    const alternatives = (s.anyOf ?? s.oneOf) as Json[] | undefined;
    if (alternatives) return alternatives.forEach(visit);
    if (Array.isArray(s.enum)) shape.enumValues = [...(shape.enumValues ?? []), ...(s.enum as unknown[])];
    if (s.const !== undefined) shape.enumValues = [...(shape.enumValues ?? []), s.const];
    const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
    for (const t of types) {
      if (t === 'null') shape.nullable = true;
      else shape.kinds.add(t);
    }
    if (s.const !== undefined && types.length === 0) shape.kinds.add(typeof s.const);
    shape.format ??= s.format as string | undefined;
    shape.items ??= s.items as Json | undefined;
  };
  visit(schema);
  return shape;
}

const HUGE = 'x'.repeat(50_000);
const LONG_QUERY = 'y'.repeat(6_000);

/** Bad values for one JSON body field. `hrefs` are real hrefs of other types, `forged` one of no object. */
export function bodyValues(
  doc: Json,
  schema: Json,
  opts: { href: boolean; otherHref: string; forged: string },
): BadValue[] {
  const shape = shapeOf(doc, schema);
  const out: BadValue[] = [];
  const add = (label: string, value: unknown, verdict: Verdict) => out.push({ label, value, verdict });
  const only = (...kinds: string[]) => [...shape.kinds].every((k) => kinds.includes(k)) && shape.kinds.size > 0;
  const has = (k: string) => shape.kinds.has(k);
  if (!has('object')) add('an object', { a: 1 }, shape.kinds.size > 0 ? 'refuse' : 'maybe');
  if (!has('array')) add('a list', [1, 'a'], shape.kinds.size > 0 ? 'refuse' : 'maybe');
  if (!shape.nullable) add('null', null, shape.kinds.size > 0 ? 'refuse' : 'maybe');
  if (!has('boolean') && !has('string')) add('true', true, shape.kinds.size > 0 ? 'refuse' : 'maybe');
  if (has('string') || shape.kinds.size === 0) {
    add('a NUL character', 'a\u0000b', 'refuse');
    add('a lone surrogate', 'a\ud800b', 'refuse');
    add('a huge string', HUGE, shape.enumValues || opts.href ? 'refuse' : 'maybe');
    add('an empty string', '', 'maybe');
    add('a path-like string', '../../etc/passwd', 'maybe');
  }
  if (opts.href) {
    add("another type's href", opts.otherHref, 'refuse');
    add('an href of no object', opts.forged, 'refuse');
    add('not an href', 'not-an-href', 'refuse');
  }
  if (shape.enumValues) add('an unknown choice', 'no-such-choice', 'refuse');
  if (has('integer') || has('number')) {
    // Integers have column types; a float field (timeouts) takes any double, as Pulp's FloatField does.
    add('a number beyond every column', 1e20, has('integer') ? 'refuse' : 'maybe');
    add('a huge negative number', -1e20, has('integer') ? 'refuse' : 'maybe');
    add('a number with a fraction', 1.5, has('number') ? 'maybe' : 'refuse');
    add('a numeric string', '12', 'maybe');
    add('a word', 'twelve', has('string') ? 'maybe' : 'refuse');
    add('minus one', -1, 'maybe');
  } else if (only('boolean')) {
    add('a word', 'maybe', 'refuse');
    add('two', 2, 'refuse');
  }
  if (has('array')) {
    add('a string for a list', 'abc', 'refuse');
    add('a list of objects', [{ a: 1 }], 'maybe');
    add('a list holding NUL', ['a\u0000'], 'refuse');
    add(
      'a long list',
      Array.from({ length: 5_000 }, (_, i) => `${opts.forged}${i}`),
      'maybe',
    );
  }
  if (has('object')) {
    add('a string for an object', 'abc', 'refuse');
    add('an object of objects', { k: { a: 1 } }, 'maybe');
    add('a key with NUL', { 'k\u0000': 'v' }, 'refuse');
    add('a deep object', nested(200), 'maybe');
  }
  return out;
}

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { k: v };
  return v;
}

/** Bad values for one query or header parameter (always strings on the wire). */
export function queryValues(doc: Json, schema: Json, filter: boolean, otherHref: string): BadValue[] {
  // DRF's LimitOffsetPagination falls back to its defaults for a limit or offset it cannot read.
  if (!filter) return nonFilterValues(otherHref);
  const shape = shapeOf(doc, schema);
  const item = shape.kinds.has('array') ? shapeOf(doc, shape.items) : shape;
  const out: BadValue[] = [];
  const add = (label: string, value: string, verdict: Verdict) => out.push({ label, value, verdict });
  // Outside list filters (fields= on a read), Pulp ignores what it does not understand.
  const strict: Verdict = filter ? 'refuse' : 'maybe';
  add('a NUL character', 'a\u0000b', strict);
  add('a long value', LONG_QUERY, 'maybe');
  add('invalid UTF-8', '\u{fffd}', 'maybe');
  add("another type's href", otherHref, 'maybe');
  add('commas only', ',,,', 'maybe');
  if (item.kinds.has('integer') || item.kinds.has('number')) {
    add('a word', 'abc', strict);
    add('a number beyond every column', '99999999999999999999999', strict);
    add('an exponent', '1e400', strict);
    add('minus one', '-1', 'maybe');
    add('a fraction', '1.5', item.kinds.has('number') ? 'maybe' : strict);
  }
  if (item.enumValues) add('an unknown choice', 'no-such-choice', strict);
  if (item.format === 'uuid') add('not a uuid', 'not-a-uuid', strict);
  if (item.format === 'date-time') {
    add('not a date', 'yesterday', strict);
    add('a date out of range', '99999-01-01T00:00:00Z', strict);
  }
  if (item.kinds.has('boolean')) add('a word', 'perhaps', 'maybe');
  return out;
}

function nonFilterValues(otherHref: string): BadValue[] {
  return [
    { label: 'a NUL character', value: 'a\u0000b', verdict: 'maybe' },
    { label: 'a word', value: 'abc', verdict: 'maybe' },
    { label: 'an exponent', value: '1e400', verdict: 'maybe' },
    { label: 'a number beyond every column', value: '99999999999999999999999', verdict: 'maybe' },
    { label: 'a long value', value: LONG_QUERY, verdict: 'maybe' },
    { label: "another type's href", value: otherHref, verdict: 'maybe' },
  ];
}

/** Whether a body is one of Pulp's (DRF's) error shapes: {detail}, {field: [msg]}, [msg], nested by field. */
export function isPulpErrorBody(body: unknown): boolean {
  const messages = (v: unknown): boolean => {
    if (typeof v === 'string') return true;
    if (Array.isArray(v)) return v.length > 0 && v.every(messages);
    if (v !== null && typeof v === 'object') return Object.keys(v).length > 0 && Object.values(v).every(messages);
    return false;
  };
  if (Array.isArray(body)) return body.length > 0 && body.every((m) => typeof m === 'string');
  if (body === null || typeof body !== 'object') return false;
  const obj = body as Json;
  if ('detail' in obj) return typeof obj.detail === 'string';
  return messages(obj);
}

/** A JSON-ish value from the schema's required fields, unique per call: a baseline a bad value replaces. */
export function minimalBody(doc: Json, schema: Json, n: number, hrefFor: (field: string) => string | undefined) {
  const s = deref(doc, schema);
  const body: Json = {};
  for (const field of (s.required as string[] | undefined) ?? []) {
    const href = hrefFor(field);
    if (href !== undefined) {
      body[field] = href;
      continue;
    }
    const shape = shapeOf(doc, s.properties?.[field]);
    if (shape.enumValues) body[field] = shape.enumValues[0];
    else if (shape.kinds.has('string')) body[field] = sampleString(field, n);
    else if (shape.kinds.has('integer') || shape.kinds.has('number')) body[field] = 1;
    else if (shape.kinds.has('boolean')) body[field] = false;
    else if (shape.kinds.has('array')) body[field] = [];
    else if (shape.kinds.has('object')) body[field] = {};
    else body[field] = sampleString(field, n);
  }
  return body;
}

function sampleString(field: string, n: number): string {
  if (field === 'url') return `http://127.0.0.1:9/fuzz-${n}/PULP_MANIFEST`;
  if (field === 'base_path') return `fuzz/base-${n}`;
  if (field === 'password') return `a-long-password-${n}`;
  if (field === 'email') return `fuzz-${n}@example.com`;
  return `fuzz-${field}-${n}`;
}
