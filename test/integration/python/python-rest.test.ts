/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncTuning } from '../../../src/plugins/python/sync-task.js';
import { buildSdist, buildWheel } from '../../helpers/python-packages.js';
import { PythonIndexServer } from '../../helpers/python-index-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
let t: ApiWithTasks;
let index: PythonIndexServer;
const alpha = buildWheel({ name: 'rest-alpha', version: '1.0', requiresDist: ['rest-beta'] });
const alpha2 = buildWheel({ name: 'rest-alpha', version: '2.0b1' });
const beta = buildSdist({ name: 'Rest_Beta', version: '0.5' });

async function call(method: string, url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method: method as 'GET',
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null, headers: res.headers };
}

function multipart(fields: Record<string, string>, file: { field: string; name: string; bytes: Buffer }) {
  const boundary = `----pulpts${Date.now()}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function finish(reply: { status: number; body: any }): Promise<any> {
  expect(reply.status).toBe(202);
  await t.runTasks();
  return t.task(reply.body.task);
}

beforeAll(async () => {
  syncTuning.retryBaseMs = 5;
  t = await createApiWithTasks({ PYPI_API_HOSTNAME: 'https://pypi.example', CONTENT_ORIGIN: 'http://content.example' });
  index = await new PythonIndexServer([alpha, alpha2, beta]).start();
});
afterAll(async () => {
  await index?.stop();
  await t?.api.close();
});

describe('python REST endpoints', () => {
  it('creates remotes with pulp_python defaults and refuses bad specifiers', async () => {
    const r = await call('POST', `${API}remotes/python/python/`, { name: 'r1', url: index.baseUrl });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      policy: 'on_demand',
      includes: [],
      excludes: [],
      prereleases: false,
      package_types: [],
      keep_latest_packages: 0,
      exclude_platforms: [],
    });
    expect(r.body.pulp_href).toMatch(/\/remotes\/python\/python\/[0-9a-f-]{36}\/$/);
    const bad = await call('POST', `${API}remotes/python/python/`, {
      name: 'r2',
      url: index.baseUrl,
      includes: ['not a specifier!'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.includes[0]).toMatch(/includes specifier not a specifier! is invalid/);
    const platform = await call('POST', `${API}remotes/python/python/`, {
      name: 'r3',
      url: index.baseUrl,
      exclude_platforms: ['amiga'],
    });
    expect(platform.status).toBe(400);
    expect(JSON.stringify(platform.body)).toMatch(/exclude_platforms/);
  });

  it('creates a remote from a bandersnatch config', async () => {
    const config = [
      '[mirror]',
      `master = ${index.baseUrl}`,
      'workers = 3',
      '[plugins]',
      'enabled =',
      '    allowlist_project',
      '    latest_release',
      '[allowlist]',
      'packages =',
      '    rest-alpha',
      '    rest-beta>=0.1',
      '[latest_release]',
      'keep = 2',
    ].join('\n');
    const form = multipart(
      { name: 'bander' },
      { field: 'config', name: 'bandersnatch.conf', bytes: Buffer.from(config) },
    );
    const res = await t.api.app.inject({
      method: 'POST',
      url: `${API}remotes/python/python/from_bandersnatch/`,
      payload: form.payload,
      headers: { ...form.headers, authorization: t.api.adminAuth },
    });
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({
      name: 'bander',
      url: index.baseUrl,
      download_concurrency: 3,
      includes: ['rest-alpha', 'rest-beta>=0.1'],
      keep_latest_packages: 2,
      prereleases: true,
      policy: 'on_demand',
    });
  });

  it('uploads a package synchronously with its metadata, and lists it with filters', async () => {
    const form = multipart({}, { field: 'file', name: beta.filename, bytes: beta.bytes });
    const res = await t.api.app.inject({
      method: 'POST',
      url: `${API}content/python/packages/upload/`,
      payload: form.payload,
      headers: { ...form.headers, authorization: t.api.adminAuth },
    });
    expect(res.statusCode).toBe(201);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({
      filename: beta.filename,
      name: 'Rest_Beta',
      version: '0.5',
      packagetype: 'sdist',
      sha256: beta.sha256,
      size: beta.bytes.length,
      metadata_sha256: null,
    });
    expect(body.artifact).toMatch(/\/artifacts\/[0-9a-f-]{36}\/$/);
    const list = await call('GET', `${API}content/python/packages/?name=Rest_Beta&packagetype=sdist`);
    expect(list.body.count).toBe(1);
    expect((await call('GET', `${API}content/python/packages/?filename__contains=nothing`)).body.count).toBe(0);
  });

  it('creates content asynchronously into a repository, and serves it on /pypi/', async () => {
    const repo = (await call('POST', `${API}repositories/python/python/`, { name: 'hosted' })).body;
    expect(repo.autopublish).toBe(false);
    const form = multipart(
      { relative_path: alpha.filename, repository: repo.pulp_href },
      { field: 'file', name: alpha.filename, bytes: alpha.bytes },
    );
    const res = await t.api.app.inject({
      method: 'POST',
      url: `${API}content/python/packages/`,
      payload: form.payload,
      headers: { ...form.headers, authorization: t.api.adminAuth },
    });
    const task = await finish({ status: res.statusCode, body: JSON.parse(res.body) });
    expect(task.state).toBe('completed');
    expect(task.created_resources[0]).toBe(`${repo.pulp_href}versions/1/`);
    const pkg = (await call('GET', task.created_resources[1])).body;
    expect(pkg).toMatchObject({ name: 'rest-alpha', version: '1.0', requires_dist: ['rest-beta'] });
    expect(pkg.metadata_sha256).toMatch(/^[0-9a-f]{64}$/);
    const dist = await finish(
      await call('POST', `${API}distributions/python/pypi/`, {
        name: 'hosted',
        base_path: 'hosted',
        repository: repo.pulp_href,
      }),
    );
    const d = (await call('GET', dist.created_resources[0])).body;
    expect(d).toMatchObject({ allow_uploads: true, base_url: 'https://pypi.example/pypi/hosted/', remote: null });
    const page = await t.api.app.inject({ url: '/pypi/hosted/simple/rest-alpha/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`http://content.example/pulp/content/hosted/${alpha.filename}#sha256=${alpha.sha256}`);
    // A publication: the API's simple pages now redirect to the published ones.
    const pub = await finish(await call('POST', `${API}publications/python/pypi/`, { repository: repo.pulp_href }));
    expect(pub.state).toBe('completed');
    const redirect = await t.api.app.inject({ url: '/pypi/hosted/simple/rest-alpha/' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('http://content.example/pulp/content/hosted/simple/rest-alpha/');
  });

  it('syncs the included projects with specifiers from a PyPI-like index', async () => {
    const remote = (
      await call('POST', `${API}remotes/python/python/`, {
        name: 'inc',
        url: index.baseUrl,
        includes: ['rest-alpha>=1.0', 'rest-beta'],
      })
    ).body;
    const repo = (await call('POST', `${API}repositories/python/python/`, { name: 'mirror', remote: remote.pulp_href }))
      .body;
    const task = await finish(await call('POST', `${repo.pulp_href}sync/`, {}));
    expect(task.state).toBe('completed');
    const list = await call('GET', `${API}content/python/packages/?repository_version=${repo.pulp_href}versions/1/`);
    // 2.0b1 is a prerelease, which the remote does not take.
    expect(list.body.results.map((p: any) => p.filename).sort()).toEqual([alpha.filename, beta.filename].sort());
    expect(index.count('/pypi/rest-alpha/json')).toBeGreaterThan(0);
  });

  it('fails a sync naming the project that cannot be fetched', async () => {
    const remote = (
      await call('POST', `${API}remotes/python/python/`, { name: 'missing', url: index.baseUrl, includes: ['nope'] })
    ).body;
    const repo = (
      await call('POST', `${API}repositories/python/python/`, { name: 'missing', remote: remote.pulp_href })
    ).body;
    const task = await finish(await call('POST', `${repo.pulp_href}sync/`, {}));
    expect(task.state).toBe('failed');
    expect(task.error.description).toMatch(/nope/);
  });
});
