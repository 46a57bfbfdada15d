import type { TSchema } from '@sinclair/typebox';

import { ValidationError } from '../core/errors.js';
import type { Filter, FilterSet } from '../plugin-api/filters.js';
import type { ComponentSchema, Operation } from '../plugin-api/operations.js';
import { headerParameters } from './header-parameters.js';

/** What the document is generated from: the same operations that registered the routes. */
export interface OpenApiSource {
  operations: Operation[];
  components: ComponentSchema[];
  /** `<API_ROOT>api/v3/` */
  prefix: string;
  /** `x-pulp-app-versions`: the same pairs `/status/` reports. */
  appVersions: Record<string, string>;
}

export interface OpenApiOptions {
  /** `servers[0].url`, e.g. `http://localhost:24817/`. */
  serverUrl: string;
  /** Only operations of these app labels (`core`, `file`, ...). */
  components?: string[];
  /** Binding-generator flavour: generated operationIds shortened to their action. */
  bindings?: boolean;
  /** Router-style paths (`.../{pulp_id}/`) instead of `{x_href}` placeholders, for browsable docs. */
  pkPath?: boolean;
}

type Json = Record<string, unknown>;

/** Extension under which the API app publishes its operations and components (for docs and the root). */
export const API_DESCRIPTION = 'apiDescription';
export interface ApiDescription {
  operations: Operation[];
  components: ComponentSchema[];
}

/** Operation ids fixed upstream; `?bindings` keeps them as they are. */
const EXPLICIT_IDS = new Set([
  'status_read',
  'livez_read',
  'tasks_cancel',
  'task_groups_cancel',
  'login',
  'login_read',
  'login_update',
  'logout',
  'pulp_import_check_post',
]);

/** Schemas every Pulp document has, registered unless a module provides its own. */
const CORE_COMPONENTS: Record<string, Json> = {
  AsyncOperationResponse: {
    type: 'object',
    description: 'Serializer for asynchronous operations.',
    properties: { task: { type: 'string', format: 'uri', description: 'The href of the task.' } },
    required: ['task'],
  },
  TaskGroupOperationResponse: {
    type: 'object',
    description: 'Serializer for asynchronous operations that return a task group.',
    properties: { task_group: { type: 'string', format: 'uri', description: 'The href of the task group.' } },
    required: ['task_group'],
  },
};

const TASK_DIAGNOSTICS: Json = {
  in: 'header',
  name: 'X-Task-Diagnostics',
  schema: { type: 'array', items: { type: 'string' } },
  description: 'List of profilers to use on tasks.',
};

/**
 * TypeBox schemas are JSON Schema already; OpenAPI 3.1 takes them nearly as they are. Local `$ref`s name a
 * component, unions of string literals read better as an `enum`, and TypeBox's `$id` has no meaning here.
 */
export function toOpenApiSchema(schema: TSchema | Json): Json {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === '$id') continue;
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) out[k] = `#/components/schemas/${v}`;
      else out[k] = visit(v);
    }
    const anyOf = out.anyOf as Json[] | undefined;
    if (Array.isArray(anyOf) && anyOf.length > 0) {
      const consts = anyOf.filter((s) => typeof s.const === 'string');
      const nulls = anyOf.filter((s) => s.type === 'null' && Object.keys(s).length === 1);
      if (consts.length > 0 && consts.length + nulls.length === anyOf.length) {
        delete out.anyOf;
        out.type = nulls.length > 0 ? ['string', 'null'] : 'string';
        out.enum = [...consts.map((s) => s.const), ...(nulls.length > 0 ? [null] : [])];
      }
    }
    return out;
  };
  // JSON round trip: drops TypeBox's symbol keys and any undefined values.
  return visit(JSON.parse(JSON.stringify(schema))) as Json;
}

/** The app label an operation belongs to: the plugin segment of typed endpoints, else `core`. */
export function operationComponent(operation: Operation, labels: ReadonlySet<string>): string {
  const second = operation.url.split('/').filter(Boolean)[1];
  return second && labels.has(second) ? second : 'core';
}

function filterSchema(filter: Filter): Json {
  const items: Json = { type: 'string', ...(filter.enum ? { enum: filter.enum } : {}) };
  switch (filter.type) {
    case 'integer':
    case 'number':
    case 'boolean':
      return { type: filter.type };
    case 'date-time':
      return { type: 'string', format: 'date-time' };
    case 'uuid-list':
      return { type: 'array', items: { type: 'string', format: 'uuid' } };
    case 'string-list':
      return { type: 'array', items };
    default:
      return items;
  }
}

const PAGINATION: Json[] = [
  { in: 'query', name: 'limit', schema: { type: 'integer' }, description: 'Number of results to return per page.' },
  {
    in: 'query',
    name: 'offset',
    schema: { type: 'integer' },
    description: 'The initial index from which to return the results.',
  },
];

/** A list answering with a `Paginated<X>List` envelope takes limit/offset, with or without filters. */
function isPaginated(operation: Operation): boolean {
  const schema = operation.responses[200]?.schema;
  return typeof schema === 'string' && /^Paginated.+List$/.test(schema);
}

function listParameters(filterSet: FilterSet): Json[] {
  const params: Json[] = [
    ...PAGINATION,
    {
      in: 'query',
      name: 'q',
      schema: { type: 'string' },
      description: 'Filter results by a boolean expression over the other filters (NOT, AND, OR, parentheses).',
    },
  ];
  const names = [...new Set([...filterSet.ordering, 'pk', 'pulp_created'])].sort();
  params.push({
    in: 'query',
    name: 'ordering',
    schema: { type: 'array', items: { type: 'string', enum: names.flatMap((n) => [`-${n}`, n]) } },
    description: 'Ordering',
    explode: false,
    style: 'form',
  });
  for (const filter of filterSet.filters) {
    const schema = filterSchema(filter);
    params.push({
      in: 'query',
      name: filter.name,
      schema,
      ...(filter.description ? { description: filter.description } : {}),
      ...(schema.type === 'array' ? { explode: false, style: 'form' } : {}),
    });
  }
  return params;
}

function queryParameters(query: TSchema): Json[] {
  const props = (query.properties ?? {}) as Record<string, TSchema>;
  const required = new Set((query.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, schema]) => {
    const s = toOpenApiSchema(schema);
    const description = typeof s.description === 'string' ? s.description : undefined;
    return {
      in: 'query',
      name,
      schema: s,
      ...(description ? { description } : {}),
      ...(required.has(name) ? { required: true } : {}),
      ...(s.type === 'array' ? { explode: false, style: 'form' } : {}),
    };
  });
}

const FIELD_SELECTORS: Json[] = [
  {
    in: 'query',
    name: 'exclude_fields',
    schema: { type: 'array', items: { type: 'string' } },
    description: 'A list of fields to exclude from the response.',
  },
  {
    in: 'query',
    name: 'fields',
    schema: { type: 'array', items: { type: 'string' } },
    description: 'A list of fields to include in the response.',
  },
];

/** Literal path tokens of a route, e.g. `repositories/file/file/:id/sync/` gives repositories, file, file, sync. */
function literalTokens(url: string): string[] {
  return url
    .split('/')
    .filter((t) => t !== '' && !t.startsWith(':'))
    .map((t) => t.replace(/-/g, '_'));
}

/** `?bindings`: an id made of the path tokens plus an action becomes the action alone. */
export function bindingsOperationId(operation: Operation): string {
  if (EXPLICIT_IDS.has(operation.operationId)) return operation.operationId;
  const tokens = literalTokens(operation.url);
  for (let n = tokens.length; n > 0; n--) {
    const head = tokens.slice(0, n).join('_');
    if (operation.operationId.startsWith(`${head}_`)) return operation.operationId.slice(head.length + 1);
  }
  return operation.operationId;
}

function pathOf(operation: Operation, prefix: string, pkPath: boolean): { key: string; params: string[] } {
  if (pkPath) {
    const params = [...operation.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
    return { key: `${prefix}${operation.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`, params };
  }
  const key = operation.pathKey.startsWith('{') ? operation.pathKey : `${prefix}${operation.pathKey}`;
  const params = [...key.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string);
  return { key, params };
}

function bodyComponentName(operation: Operation): string | null {
  if (!operation.body) return null;
  const name = operation.body.name;
  return operation.method === 'PATCH' && !name.startsWith('Patched') ? `Patched${name}` : name;
}

function responseObject(code: number, spec: Operation['responses'][number]): Json {
  const description = spec.description ?? (code === 204 ? 'No response body' : '');
  if (spec.schema === undefined) return { description };
  const schema =
    typeof spec.schema === 'string' ? { $ref: `#/components/schemas/${spec.schema}` } : toOpenApiSchema(spec.schema);
  return { description, content: { 'application/json': { schema } } };
}

function operationObject(operation: Operation, params: string[], options: OpenApiOptions): Json {
  const parameters: Json[] = params.map((name) => ({ in: 'path', name, schema: { type: 'string' }, required: true }));
  const query: Json[] = [];
  if (operation.filters) query.push(...listParameters(operation.filters));
  else if (isPaginated(operation)) query.push(...PAGINATION);
  if (operation.query) query.push(...queryParameters(operation.query));
  if (operation.method === 'GET') query.push(...FIELD_SELECTORS);
  const seen = new Set<string>();
  const unique = query.filter((p) => !seen.has(p.name as string) && seen.add(p.name as string));
  unique.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  parameters.push(...headerParameters(operation.headers), ...unique, TASK_DIAGNOSTICS);

  const out: Json = {
    operationId: options.bindings ? bindingsOperationId(operation) : operation.operationId,
    ...(operation.summary ? { summary: operation.summary } : {}),
    parameters,
    tags: [operation.tag],
  };
  const bodyName = bodyComponentName(operation);
  if (bodyName) {
    const media = { schema: { $ref: `#/components/schemas/${bodyName}` } };
    const types =
      operation.body?.encodings === 'file'
        ? ['multipart/form-data', 'application/x-www-form-urlencoded']
        : ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];
    out.requestBody = { content: Object.fromEntries(types.map((t) => [t, media])), required: true };
  }
  if (operation.auth !== false) out.security = [{ basicAuth: [] }, { cookieAuth: [] }];
  out.responses = Object.fromEntries(
    Object.entries(operation.responses)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([code, spec]) => [code, responseObject(Number(code), spec)]),
  );
  return out;
}

/** `Paginated<X>List` envelopes are derived, as drf-spectacular does, for every list response naming one. */
function addPaginatedEnvelopes(schemas: Record<string, Json>, operations: Operation[]): void {
  for (const op of operations) {
    for (const spec of Object.values(op.responses)) {
      const m = typeof spec.schema === 'string' ? /^Paginated(.+)List$/.exec(spec.schema) : null;
      if (!m || schemas[m[0]]) continue;
      const item = m[1] as string;
      schemas[m[0]] = {
        type: 'object',
        required: ['count', 'results'],
        properties: {
          count: { type: 'integer', example: 123 },
          next: { type: ['string', 'null'], format: 'uri' },
          previous: { type: ['string', 'null'], format: 'uri' },
          results: { type: 'array', items: schemas[item] ? { $ref: `#/components/schemas/${item}` } : {} },
        },
      };
    }
  }
}

function componentSchemas(source: OpenApiSource, operations: Operation[]): Record<string, Json> {
  const schemas: Record<string, Json> = {};
  for (const c of source.components) schemas[c.name] ??= toOpenApiSchema(c.schema);
  for (const op of operations) {
    const name = bodyComponentName(op);
    if (!name || !op.body || schemas[name]) continue;
    const schema = toOpenApiSchema(op.body.schema);
    // PATCH bodies require nothing: pulp-glue validates what it sends against them.
    if (op.method === 'PATCH') delete schema.required;
    schemas[name] = schema;
  }
  for (const [name, schema] of Object.entries(CORE_COMPONENTS)) schemas[name] ??= schema;
  addPaginatedEnvelopes(schemas, operations);
  return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Pulp's OpenAPI 3.1 document (spec rest-api.md §12): paths keyed by literal collection paths or `{x_href}`
 * placeholders, Pulp's operationIds and tags, every declared filter as a parameter, request bodies in their
 * encodings, and `security` only on operations that need credentials.
 */
export function buildOpenApiDocument(source: OpenApiSource, options: OpenApiOptions): Json {
  const labels = new Set(Object.keys(source.appVersions));
  if (options.components) {
    const unknown = options.components.filter((c) => !labels.has(c));
    if (unknown.length > 0 || options.components.length === 0)
      throw new ValidationError(['Invalid component specified.']);
  }
  const wanted = options.components ? new Set(options.components) : null;
  const operations = source.operations.filter(
    (op) => !op.hidden && (!wanted || wanted.has(operationComponent(op, labels))),
  );

  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const { key, params } = pathOf(op, source.prefix, options.pkPath ?? false);
    const item = (paths[key] ??= {});
    item[op.method.toLowerCase()] = operationObject(op, params, options);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Pulp 3 API',
      version: 'v3',
      description: 'Fetch, Upload, Organize, and Distribute Software Packages',
      contact: { name: 'Pulp Team', email: 'pulp-list@redhat.com', url: 'https://pulpproject.org' },
      license: { name: 'GNU General Public License v2.0 or later', identifier: 'GPL-2.0-or-later' },
      'x-pulp-app-versions': source.appVersions,
      'x-pulp-domain-enabled': false,
    },
    paths,
    components: {
      schemas: componentSchemas(source, operations),
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'sessionid' },
      },
    },
    servers: [{ url: options.serverUrl }],
  };
}
