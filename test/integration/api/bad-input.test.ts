import { Writable } from 'node:stream';

import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiApp, buildApiApp } from '../../../src/api/build-app.js';
import { apiModules } from '../../../src/api/modules.js';
import { loadRegistry } from '../../../src/cli/registry.js';
import { formatTimestamp } from '../../../src/core/ids.js';
import { hashPassword } from '../../../src/core/passwords.js';
import { dateTimeFilters, identityFilters, nameFilters } from '../../../src/plugin-api/filters.js';
import { listResponse } from '../../../src/plugin-api/list.js';
import type { OperationModule } from '../../../src/plugin-api/operations.js';
import { createTestSettings, refusingDispatcher } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { createStorage } from '../../../src/storage/create-storage.js';

/** A tiny module standing for any endpoint: a create with a strict body and a filtered list over app_status. */
const testModule: OperationModule = {
  operations: [
    {
      method: 'POST',
      url: 'test-widgets/',
      pathKey: 'test-widgets/',
      operationId: 'test_widgets_create',
      tag: 'Test-Widgets',
      body: {
        name: 'TestWidget',
        schema: Type.Object({
          name: Type.String({ minLength: 1 }),
          count: Type.Optional(Type.Integer()),
          enabled: Type.Optional(Type.Boolean()),
        }),
      },
      responses: { 201: {} },
      handle: async (ctx) => ({ status: 201, body: ctx.body }),
    },
    {
      method: 'GET',
      url: 'test-widgets/',
      pathKey: 'test-widgets/',
      operationId: 'test_widgets_list',
      tag: 'Test-Widgets',
      filters: {
        filters: [
          ...nameFilters('name', 'a.name'),
          ...identityFilters('a.pulp_id'),
          ...dateTimeFilters('last_heartbeat', 'a.last_heartbeat'),
        ],
        ordering: ['name'],
      },
      responses: { 200: {} },
      handle: (ctx) =>
        listResponse(
          ctx,
          ctx.services.db.selectFrom('app_status as a').select(['a.pulp_id', 'a.name', 'a.last_heartbeat']),
          {
            filterSet: ctx.operation.filters!,
            tableAlias: 'a',
            serialize: (rows: { pulp_id: string; name: string; last_heartbeat: string }[]) =>
              rows.map((r) => ({ name: r.name, last_heartbeat: formatTimestamp(r.last_heartbeat) })),
          },
        ),
    },
  ],
};

const logLines: Record<string, unknown>[] = [];
let database: TestDatabase;
let api: ApiApp;
let auth: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const settings = await createTestSettings({ MAX_BODY_SIZE: 2048, LOG_LEVEL: 'info' });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const registry = loadRegistry(settings);
  await database.db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword('pw', 1000), is_superuser: true, is_staff: true })
    .execute();
  auth = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
  api = await buildApiApp({
    settings,
    db: database.db,
    logger: pino({ level: 'info' }, sink),
    modules: (services) => [...apiModules(registry)(services), testModule],
    dispatcher: refusingDispatcher,
    storage: await createStorage(settings),
  });
  await api.app.ready();
  for (const name of ['alpha-1', 'alpha-2', 'beta-1', 'gamma 1']) {
    await database.db
      .insertInto('app_status')
      .values({ name, app_type: 'worker', versions: '{}', pid: 1, hostname: 'h' })
      .execute();
  }
});
afterAll(async () => {
  await api.app.close();
  await database.drop();
});

const post = (payload: string | Buffer, contentType: string) =>
  api.app.inject({
    method: 'POST',
    url: '/pulp/api/v3/test-widgets/',
    payload,
    headers: { authorization: auth, 'content-type': contentType },
  });
const list = async (query: string) =>
  api.app.inject({ method: 'GET', url: `/pulp/api/v3/test-widgets/?${query}`, headers: { authorization: auth } });
const names = async (query: string) => {
  const res = await list(query);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().results as { name: string }[]).map((r) => r.name).sort();
};

describe('bad request bodies', () => {
  it('answers malformed JSON with a readable 400', async () => {
    const res = await post('{"name": "a",', 'application/json');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json().detail).toMatch(/^JSON parse error - /);
  });

  it('refuses unknown body fields, missing required ones and wrong types by field', async () => {
    const res = await post(JSON.stringify({ name: 'a', bogus: 1 }), 'application/json');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ bogus: ['Unexpected field'] });
    const missing = await post(JSON.stringify({ count: 'many' }), 'application/json');
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ name: ['This field is required.'], count: ['A valid integer is required.'] });
  });

  it('refuses oversized bodies with 413', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(4096) }), 'application/json');
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('refuses unsupported media types with 415', async () => {
    for (const type of ['text/plain', 'application/xml']) {
      const res = await post('name=a', type);
      expect(res.statusCode).toBe(415);
      expect(res.json().detail).toContain(type);
    }
  });

  it('accepts form bodies, coercing their strings to the declared types', async () => {
    const res = await post('name=a&count=3&enabled=True', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ name: 'a', count: 3, enabled: true });
    const form = new FormData();
    form.set('name', 'b');
    form.set('count', '4');
    const req = new Request('http://x/', { method: 'POST', body: form });
    const mp = await post(Buffer.from(await req.arrayBuffer()), req.headers.get('content-type') as string);
    expect(mp.statusCode, mp.body).toBe(201);
    expect(mp.json()).toEqual({ name: 'b', count: 4 });
  });
});

describe('unrouted requests', () => {
  it('answers a routed path asked with another method with 405', async () => {
    const res = await api.app.inject({
      method: 'PUT',
      url: '/pulp/api/v3/test-widgets/',
      payload: {},
      headers: { authorization: auth },
    });
    expect(res.statusCode).toBe(405);
    expect(res.json()).toEqual({ detail: 'Method "PUT" not allowed.' });
    expect(res.headers.allow).toBe('POST, GET');
  });

  it('answers an unknown path with a JSON 404', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/no-such-thing/' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/json');
  });
});

describe('list filters and q expressions', () => {
  it("refuses unknown filters with Pulp's 400", async () => {
    const res = await list('bogus=1&name=alpha-1');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ errors: ["Invalid Filter: 'bogus'"] });
  });

  it('combines filters with NOT, AND, OR and parentheses', async () => {
    expect(await names(`q=${encodeURIComponent('name__startswith=alpha AND NOT name=alpha-2')}`)).toEqual(['alpha-1']);
    expect(
      await names(`q=${encodeURIComponent('name=beta-1 OR (name__startswith=alpha AND name__contains=2)')}`),
    ).toEqual(['alpha-2', 'beta-1']);
    expect(await names(`q=${encodeURIComponent('name="gamma 1"')}`)).toEqual(['gamma 1']);
    expect(await names(`q=${encodeURIComponent('name__in=alpha-1,beta-1')}&name__startswith=beta`)).toEqual(['beta-1']);
  });

  it('answers 400 on q for syntax errors, unknown filters, bad values and too complex expressions', async () => {
    const cases: [string, string][] = [
      ['name=alpha-1 AND', 'Unexpected end of expression.'],
      ['ordering=name', "Filter 'ordering' does not exist."],
      ['nope=1', "Filter 'nope' does not exist."],
      ['pulp_id__in=not-a-uuid', 'pulp_id__in: “not-a-uuid” is not a valid UUID.'],
      ['last_heartbeat__gt=yesterday', 'last_heartbeat__gt: Enter a valid date/time.'],
      [
        'name=a OR name=b OR name=c OR name=d OR name=e OR name=f OR name=g OR name=h',
        'Filter expression exceeds allowed complexity of 8.',
      ],
    ];
    for (const [q, message] of cases) {
      const res = await list(`q=${encodeURIComponent(q)}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json(), q).toEqual({ q: [message] });
    }
  });

  it('accepts the complexity limit itself', async () => {
    // 3 terms + 4 NOTs + 1 AND group = 8; one more NOT is refused.
    const q = 'NOT name=a AND NOT name=b AND NOT NOT name__contains=a';
    expect(await names(`q=${encodeURIComponent(q)}`)).toEqual(['alpha-1', 'alpha-2', 'beta-1', 'gamma 1']);
    expect((await list(`q=${encodeURIComponent(`NOT ${q}`)}`)).statusCode).toBe(400);
  });

  it('paginates with absolute next and previous links and selects fields', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/pulp/api/v3/test-widgets/?limit=1&offset=1&ordering=name&fields=name',
      headers: { authorization: auth, host: 'pulp.example' },
    });
    const body = res.json();
    expect(body.count).toBe(4);
    expect(body.results).toEqual([{ name: 'alpha-2' }]);
    expect(body.next).toBe('http://pulp.example/pulp/api/v3/test-widgets/?limit=1&offset=2&ordering=name&fields=name');
    expect(body.previous).toBe('http://pulp.example/pulp/api/v3/test-widgets/?limit=1&ordering=name&fields=name');
  });
});

describe('logging of refused requests', () => {
  it('never logs bad input at error level or with a stack trace', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const bad = logLines.filter(
      (l) =>
        l.level === 'error' || (typeof l.level === 'number' && l.level >= 50) || JSON.stringify(l).includes('    at '),
    );
    expect(bad).toEqual([]);
  });
});
