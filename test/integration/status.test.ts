import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

describe('status', () => {
  it("answers without credentials in Pulp's shape", async () => {
    await api.database.db
      .insertInto('app_status')
      .values({
        name: '123@host',
        app_type: 'worker',
        versions: JSON.stringify({ core: '3.90.0' }),
        pid: 123,
        hostname: 'host',
      })
      .execute();
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/status/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'content_settings',
        'database_connection',
        'domain_enabled',
        'online_api_apps',
        'online_content_apps',
        'online_workers',
        'redis_connection',
        'storage',
        'versions',
      ].sort(),
    );
    expect(body.versions.map((v: { component: string }) => v.component)).toEqual([
      'core',
      'file',
      'certguard',
      'python',
      'container',
    ]);
    expect(body.online_workers).toEqual([
      {
        name: '123@host',
        last_heartbeat: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        versions: { core: '3.90.0' },
      },
    ]);
    expect(body.content_settings).toEqual({ content_origin: null, content_path_prefix: '/pulp/content/' });
    expect(body.database_connection).toEqual({ connected: true });
  });

  it('echoes the Correlation-ID a client sends', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/pulp/api/v3/status/',
      headers: { 'correlation-id': '0b8a1f2e7c1d4e5f9a0b1c2d3e4f5a6b' },
    });
    expect(res.headers['correlation-id']).toBe('0b8a1f2e7c1d4e5f9a0b1c2d3e4f5a6b');
  });

  it('redirects a path without its trailing slash', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/status' });
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/pulp/api/v3/status/');
  });
});
