/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApi, type TestApi } from '../../helpers/api.js';

let api: TestApi;
const API = '/pulp/api/v3/';
const UP = `${API}upstream-pulps/`;

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  auth = api.adminAuth,
) {
  const res = await api.app.inject({ method, url, payload: payload as object, headers: { authorization: auth } });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

describe('upstream-pulps/', () => {
  it('creates with Pulp defaults, hides the secrets and keeps them in the row', async () => {
    const created = await call('POST', UP, {
      name: 'up1',
      base_url: 'https://upstream.example.com',
      username: 'admin',
      password: ' secret ',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const up = created.body!;
    const id = up.pulp_href.split('/').at(-2);
    expect(up.pulp_href).toBe(`${UP}${id}/`);
    expect(up).toMatchObject({
      prn: `prn:core.upstreampulp:${id}`,
      name: 'up1',
      base_url: 'https://upstream.example.com',
      api_root: 'pulp',
      domain: null,
      ca_cert: null,
      client_cert: null,
      tls_validation: true,
      q_select: null,
      policy: 'all',
      last_replication: null,
      hidden_fields: [
        { name: 'client_key', is_set: false },
        { name: 'username', is_set: true },
        { name: 'password', is_set: true },
      ],
    });
    for (const secret of ['password', 'username', 'client_key']) expect(up).not.toHaveProperty(secret);
    const row = await api.database.db
      .selectFrom('upstream_pulp')
      .selectAll()
      .where('pulp_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.password).toBe(' secret ');
    expect(row.policy).toBe('all');
    expect((await call('GET', up.pulp_href)).body).toEqual(up);
  });

  it('lists, filters, updates and deletes', async () => {
    const up = (
      await call('POST', UP, {
        name: 'up-crud',
        base_url: 'http://a.example',
        policy: 'labeled',
        q_select: 'pulp_label_select="env=prod" OR name__startswith=foo',
      })
    ).body!;
    expect(up).toMatchObject({ policy: 'labeled', q_select: 'pulp_label_select="env=prod" OR name__startswith=foo' });
    expect((await call('GET', `${UP}?name=up-crud`)).body!.count).toBe(1);
    expect((await call('GET', `${UP}?base_url__contains=a.example`)).body!.results[0].name).toBe('up-crud');
    expect((await call('GET', `${UP}?name=nope`)).body!.count).toBe(0);
    expect((await call('GET', `${UP}?last_replication__isnull=true`)).status).toBe(400);

    const patched = await call('PATCH', up.pulp_href, { policy: 'nodelete', q_select: '' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ name: 'up-crud', policy: 'nodelete', q_select: null });
    expect(patched.body!.pulp_last_updated > up.pulp_last_updated).toBe(true);
    const put = await call('PUT', up.pulp_href, { name: 'up-crud2', base_url: 'http://b.example', api_root: 'x' });
    expect(put.body).toMatchObject({ name: 'up-crud2', base_url: 'http://b.example', api_root: 'x' });

    expect((await call('DELETE', up.pulp_href)).status).toBe(204);
    expect((await call('GET', up.pulp_href)).status).toBe(404);
    expect((await call('GET', `${UP}not-a-uuid/`)).status).toBe(404);
  });

  it('answers bad input with field errors', async () => {
    expect((await call('POST', UP, { name: 'dup', base_url: 'http://x' })).status).toBe(201);
    expect((await call('POST', UP, { name: 'dup', base_url: 'http://x' })).body).toEqual({
      name: ['This field must be unique.'],
    });
    const missing = await call('POST', UP, { name: 'm' });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ base_url: ['This field is required.'] });
    const policy = await call('POST', UP, { name: 'p', base_url: 'http://x', policy: 'some' });
    expect(policy.status).toBe(400);
    expect(Object.keys(policy.body!)).toEqual(['policy']);
    for (const q of ['name=', 'name="a" AND', 'no_such_filter=1', 'name=a ) OR (']) {
      const bad = await call('POST', UP, { name: `q-${q}`, base_url: 'http://x', q_select: q });
      expect(bad.status, q).toBe(400);
      expect(Object.keys(bad.body!), q).toEqual(['q_select']);
      expect(bad.body!.q_select[0], q).toEqual(expect.any(String));
    }
    const dup = (await call('GET', `${UP}?name=dup`)).body!.results[0];
    const badPatch = await call('PATCH', dup.pulp_href, { q_select: 'pulp_type=nope.nope' });
    expect(badPatch.status).toBe(400);
    expect(Object.keys(badPatch.body!)).toEqual(['q_select']);
    expect((await call('PATCH', dup.pulp_href, { tls_validation: 'maybe' })).status).toBe(400);
    expect((await call('POST', UP, { name: 'u', base_url: 'http://x', unknown: 1 })).body).toEqual({
      unknown: ['Unexpected field'],
    });
  });

  it('is for admins by default, with Pulp roles and the roles actions', async () => {
    expect((await call('POST', `${API}users/`, { username: 'plain', password: 'a-long-password-1' })).status).toBe(201);
    const plain = `Basic ${Buffer.from('plain:a-long-password-1').toString('base64')}`;
    expect((await call('POST', UP, { name: 'by-plain', base_url: 'http://x' }, plain)).status).toBe(403);
    const own = (await call('POST', UP, { name: 'admin-owned', base_url: 'http://x' })).body!;
    expect((await call('GET', own.pulp_href, undefined, plain)).status).toBe(404);
    expect((await call('GET', `${UP}?name=admin-owned`, undefined, plain)).body!.count).toBe(0);
    const roles = await call('GET', `${API}roles/?name__startswith=core.upstreampulp`);
    expect(roles.body!.results.map((r: any) => r.name).sort()).toEqual([
      'core.upstreampulp_creator',
      'core.upstreampulp_owner',
      'core.upstreampulp_user',
      'core.upstreampulp_viewer',
    ]);
    const add = await call('POST', `${own.pulp_href}add_role/`, { role: 'core.upstreampulp_viewer', users: ['plain'] });
    expect(add.status, JSON.stringify(add.body)).toBe(201);
    expect((await call('GET', own.pulp_href, undefined, plain)).status).toBe(200);
    expect((await call('DELETE', own.pulp_href, undefined, plain)).status).toBe(403);
    const policy = await call('GET', `${API}access_policies/?viewset_name=upstream-pulps`);
    expect(policy.body!.results[0].creation_hooks[0].parameters.roles).toBe('core.upstreampulp_owner');
  });

  it('is in the OpenAPI document with Pulp operationIds', async () => {
    const doc = (await call('GET', `${API}docs/api.json`)).body!;
    const ops = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((p) =>
      Object.values(p).map((o: any) => o.operationId),
    );
    for (const id of [
      'list',
      'create',
      'read',
      'update',
      'partial_update',
      'delete',
      'replicate',
      'add_role',
      'list_roles',
    ])
      expect(ops).toContain(`upstream_pulps_${id}`);
    expect(doc.paths['{upstream_pulp_href}']).toBeDefined();
    expect(doc.paths['{upstream_pulp_href}replicate/'].post.responses['202']).toBeDefined();
    const schema = doc.components.schemas.UpstreamPulp;
    expect(schema.required.sort()).toEqual(['base_url', 'name']);
    expect(schema.properties.password.writeOnly).toBe(true);
    expect(doc.components.schemas.UpstreamPulpResponse.properties.password).toBeUndefined();
  });
});
