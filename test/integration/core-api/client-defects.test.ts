/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FixtureServer } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

let h: ApiWithTasks;
let fixtures: FixtureServer;
let port = 0;
const API = '/pulp/api/v3/';

async function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const res = await h.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: h.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

/** A real HTTP request, so that the header names are read as they travel on the wire. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ rawHeaders: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ rawHeaders: res.rawHeaders }));
    });
    req.on('error', reject);
    req.end();
  });
}

function rawHeader(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) return raw[i + 1];
  return undefined;
}

async function completed(href: string): Promise<Record<string, any>> {
  await h.runTasks();
  const task = await h.task(href);
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task;
}

beforeAll(async () => {
  h = await createApiWithTasks();
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.api.app.server.address() as AddressInfo).port;
  fixtures = await new FixtureServer({
    files: new Map([['dir/hello.txt', 'hello from a url\n']]),
    requireHeaders: { authorization: `Basic ${Buffer.from('bob:s3cret').toString('base64')}` },
  }).start();
});
afterAll(async () => {
  await fixtures.stop();
  await h.api.close();
});

describe('Correlation-ID', () => {
  it('is sent with exactly that spelling and exposed to browsers', async () => {
    const res = await rawGet(`${API}status/`);
    expect(rawHeader(res.rawHeaders, 'Correlation-ID')).toMatch(/^[0-9a-f]{32}$/);
    expect(rawHeader(res.rawHeaders, 'Access-Control-Expose-Headers')).toBe('Correlation-ID');
    expect(res.rawHeaders).not.toContain('correlation-id');
  });

  it('echoes a supplied UUID unchanged, hyphenated or not, and replaces anything else', async () => {
    const dashed = '0b8a1f2e-7c1d-4e5f-9a0b-1c2d3e4f5a6b';
    const plain = 'ABCDEF0123456789ABCDEF0123456789';
    expect(rawHeader((await rawGet(`${API}status/`, { 'correlation-id': dashed })).rawHeaders, 'Correlation-ID')).toBe(
      dashed,
    );
    expect(rawHeader((await rawGet(`${API}status/`, { 'Correlation-ID': plain })).rawHeaders, 'Correlation-ID')).toBe(
      plain,
    );
    const replaced = rawHeader(
      (await rawGet(`${API}status/`, { 'correlation-id': 'my-id' })).rawHeaders,
      'Correlation-ID',
    );
    expect(replaced).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is stored as the logging_cid of the tasks a request dispatches', async () => {
    const cid = '5f0c6a9e3b8d4c7f9e2a1b0c3d4e5f60';
    const res = await h.api.app.inject({
      method: 'POST',
      url: `${API}orphans/cleanup/`,
      payload: {},
      headers: { authorization: h.api.adminAuth, 'correlation-id': cid },
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['correlation-id']).toBe(cid);
    const task = await completed(res.json().task);
    expect(task.logging_cid).toBe(cid);
    const listed = await call('GET', `${API}tasks/?logging_cid=${cid}`);
    expect(listed.body!.count).toBe(1);
  });
});

describe('task resource filters', () => {
  it('reserved_resources__in requires every listed resource (one comma-joined value), other __in filters any', async () => {
    const a = await call('POST', `${API}repositories/file/file/`, { name: 'filter-a' });
    const b = await call('POST', `${API}repositories/file/file/`, { name: 'filter-b' });
    const ha = a.body!.pulp_href as string;
    const hb = b.body!.pulp_href as string;
    const ta = (await call('POST', `${ha}modify/`, {})).body!.task as string;
    const tb = (await call('POST', `${hb}modify/`, {})).body!.task as string;
    await completed(ta);
    await completed(tb);
    const domain = 'prn:core.domain:';
    const one = await call('GET', `${API}tasks/?reserved_resources__in=${encodeURIComponent(ha)}`);
    expect(one.body!.results.map((t: any) => t.pulp_href)).toEqual([ta]);
    const both = await call('GET', `${API}tasks/?reserved_resources__in=${encodeURIComponent(`${ha},${hb}`)}`);
    expect(both.body!.count).toBe(0);
    const record = (await h.task(ta)).reserved_resources_record as string[];
    const domainResource = (record.find((r) => r.includes(domain)) ?? '').replace('shared:', '');
    const withDomain = await call(
      'GET',
      `${API}tasks/?reserved_resources__in=${encodeURIComponent(`${ha},${domainResource}`)}`,
    );
    expect(withDomain.body!.results.map((t: any) => t.pulp_href)).toEqual([ta]);
    // exclusive/shared require the mode: the repository is held exclusively, the domain shared.
    const exclusive = await call('GET', `${API}tasks/?exclusive_resources__in=${encodeURIComponent(ha)}`);
    expect(exclusive.body!.count).toBe(1);
    const shared = await call('GET', `${API}tasks/?shared_resources__in=${encodeURIComponent(ha)}`);
    expect(shared.body!.count).toBe(0);
    const names = await call('GET', `${API}tasks/?pulp_href__in=${encodeURIComponent(`${ta},${tb}`)}`);
    expect(names.body!.count).toBe(2);
  });
});

describe('modify with a base version of another repository', () => {
  it('starts the new version from that version, as Pulp does', async () => {
    const upload = async (name: string, text: string) => {
      const created = await h.api.app.inject({
        method: 'POST',
        url: `${API}content/file/files/`,
        headers: { authorization: h.api.adminAuth, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `relative_path=${name}&artifact=${encodeURIComponent(
          (
            await h.api.app.inject({
              method: 'POST',
              url: `${API}artifacts/`,
              headers: {
                authorization: h.api.adminAuth,
                'content-type': 'multipart/form-data; boundary=XyZ',
              },
              payload: `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n${text}\r\n--XyZ--\r\n`,
            })
          ).json().pulp_href,
        )}`,
      });
      const task = await completed(created.json().task);
      return task.created_resources[0] as string;
    };
    const one = await upload('one.txt', 'one');
    const two = await upload('two.txt', 'two');
    const src = (await call('POST', `${API}repositories/file/file/`, { name: 'base-src' })).body!;
    const dst = (await call('POST', `${API}repositories/file/file/`, { name: 'base-dst' })).body!;
    await completed((await call('POST', `${src.pulp_href}modify/`, { add_content_units: [one] })).body!.task);
    const srcV1 = `${src.pulp_href}versions/1/`;
    const r = await call('POST', `${dst.pulp_href}modify/`, { base_version: srcV1, add_content_units: [two] });
    expect(r.status).toBe(202);
    const task = await completed(r.body!.task);
    expect(task.created_resources).toEqual([`${dst.pulp_href}versions/1/`]);
    const content = await call('GET', `${API}content/file/files/?repository_version=${dst.pulp_href}versions/1/`);
    expect(content.body!.results.map((c: any) => c.relative_path).sort()).toEqual(['one.txt', 'two.txt']);
    const version = await call('GET', `${dst.pulp_href}versions/1/`);
    expect(version.body!.base_version).toBe(srcV1);
    const missing = await call('POST', `${dst.pulp_href}modify/`, {
      base_version: `${src.pulp_href}versions/9/`,
    });
    expect(missing).toEqual({ status: 400, body: { base_version: ['Invalid hyperlink - Object does not exist.'] } });
  });
});

describe('file_url on content creation', () => {
  it('downloads the URL inside the create task, credentials moved out of the URL', async () => {
    const url = fixtures.url('dir/hello.txt').replace('http://', 'http://bob:s3cret@');
    const r = await call('POST', `${API}content/file/files/`, { relative_path: 'from/url.txt', file_url: url });
    expect(r.status).toBe(202);
    expect(fixtures.count('dir/hello.txt')).toBe(0);
    const task = await completed(r.body!.task);
    const unit = await call('GET', task.created_resources[0]);
    expect(unit.body!.relative_path).toBe('from/url.txt');
    expect(unit.body!.sha256).toBe(createHash('sha256').update('hello from a url\n').digest('hex'));
  });

  it('refuses a second source or a URL that is not http(s), and fails the task readably on a 404', async () => {
    const both = await call('POST', `${API}content/file/files/`, {
      relative_path: 'x.txt',
      file_url: fixtures.url('dir/hello.txt'),
      artifact: '/pulp/api/v3/artifacts/00000000-0000-4000-8000-000000000000/',
    });
    expect(both.status).toBe(400);
    const scheme = await call('POST', `${API}content/file/files/`, {
      relative_path: 'x.txt',
      file_url: 'file:///etc/passwd',
    });
    expect(scheme.status).toBe(400);
    expect(scheme.body!.file_url).toBeDefined();
    const r = await call('POST', `${API}content/file/files/`, {
      relative_path: 'x.txt',
      file_url: fixtures.url('missing.txt').replace('http://', 'http://bob:s3cret@'),
    });
    await h.runTasks();
    const task = await h.task(r.body!.task);
    expect(task.state).toBe('failed');
    expect((task.error as any).description).toMatch(/404/);
  });
});

describe('pagination of the group users list', () => {
  it('honours limit and offset', async () => {
    const g = (await call('POST', `${API}groups/`, { name: 'paged' })).body!;
    for (const u of ['pa', 'pb', 'pc']) {
      await call('POST', `${API}users/`, { username: u });
      expect((await call('POST', `${g.pulp_href}users/`, { username: u })).status).toBe(201);
    }
    const page = await call('GET', `${g.pulp_href}users/?limit=2&offset=1`);
    expect(page.body!.count).toBe(3);
    expect(page.body!.results.map((u: any) => u.username)).toEqual(['pb', 'pc']);
  });
});
