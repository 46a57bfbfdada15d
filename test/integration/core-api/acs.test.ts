/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

let h: ApiWithTasks;
const API = '/pulp/api/v3/';
const ACS = `${API}acs/file/file/`;

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  const res = await h.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: h.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

async function remote(name: string, policy: string): Promise<string> {
  const r = await call('POST', `${API}remotes/file/file/`, { name, url: 'http://127.0.0.1:9/PULP_MANIFEST', policy });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  return r.body!.pulp_href as string;
}

beforeAll(async () => {
  h = await createApiWithTasks();
});
afterAll(async () => {
  await h.api.close();
});

describe('acs/file/file/', () => {
  it('creates, lists, filters, updates and deletes an ACS with an on_demand remote', async () => {
    const onDemand = await remote('acs-on-demand', 'on_demand');
    const created = await call('POST', ACS, { name: 'acs1', remote: onDemand, paths: ['a/', 'b/'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const acs = created.body!;
    expect(acs).toMatchObject({ name: 'acs1', remote: onDemand, paths: ['a/', 'b/'], last_refreshed: null });
    expect(acs.pulp_href).toMatch(/\/acs\/file\/file\/[0-9a-f-]{36}\/$/);
    expect(acs.prn).toBe(`prn:file.filealternatecontentsource:${acs.pulp_href.split('/').at(-2)}`);

    expect((await call('GET', acs.pulp_href)).body).toEqual(acs);
    const listed = await call('GET', `${ACS}?name__startswith=acs`);
    expect(listed.body!.count).toBe(1);
    expect((await call('GET', `${ACS}?name=nope`)).body!.count).toBe(0);

    const patched = await call('PATCH', acs.pulp_href, { paths: ['c/'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'acs1', paths: ['c/'] });
    const put = await call('PUT', acs.pulp_href, { name: 'acs2', remote: onDemand });
    expect(put.body).toMatchObject({ name: 'acs2', paths: [] });

    expect((await call('DELETE', acs.pulp_href)).status).toBe(204);
    expect((await call('GET', acs.pulp_href)).status).toBe(404);
  });

  it('refuses a remote that is not on_demand, a duplicate name and paths leaving the remote URL', async () => {
    const immediate = await remote('acs-immediate', 'immediate');
    const bad = await call('POST', ACS, { name: 'x', remote: immediate });
    expect(bad.status).toBe(400);
    expect(bad.body!.remote[0]).toContain('on_demand');

    const onDemand = await remote('acs-on-demand-2', 'on_demand');
    expect((await call('POST', ACS, { name: 'dup', remote: onDemand })).status).toBe(201);
    const dup = await call('POST', ACS, { name: 'dup', remote: onDemand });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({ name: ['This field must be unique.'] });
    expect((await call('POST', ACS, { name: 'p', remote: onDemand, paths: ['../x/'] })).body!.paths).toBeDefined();
    expect((await call('POST', ACS, { name: 'm' })).status).toBe(400);
    expect((await call('GET', `${ACS}not-a-uuid/`)).status).toBe(404);
  });

  it('is in the OpenAPI document with upstream operationIds', async () => {
    const doc = (await call('GET', `${API}docs/api.json`)).body!;
    const ops = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((p) =>
      Object.values(p).map((o: any) => o.operationId),
    );
    for (const id of ['list', 'create', 'read', 'update', 'partial_update', 'delete'])
      expect(ops).toContain(`acs_file_file_${id}`);
    expect(doc.paths['{file_file_alternate_content_source_href}']).toBeDefined();
  });
});

describe('acs/file/file/ bad input', () => {
  const unknown = `${ACS}00000000-0000-4000-8000-000000000000/`;

  it('answers 400 with a remote field error for forged or foreign remote hrefs', async () => {
    const repo = await call('POST', `${API}repositories/file/file/`, { name: 'acs-not-a-remote' });
    for (const forged of [
      `${API}remotes/file/file/not-a-uuid/`,
      `${API}remotes/file/file/00000000-0000-4000-8000-000000000000/`,
      `${API}remotes/python/python/00000000-0000-4000-8000-000000000000/`,
      repo.body!.pulp_href,
      'http://elsewhere.example/pulp/api/v3/remotes/file/file/../../x/',
      '',
    ]) {
      const r = await call('POST', ACS, { name: 'forged', remote: forged });
      expect(r.status, `${forged}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(Object.keys(r.body!), forged).toEqual(['remote']);
    }
    const onDemand = await remote('acs-bad-input', 'on_demand');
    const created = await call('POST', ACS, { name: 'bad-input', remote: onDemand });
    expect(created.status).toBe(201);
    const patched = await call('PATCH', created.body!.pulp_href, { remote: `${API}remotes/file/file/x/` });
    expect(patched.status).toBe(400);
    expect(Object.keys(patched.body!)).toEqual(['remote']);
    for (const paths of ['a/', [1], ['/abs'], ['a/../../b'], [''], null]) {
      const r = await call('PATCH', created.body!.pulp_href, { paths });
      expect(r.status, JSON.stringify(paths)).toBe(400);
      expect(Object.keys(r.body!)).toEqual(['paths']);
    }
    expect((await call('GET', created.body!.pulp_href)).body).toMatchObject({ remote: onDemand, paths: [] });
  });

  it('refuses to refresh an ACS whose remote stopped being on_demand', async () => {
    const onDemand = await remote('acs-switched', 'on_demand');
    const created = await call('POST', ACS, { name: 'switched', remote: onDemand });
    const switched = await call('PATCH', onDemand, { policy: 'immediate' });
    expect(switched.status).toBeLessThan(300);
    await h.runTasks();
    const refused = await call('POST', `${created.body!.pulp_href}refresh/`);
    expect(refused.status).toBe(400);
    expect(refused.body!.remote[0]).toContain('on_demand');
    const groups = await h.api.database.db.selectFrom('task_group').select('pulp_id').execute();
    expect(groups).toEqual([]);
  });

  it('answers 404 for an unknown ACS on every operation', async () => {
    for (const [method, url] of [
      ['GET', unknown],
      ['PATCH', unknown],
      ['PUT', unknown],
      ['DELETE', unknown],
      ['POST', `${unknown}refresh/`],
      ['POST', `${ACS}not-a-uuid/refresh/`],
    ] as const) {
      const r = await call(
        method,
        url,
        method === 'PUT' ? { name: 'x', remote: 'y' } : method === 'PATCH' ? {} : undefined,
      );
      expect(r.status, `${method} ${url}`).toBe(404);
      expect(r.body).toEqual({ detail: expect.any(String) });
    }
  });
});
