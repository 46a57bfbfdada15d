import { FormatRegistry, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

import { ValidationError } from '../core/errors.js';
import type { BodySpec } from '../plugin-api/operations.js';

// OpenAPI formats used in request schemas: documentation only, the handlers check the values themselves
// (an unknown format would make TypeBox reject every value).
for (const format of ['binary', 'uri', 'int32', 'int64'])
  if (!FormatRegistry.Has(format)) FormatRegistry.Set(format, () => true);

/** DRF's ProhibitNullCharactersValidator message: PostgreSQL text cannot hold NUL. */
export const NULL_CHARACTER_MESSAGE = 'Null characters are not allowed.';

/**
 * The largest integer a field takes when its schema sets no maximum: PostgreSQL's `integer` (Django's
 * IntegerField range), or `bigint` for fields marked `format: 'int64'` (sizes), capped at what a JSON number
 * holds exactly. Without a ceiling, 1e20 reaches the database and fails there as a 500.
 */
export const INT32_MAX = 2147483647;
export const INT64_MAX = Number.MAX_SAFE_INTEGER;

function integerCeiling(schema: TSchema): number {
  if (typeof schema.maximum === 'number') return schema.maximum;
  return schema.format === 'int64' ? INT64_MAX : INT32_MAX;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What DRF's CharField refuses in any string: NUL (PostgreSQL text cannot hold it) and surrogate code points.
 * JSON may escape a lone surrogate (`"\ud800"`), which no UTF-8 text can hold: the database driver would
 * store U+FFFD in its place, so the value saved is not the value sent.
 */
function stringProblem(text: string): string | null {
  if (text.includes('\u0000')) return NULL_CHARACTER_MESSAGE;
  const lone = LONE_SURROGATE.exec(text);
  if (!lone) return null;
  return `Surrogate characters are not allowed: U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}.`;
}

/** The first character problem of any string in a JSON value (keys included), as DRF's message; else null. */
export function characterProblem(value: unknown): string | null {
  if (typeof value === 'string') return stringProblem(value);
  if (Array.isArray(value)) {
    for (const v of value) {
      const problem = characterProblem(v);
      if (problem) return problem;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const problem = stringProblem(k) ?? characterProblem(v);
      if (problem) return problem;
    }
  }
  return null;
}

/** An integer outside the field's range (the schema's bounds, else the column type's), as a DRF message. */
function integerRangeProblem(schema: TSchema, value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isInteger(value)) return null;
  const kinds = kindsOf(schema);
  if (!kinds.has('integer')) return null;
  const integer = schemaOfKind(schema, 'integer') ?? schema;
  const max = integerCeiling(integer);
  if (value > max) return `Ensure this value is less than or equal to ${max}.`;
  const min = typeof integer.minimum === 'number' ? integer.minimum : -max;
  if (value < min) return `Ensure this value is greater than or equal to ${min}.`;
  return null;
}

function schemaOfKind(schema: TSchema, kind: Kind): TSchema | null {
  if (schema.type === kind) return schema;
  for (const s of (schema.anyOf ?? schema.oneOf ?? []) as TSchema[]) {
    const found = schemaOfKind(s, kind);
    if (found) return found;
  }
  return null;
}

type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null' | 'other';

function kindsOf(schema: TSchema): Set<Kind> {
  const out = new Set<Kind>();
  const visit = (s: TSchema): void => {
    if (Array.isArray(s.anyOf)) (s.anyOf as TSchema[]).forEach(visit);
    else if (Array.isArray(s.oneOf)) (s.oneOf as TSchema[]).forEach(visit);
    else if (typeof s.type === 'string') out.add(s.type as Kind);
    else if (s.const !== undefined) out.add(typeof s.const as Kind);
    else out.add('other');
  };
  visit(schema);
  return out;
}

function isNullable(schema: TSchema): boolean {
  return kindsOf(schema).has('null');
}

/**
 * Form bodies (urlencoded and multipart) are flat strings: booleans as true/True/1/on, lists as repeated
 * keys, objects as a JSON string. Turn them into what the schema expects before validating.
 */
export function coerceFormBody(schema: TObject, form: Record<string, string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(form)) {
    const prop = schema.properties[key];
    if (!prop) {
      out[key] = values[values.length - 1];
      continue;
    }
    const kinds = kindsOf(prop);
    const last = values[values.length - 1] ?? '';
    if (kinds.has('array')) {
      const looksJson = values.length === 1 && last.trim().startsWith('[');
      out[key] = looksJson ? tryJson(last) : values.filter((v) => v !== '');
    } else if (kinds.has('object') && last.trim().startsWith('{')) {
      out[key] = tryJson(last);
    } else if (kinds.has('null') && (last === '' || last === 'null') && !kinds.has('string')) {
      out[key] = null;
    } else if (kinds.has('boolean') && !kinds.has('string')) {
      if (/^(true|1|on|yes)$/i.test(last)) out[key] = true;
      else if (/^(false|0|off|no)$/i.test(last)) out[key] = false;
      else out[key] = last;
    } else if ((kinds.has('integer') || kinds.has('number')) && !kinds.has('string')) {
      const n = Number(last);
      out[key] = last.trim() !== '' && Number.isFinite(n) ? n : last;
    } else {
      out[key] = last;
    }
  }
  return out;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function messageFor(schema: TSchema, value: unknown): string {
  if (value === null) return 'This field may not be null.';
  const kinds = kindsOf(schema);
  if (
    Array.isArray(schema.enum) ||
    (Array.isArray(schema.anyOf) &&
      (schema.anyOf as TSchema[]).every((s) => s.const !== undefined || s.type === 'null'))
  ) {
    return `"${typeof value === 'string' ? value : JSON.stringify(value)}" is not a valid choice.`;
  }
  if (kinds.has('integer')) {
    if (typeof value === 'number' && Number.isInteger(value)) {
      if (typeof schema.minimum === 'number' && value < schema.minimum)
        return `Ensure this value is greater than or equal to ${schema.minimum}.`;
      if (typeof schema.maximum === 'number' && value > schema.maximum)
        return `Ensure this value is less than or equal to ${schema.maximum}.`;
    }
    return 'A valid integer is required.';
  }
  if (kinds.has('number')) {
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && value < schema.minimum)
        return `Ensure this value is greater than or equal to ${schema.minimum}.`;
      if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
        return `Ensure this value is greater than ${schema.exclusiveMinimum}.`;
    }
    return 'A valid number is required.';
  }
  if (kinds.has('boolean')) return 'Must be a valid boolean.';
  if (kinds.has('array'))
    return Array.isArray(value) ? 'Invalid list item.' : `Expected a list of items but got type "${typeof value}".`;
  if (kinds.has('object')) return 'Value must be valid JSON.';
  if (kinds.has('string')) {
    if (typeof value !== 'string') return 'Not a valid string.';
    if (value === '' && (schema.minLength ?? 0) > 0) return 'This field may not be blank.';
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      return `Ensure this field has no more than ${schema.maxLength} characters.`;
    if (typeof schema.pattern === 'string') return 'This value does not match the required pattern.';
    return 'Not a valid string.';
  }
  return 'Invalid value.';
}

/**
 * Validates a request body against its spec and renders DRF-style errors: `{"field": ["msg"]}`,
 * "This field is required.", "This field may not be null.", "Unexpected field".
 */
export function validateBody(
  spec: BodySpec,
  body: unknown,
  options: { partial?: boolean } = {},
): Record<string, unknown> {
  if (body === undefined || body === null || body === '') body = {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError({
      non_field_errors: [
        'Invalid data. Expected a dictionary, but got ' + (Array.isArray(body) ? 'list' : typeof body) + '.',
      ],
    });
  }
  const input = { ...(body as Record<string, unknown>) };
  delete input.csrfmiddlewaretoken;
  const errors: Record<string, string[]> = {};
  const props = spec.schema.properties as Record<string, TSchema>;
  const required = new Set(options.partial ? [] : (spec.schema.required ?? []));

  for (const key of Object.keys(input)) {
    const prop = props[key.split('.')[0] ?? key];
    if (!prop) {
      if (!spec.allowUnknown) errors[key] = ['Unexpected field'];
      else delete input[key];
      continue;
    }
    const value = input[key];
    const characters = characterProblem(value);
    if (characters) {
      errors[key] = [characters];
      continue;
    }
    const outOfRange = integerRangeProblem(prop, value);
    if (outOfRange) {
      errors[key] = [outOfRange];
      continue;
    }
    if (value === null && !isNullable(prop)) {
      errors[key] = ['This field may not be null.'];
      continue;
    }
    if (!Value.Check(prop, value)) {
      const first = Value.Errors(prop, value).First();
      const nested = first && first.path && first.path !== '' ? first.schema : prop;
      errors[key] = [messageFor(nested, first?.value ?? value)];
    }
  }
  for (const key of required) {
    if (!(key in input) && !(key in errors)) errors[key] = ['This field is required.'];
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return input;
}
