/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// The web UI's menu comes from the plugins: GET /ui/api/navigation/ answers every installed plugin's `ui.pages`,
// to signed-in users only, and the registry refuses bad declarations at start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../../src/core/errors.js';
import { definePlugin } from '../../../src/plugin-api/define-plugin.js';
import { buildRegistry } from '../../../src/plugin-api/registry.js';
import { builtinPlugins } from '../../../src/plugins/builtin.js';
import { createTestApi, type TestApi } from '../../helpers/api.js';

let api: TestApi;

beforeAll(async () => {
  api = await createTestApi();
}, 60_000);

afterAll(async () => {
  await api?.close();
});

describe('GET /ui/api/navigation/', () => {
  it('needs a signed-in user', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/ui/api/navigation/' });
    expect(res.statusCode).toBe(401);
    const wrong = await api.app.inject({
      method: 'GET',
      url: '/ui/api/navigation/',
      headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it("lists the python and container plugins' pages, each on a list endpoint the API has", async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/ui/api/navigation/',
      headers: { authorization: api.adminAuth },
    });
    expect(res.statusCode).toBe(200);
    const pages = res.json<{ pages: any[] }>().pages;
    const byPath = new Map(pages.map((p) => [p.path, p]));
    const packages = byPath.get('python/packages/');
    expect(packages).toMatchObject({ plugin: 'python', list: 'content/python/packages/', title: 'Python packages' });
    expect(packages.columns.map((c: any) => c.field)).toEqual(['name', 'version', 'filename', 'sha256']);
    const pypi = byPath.get('python/distributions/');
    expect(pypi.columns).toContainEqual(expect.objectContaining({ field: 'base_url', template: '{value}simple/' }));
    const registries = byPath.get('container/distributions/');
    expect(registries).toMatchObject({ plugin: 'container', list: 'distributions/container/container/' });
    expect(registries.columns).toContainEqual(
      expect.objectContaining({ field: 'registry_path', template: 'podman pull {value}' }),
    );
    for (const path of ['container/repositories/', 'container/tags/', 'container/manifests/', 'container/namespaces/'])
      expect(byPath.has(path), path).toBe(true);
    // Every declared list is a real endpoint of this server's API description.
    const doc = await api.app.inject({
      method: 'GET',
      url: '/pulp/api/v3/docs/api.json',
      headers: { authorization: api.adminAuth },
    });
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    for (const page of pages) expect(paths, page.list).toContain(`/pulp/api/v3/${page.list}`);
  });

  it('answers 404 for unknown UI endpoints instead of the page', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/ui/api/nothing/',
      headers: { authorization: api.adminAuth },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Not found.' });
  });

  it('the UI page itself carries no plugin names (the menu is read from the navigation answer)', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/ui/' });
    // 503 when the bundle is not built, else the page; neither names a plugin page.
    expect([200, 503]).toContain(res.statusCode);
    expect(res.body).not.toContain('python/packages/');
  });
});

describe('plugin UI declarations', () => {
  const plugin = (name: string, pages: any[], contentNames: any[] = []) =>
    definePlugin({ name, module: `${name}.app`, ui: { pages, contentNames } });
  const page = (path: string, list = 'content/x/things/') => ({ title: 'T', path, list, columns: [{ field: 'name' }] });

  it('refuses bad paths, duplicates, core paths and non-identifier content names, all in one report', () => {
    const a = plugin(
      'uia',
      [page('things/'), page('Bad Path'), page('tasks/mine/')],
      [{ pulpType: 'uia.x', table: 'x; DROP TABLE content', column: 'name' }],
    );
    const b = plugin('uib', [page('things/'), page('other/', 'no-slash')]);
    let error: unknown;
    try {
      buildRegistry([...builtinPlugins, a, b], [...builtinPlugins.map((p) => p.name), 'uia', 'uib']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const text = String((error as Error).message);
    expect(text).toContain("page path 'Bad Path'");
    expect(text).toContain("'tasks/mine/' is one of core's UI paths");
    expect(text).toContain("'things/' is already declared by plugin 'uia'");
    expect(text).toContain("list 'no-slash'");
    expect(text).toContain("content name of 'uia.x'");
  });

  it('accepts the built-in plugins as they are', () => {
    expect(() =>
      buildRegistry(
        builtinPlugins,
        builtinPlugins.map((p) => p.name),
      ),
    ).not.toThrow();
  });
});
