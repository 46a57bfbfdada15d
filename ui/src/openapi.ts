import { config, get, type Json } from './api';

/** One OpenAPI operation as the UI uses it. */
export interface ApiOperation {
  method: string;
  operationId: string;
  summary?: string;
  parameters: Array<{ name: string; in: string; schema?: Json; description?: string }>;
  /** Resolved request body schema, when the operation takes one. */
  body?: Json;
}

/** A collection endpoint (`repositories/file/file/`) with its detail operations and actions. */
export interface Endpoint {
  /** Path below the API prefix, trailing slash: `repositories/file/file/`. */
  path: string;
  tag: string;
  list: ApiOperation;
  create?: ApiOperation;
  read?: ApiOperation;
  update?: ApiOperation;
  partialUpdate?: ApiOperation;
  remove?: ApiOperation;
  /** Sub-paths of an object: `sync/`, `modify/`, `versions/`, with their operations by method. */
  actions: Array<{ name: string; method: string; operation: ApiOperation }>;
}

export interface ApiModel {
  endpoints: Endpoint[];
  byPath: Map<string, Endpoint>;
}

function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  if (!schema) return undefined;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    const schemas = (doc.components as Json | undefined)?.schemas as Record<string, Json> | undefined;
    return resolve(doc, schemas?.[name]);
  }
  return schema;
}

function operationOf(doc: Json, method: string, raw: Json): ApiOperation {
  const content = ((raw.requestBody as Json | undefined)?.content ?? {}) as Record<string, { schema?: Json }>;
  const media = content['application/json'] ?? content['multipart/form-data'] ?? Object.values(content)[0];
  return {
    method: method.toUpperCase(),
    operationId: String(raw.operationId ?? ''),
    summary: typeof raw.summary === 'string' ? raw.summary : undefined,
    parameters: (raw.parameters ?? []) as ApiOperation['parameters'],
    body: resolve(doc, media?.schema),
  };
}

/**
 * Builds the model of the API from its OpenAPI document: every list endpoint, and, through the operationId
 * prefix they share (`repositories_file_file_`), the detail operations and actions of its objects, whose
 * paths are `{..._href}` placeholders. So a plugin's types appear here without the UI naming them.
 */
export function buildModel(doc: Json): ApiModel {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const endpoints: Endpoint[] = [];
  const placeholders: Array<{ key: string; ops: Record<string, Json> }> = [];
  for (const [key, ops] of Object.entries(paths)) {
    if (key.startsWith('{')) {
      placeholders.push({ key, ops });
      continue;
    }
    const list = ops.get;
    if (!list || !String(list.operationId).endsWith('_list') || !key.startsWith(config.apiPrefix)) continue;
    const path = key.slice(config.apiPrefix.length);
    endpoints.push({
      path,
      tag: String((list.tags as string[] | undefined)?.[0] ?? path),
      list: operationOf(doc, 'get', list),
      ...(ops.post ? { create: operationOf(doc, 'post', ops.post) } : {}),
      actions: [],
    });
  }
  const byPrefix = new Map(endpoints.map((e) => [e.list.operationId.replace(/_list$/, ''), e]));
  // The placeholder of each endpoint's objects is the path of its `_read` operation.
  const objectKey = new Map<string, Endpoint>();
  for (const { key, ops } of placeholders) {
    const read = ops.get;
    const id = read ? String(read.operationId) : '';
    const e = id.endsWith('_read') ? byPrefix.get(id.replace(/_read$/, '')) : undefined;
    if (e && /^\{[a-z0-9_]+\}$/.test(key)) {
      objectKey.set(key, e);
      e.read = operationOf(doc, 'get', read as Json);
      if (ops.put) e.update = operationOf(doc, 'put', ops.put);
      if (ops.patch) e.partialUpdate = operationOf(doc, 'patch', ops.patch);
      if (ops.delete) e.remove = operationOf(doc, 'delete', ops.delete);
    }
  }
  for (const { key, ops } of placeholders) {
    const m = /^(\{[a-z0-9_]+\})([a-z0-9_-]+\/)$/.exec(key);
    const e = m ? objectKey.get(m[1] as string) : undefined;
    if (!m || !e) continue;
    for (const [method, raw] of Object.entries(ops)) {
      e.actions.push({ name: m[2] as string, method: method.toUpperCase(), operation: operationOf(doc, method, raw) });
    }
  }
  endpoints.sort((a, b) => a.path.localeCompare(b.path));
  return { endpoints, byPath: new Map(endpoints.map((e) => [e.path, e])) };
}

let model: Promise<ApiModel> | null = null;
/** The model, fetched once per page load (the document depends only on the installed plugins). */
export function apiModel(): Promise<ApiModel> {
  model ??= get('docs/api.json').then(buildModel);
  return model;
}

/** Typed endpoints below a family (`repositories/`): `repositories/file/file/`, ... (not the generic list). */
export function typedEndpoints(m: ApiModel, family: string): Endpoint[] {
  return m.endpoints.filter((e) => e.path.startsWith(family) && e.path.split('/').filter(Boolean).length === 3);
}

/** The endpoint an object href belongs to: the longest endpoint path that prefixes it. */
export function endpointOfHref(m: ApiModel, href: string): Endpoint | undefined {
  const path = href.replace(/^https?:\/\/[^/]+/, '').slice(config.apiPrefix.length);
  let best: Endpoint | undefined;
  for (const e of m.endpoints) if (path.startsWith(e.path) && (!best || e.path.length > best.path.length)) best = e;
  return best;
}

export function hasParam(op: ApiOperation | undefined, name: string): boolean {
  return !!op?.parameters.some((p) => p.name === name);
}
