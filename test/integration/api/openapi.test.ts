import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { createTestApi, type TestApi } from '../../helpers/api.js';
import { openApiProblems } from '../../helpers/openapi-strict.js';

let api: TestApi;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking an untyped JSON document
type Json = Record<string, any>;
let doc: Json;

beforeAll(async () => {
  api = await createTestApi();
  const res = await api.app.inject({
    method: 'GET',
    url: '/pulp/api/v3/docs/api.json',
    headers: { host: 'pulp.example:24817' },
  });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(async () => {
  await api.close();
});

function operations(d: Json): { path: string; method: string; op: Json }[] {
  return Object.entries(d.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => ({ path, method, op: op as Json })),
  );
}

function find(operationId: string): { path: string; method: string; op: Json } {
  const hit = operations(doc).find((o) => o.op.operationId === operationId);
  if (!hit) throw new Error(`no operation ${operationId}`);
  return hit;
}

describe('the OpenAPI document', () => {
  it('is served without credentials as application/json', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/docs/api.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('passes the strict checks newer pulp-glue applies', () => {
    expect(openApiProblems(doc)).toEqual([]);
  });

  it('advertises the same versions as /status/ and no domains', async () => {
    const status = (await api.app.inject({ method: 'GET', url: '/pulp/api/v3/status/' })).json();
    const fromStatus = Object.fromEntries(status.versions.map((v: Json) => [v.component, v.version]));
    expect(doc.openapi).toBe('3.1.1');
    expect(doc.info['x-pulp-app-versions']).toEqual(fromStatus);
    expect(doc.info['x-pulp-app-versions'].core).toMatch(/^\d+\.\d+\.\d+$/);
    expect(doc.info['x-pulp-domain-enabled']).toBe(false);
    expect(doc.servers).toEqual([{ url: 'http://pulp.example:24817/' }]);
    expect(doc.components.securitySchemes).toEqual({
      basicAuth: { type: 'http', scheme: 'basic' },
      cookieAuth: { type: 'apiKey', in: 'cookie', name: 'sessionid' },
    });
  });

  it('leaves security off the unauthenticated operations and puts it on the others', () => {
    expect(find('status_read').op.security).toBeUndefined();
    expect(find('livez_read').op.security).toBeUndefined();
    expect(find('status_read').path).toBe('/pulp/api/v3/status/');
    const authenticated = operations(doc).filter((o) => !['status_read', 'livez_read'].includes(o.op.operationId));
    expect(authenticated.length).toBeGreaterThan(0);
    for (const o of authenticated)
      expect(o.op.security, o.op.operationId).toEqual([{ basicAuth: [] }, { cookieAuth: [] }]);
  });

  it('keys object operations by an href placeholder with one required path parameter', () => {
    const objectOps = operations(doc).filter((o) => o.path.startsWith('{'));
    expect(objectOps.length).toBeGreaterThan(0);
    for (const { path, op } of objectOps) {
      const name = /^\{([a-z0-9_]+_href)\}/.exec(path)?.[1];
      expect(name, path).toBeDefined();
      expect(op.parameters.filter((p: Json) => p.in === 'path')).toEqual([
        { in: 'path', name, schema: { type: 'string' }, required: true },
      ]);
    }
    for (const { path } of operations(doc).filter((o) => !o.path.startsWith('{')))
      expect(path).toMatch(/^\/pulp\/api\/v3\/.*\/$/);
  });

  it('declares pagination, ordering, field selection and the diagnostics header on list operations', () => {
    for (const { op } of operations(doc).filter((o) => o.method === 'get')) {
      const byName = Object.fromEntries(op.parameters.map((p: Json) => [p.name, p]));
      expect(byName.fields, op.operationId).toBeDefined();
      expect(byName.exclude_fields, op.operationId).toBeDefined();
    }
    // Filtered lists (those with an ordering); lists without a filterset declare only what they take.
    const lists = operations(doc).filter(
      (o) => o.method === 'get' && o.op.parameters.some((p: Json) => p.name === 'ordering'),
    );
    expect(lists.length).toBeGreaterThan(0);
    for (const { op } of lists) {
      const byName = Object.fromEntries(op.parameters.map((p: Json) => [p.name, p]));
      expect(byName.limit?.schema, op.operationId).toEqual({ type: 'integer' });
      expect(byName.offset?.schema).toEqual({ type: 'integer' });
      expect(byName.ordering).toMatchObject({ in: 'query', style: 'form', explode: false, schema: { type: 'array' } });
      expect(byName.ordering.schema.items.enum).toEqual(expect.arrayContaining(['pulp_created', '-pulp_created']));
      expect(byName.fields).toEqual(
        expect.objectContaining({ in: 'query', schema: { type: 'array', items: { type: 'string' } } }),
      );
      expect(byName.exclude_fields).toBeDefined();
      expect(byName['X-Task-Diagnostics']).toMatchObject({
        in: 'header',
        schema: { type: 'array', items: { type: 'string' } },
      });
      for (const p of op.parameters.filter((x: Json) => /__(in|range)$/.test(x.name))) {
        expect(p, `${op.operationId} ${p.name}`).toMatchObject({
          style: 'form',
          explode: false,
          schema: { type: 'array' },
        });
      }
    }
  });

  it('gives every request body its encodings and requires it, with Patched components for PATCH', () => {
    for (const { op, method } of operations(doc).filter((o) => o.op.requestBody)) {
      const types = Object.keys(op.requestBody.content);
      expect(op.requestBody.required).toBe(true);
      expect([
        ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
        ['multipart/form-data', 'application/x-www-form-urlencoded'],
      ]).toContainEqual(types);
      const ref: string = op.requestBody.content[types[0] as string].schema.$ref;
      if (method === 'patch') {
        expect(ref).toMatch(/\/Patched[^/]+$/);
        expect(doc.components.schemas[ref.split('/').pop() as string].required).toBeUndefined();
      }
    }
  });

  it('shows response fields with at most one level of anyOf', () => {
    const problems: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) {
      if (!name.endsWith('Response')) continue;
      for (const [field, prop] of Object.entries((schema as Json).properties ?? {})) {
        const p = prop as Json;
        if ((p.anyOf ?? []).some((s: Json) => s.anyOf)) problems.push(`${name}.${field} nests anyOf`);
      }
    }
    expect(problems).toEqual([]);
    expect(doc.components.schemas['file.FilePublicationResponse'].properties.manifest).toEqual({
      default: 'PULP_MANIFEST',
      anyOf: [{ type: 'string' }, { type: 'null' }],
    });
    expect(doc.components.schemas['file.FilePublicationResponse'].required).toContain('manifest');
  });

  it('is the same document as YAML', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/pulp/api/v3/docs/api.yaml',
      headers: { host: 'pulp.example:24817' },
    });
    expect(res.statusCode).toBe(200);
    expect(parseYaml(res.body)).toEqual(doc);
  });

  it('keeps only the operations of the requested components', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/docs/api.json?component=core' });
    expect(res.statusCode).toBe(200);
    const core = res.json();
    expect(core.info['x-pulp-app-versions']).toEqual(doc.info['x-pulp-app-versions']);
    expect(operations(core).map((o) => o.op.operationId)).toContain('status_read');
    expect(Object.keys(core.paths).filter((p) => /\/(file|certguard)\//.test(p))).toEqual([]);
    const bad = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/docs/api.json?component=nope' });
    expect(bad.statusCode).toBe(400);
  });

  it('shortens generated operationIds for binding generators and keeps the fixed ones', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/docs/api.json?bindings=1' });
    const ids = operations(res.json()).map((o) => o.op.operationId);
    expect(ids).toContain('status_read');
    expect(ids).toContain('livez_read');
    expect(ids).not.toContain(
      find(operations(doc).find((o) => /_list$/.test(o.op.operationId))?.op.operationId).op.operationId,
    );
    expect(ids).toContain('list');
  });

  it('uses router paths with ?pk_path=1', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/docs/api.json?pk_path=1' });
    const paths = Object.keys(res.json().paths);
    expect(paths.every((p) => p.startsWith('/pulp/api/v3/'))).toBe(true);
    expect(openApiProblems(res.json(), { pkPath: true })).toEqual([]);
  });
});

describe('filters in the document and on the server agree', () => {
  const RESERVED = new Set(['limit', 'offset', 'ordering', 'fields', 'exclude_fields', 'q']);
  function sample(schema: Json): string {
    if (schema.type === 'integer' || schema.type === 'number') return '1';
    if (schema.type === 'boolean') return 'true';
    if (schema.format === 'date-time') return '2020-01-01T00:00:00.000000Z';
    if (schema.type === 'array') return sample(schema.items ?? {});
    if (Array.isArray(schema.enum)) return String(schema.enum[0]);
    if (schema.format === 'uuid') return '0190b1f4-8a4c-7a43-9f43-7f1f3a1c2b3d';
    return 'x';
  }

  it('accepts every declared filter of every collection list and refuses undeclared ones', async () => {
    const lists = operations(doc).filter(
      (o) => o.method === 'get' && !o.path.includes('{') && o.op.parameters.some((p: Json) => p.name === 'ordering'),
    );
    expect(lists.length).toBeGreaterThan(0);
    for (const { path, op } of lists) {
      const refused = await api.app.inject({
        method: 'GET',
        url: `${path}?no_such_filter=1`,
        headers: { authorization: api.adminAuth },
      });
      expect(refused.statusCode, op.operationId).toBe(400);
      expect(refused.json(), op.operationId).toEqual({ errors: ["Invalid Filter: 'no_such_filter'"] });
      for (const p of op.parameters.filter((x: Json) => x.in === 'query' && !RESERVED.has(x.name))) {
        const url = `${path}?${encodeURIComponent(p.name)}=${encodeURIComponent(sample(p.schema))}`;
        const res = await api.app.inject({ method: 'GET', url, headers: { authorization: api.adminAuth } });
        expect(res.statusCode, `${op.operationId} ${p.name}: ${res.body}`).toBeLessThan(500);
        expect(res.body, `${op.operationId} ${p.name}`).not.toContain('Invalid Filter');
      }
    }
  });
});

describe('browsable docs', () => {
  it.each(['/pulp/api/v3/docs/', '/pulp/api/v3/swagger/'])(
    '%s is an HTML page whose assets are all served locally',
    async (url) => {
      const res = await api.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).not.toMatch(/(src|href)="https?:/);
      const assets = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const asset of assets) {
        const a = await api.app.inject({ method: 'GET', url: asset });
        expect(a.statusCode, asset).toBe(200);
        expect(a.body.length, asset).toBeGreaterThan(0);
      }
    },
  );

  it('serves nothing outside its asset list', async () => {
    for (const name of ['package.json', '..%2Fpackage.json', 'index.html']) {
      const res = await api.app.inject({ method: 'GET', url: `/pulp/api/v3/docs/assets/${name}` });
      expect(res.statusCode, name).toBe(404);
    }
  });
});

describe('API root and liveness', () => {
  it('lists the collection endpoints with absolute URLs, without credentials', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/', headers: { host: 'pulp.example:24817' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json();
    expect(body.status).toBe('http://pulp.example:24817/pulp/api/v3/status/');
    for (const url of Object.values(body)) expect(url).toMatch(/^http:\/\/pulp\.example:24817\/pulp\/api\/v3\/.+\/$/);
  });

  it('answers livez with 200 and an empty body', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/livez/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });
});
