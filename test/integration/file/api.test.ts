/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generalCreate, generalDelete } from '../../../src/tasking/core-tasks/base.js';
import type { Dispatcher } from '../../../src/plugin-api/tasks.js';
import { publishTask } from '../../../src/plugins/file/publish-task.js';
import { synchronize } from '../../../src/plugins/file/sync-task.js';
import { createTestApi, type TestApi } from '../../helpers/api.js';
import { FixtureServer, fixtureMap, generateRepository } from '../../helpers/fixture-server.js';
import { createTaskContext, createTestServices } from '../../helpers/task-context.js';

interface Dispatched {
  name: string;
  args: Record<string, unknown>;
  options: Record<string, unknown>;
}
const dispatched: Dispatched[] = [];
// Records dispatches; the tests run the task functions themselves (the worker is tested by tasking's tests).
const recordingDispatcher: Dispatcher = {
  dispatch: (name, args, options) => {
    dispatched.push({ name, args, options: options as Record<string, unknown> });
    return Promise.resolve({
      pulp_id: '00000000-0000-4000-8000-000000000000',
      href: '/pulp/api/v3/tasks/00000000-0000-4000-8000-000000000000/',
    });
  },
};

let api: TestApi;
const API = '/pulp/api/v3/';

async function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const res = await api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

beforeAll(async () => {
  api = await createTestApi({ dispatcher: recordingDispatcher });
});
afterAll(async () => {
  await api.close();
});

describe('file remotes and repositories over HTTP', () => {
  it('creates a remote whose secrets are write-only and listed in hidden_fields', async () => {
    const r = await call('POST', `${API}remotes/file/file/`, {
      name: 'r1',
      url: 'http://127.0.0.1:1/PULP_MANIFEST',
      username: 'u',
      password: 'p',
      policy: 'on_demand',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'r1',
      policy: 'on_demand',
      tls_validation: true,
      headers: null,
      download_concurrency: null,
    });
    expect(r.body).not.toHaveProperty('password');
    expect(r.body!.hidden_fields).toEqual([
      { name: 'client_key', is_set: false },
      { name: 'proxy_username', is_set: false },
      { name: 'proxy_password', is_set: false },
      { name: 'username', is_set: true },
      { name: 'password', is_set: true },
    ]);
    expect(r.body!.pulp_href).toMatch(/^\/pulp\/api\/v3\/remotes\/file\/file\/[0-9a-f-]{36}\/$/);
    const dup = await call('POST', `${API}remotes/file/file/`, { name: 'r1', url: 'http://127.0.0.1:1/PULP_MANIFEST' });
    expect(dup).toEqual({ status: 400, body: { name: ['This field must be unique.'] } });
    const creds = await call('POST', `${API}remotes/file/file/`, {
      name: 'r2',
      url: 'http://a:b@127.0.0.1/PULP_MANIFEST',
    });
    expect(creds.status).toBe(400);
    const list = await call('GET', `${API}remotes/file/file/?name=r1`);
    expect(list.body!.count).toBe(1);
  });

  it('creates a repository with version 0 and refuses a mirror sync of an autopublished repository', async () => {
    const r = await call('POST', `${API}repositories/file/file/`, { name: 'repo1', autopublish: true });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'repo1',
      autopublish: true,
      manifest: 'PULP_MANIFEST',
      remote: null,
      last_sync_details: {},
      description: null,
    });
    expect(r.body!.latest_version_href).toBe(`${r.body!.pulp_href}versions/0/`);
    const remote = await call('POST', `${API}remotes/file/file/`, {
      name: 'r-mirror',
      url: 'http://127.0.0.1:1/PULP_MANIFEST',
    });
    const s = await call('POST', `${r.body!.pulp_href}sync/`, { remote: remote.body!.pulp_href, mirror: true });
    expect(s).toEqual({ status: 400, body: ['Cannot use mirror mode with autopublished repository.'] });
    const noRemote = await call('POST', `${r.body!.pulp_href}sync/`, {});
    expect(noRemote.status).toBe(400);
    expect(noRemote.body).toHaveProperty('remote');
  });

  it('syncs, versions and publishes through the API operations and the task functions', async () => {
    const { files, manifest } = generateRepository(['one.txt', 'two/three.txt']);
    const server = await new FixtureServer({ files: fixtureMap(files, manifest) }).start();
    try {
      const remote = await call('POST', `${API}remotes/file/file/`, {
        name: 'r-flow',
        url: server.url('PULP_MANIFEST'),
      });
      const repo = await call('POST', `${API}repositories/file/file/`, {
        name: 'flow',
        remote: remote.body!.pulp_href,
      });
      expect(repo.body!.remote).toBe(remote.body!.pulp_href);
      const s = await call('POST', `${repo.body!.pulp_href}sync/`, {});
      expect(s.status).toBe(202);
      const d = dispatched.pop()!;
      expect(d.name).toBe('pulp_file.app.tasks.synchronizing.synchronize');
      expect(d.options.exclusiveResources).toEqual([
        `prn:file.filerepository:${repo.body!.pulp_href.split('/').at(-2)}`,
      ]);
      expect(d.options.sharedResources).toEqual([`prn:file.fileremote:${remote.body!.pulp_href.split('/').at(-2)}`]);
      const services = await createTestServices(api.database.db, api.settings);
      await synchronize(createTaskContext(services, d.args));

      const after = await call('GET', repo.body!.pulp_href);
      expect(after.body!.latest_version_href).toBe(`${repo.body!.pulp_href}versions/1/`);
      expect(after.body!.last_sync_details).toMatchObject({
        url: server.url('PULP_MANIFEST'),
        mirror: false,
        most_recent_version: 1,
      });
      const v1 = await call('GET', after.body!.latest_version_href);
      expect(v1.body!.content_summary.present['file.file'].count).toBe(2);
      const content = await call(
        'GET',
        `${API}content/file/files/?repository_version=${after.body!.latest_version_href}&ordering=relative_path`,
      );
      expect(content.body!.count).toBe(2);
      expect(content.body!.results.map((c: any) => [c.relative_path, c.sha256])).toEqual(
        files.map((f) => [f.relativePath, f.sha256]),
      );
      expect(content.body!.results[0].artifact).toMatch(/^\/pulp\/api\/v3\/artifacts\/[0-9a-f-]{36}\/$/);
      const one = await call('GET', `${API}content/file/files/?relative_path=one.txt&sha256=${files[0]!.sha256}`);
      expect(one.body!.count).toBe(1);
      expect((await call('GET', one.body!.results[0].pulp_href)).body).toEqual(one.body!.results[0]);

      const p = await call('POST', `${API}publications/file/file/`, { repository: repo.body!.pulp_href });
      expect(p.status).toBe(202);
      const pd = dispatched.pop()!;
      expect(pd.name).toBe('pulp_file.app.tasks.publishing.publish');
      const ctx = createTaskContext(services, pd.args);
      const pub = (await publishTask(ctx)) as Record<string, any>;
      expect(pub.repository_version).toBe(`${repo.body!.pulp_href}versions/1/`);
      expect(pub.manifest).toBe('PULP_MANIFEST');
      const read = await call('GET', pub.pulp_href);
      expect(read.body).toEqual(pub);
      const both = await call('POST', `${API}publications/file/file/`, {
        repository: repo.body!.pulp_href,
        repository_version: pub.repository_version,
      });
      expect(both.status).toBe(400);
      // Distribute the publication (general_create runs from the recorded dispatch).
      const dist = await call('POST', `${API}distributions/file/file/`, {
        name: 'flow',
        base_path: 'flow/files',
        publication: pub.pulp_href,
      });
      expect(dist.status).toBe(202);
      const dd = dispatched.pop()!;
      expect(dd.name).toBe('pulpcore.app.tasks.base.general_create');
      expect(dd.options.exclusiveResources).toEqual([
        'pdrn:018f6f3e-0000-7000-8000-000000000001:distribution.base_path',
      ]);
      const created = (await generalCreate(createTaskContext(services, dd.args))) as Record<string, any>;
      expect(created).toMatchObject({
        name: 'flow',
        base_path: 'flow/files',
        base_url: '/pulp/content/flow/files/',
        publication: pub.pulp_href,
        repository: null,
        hidden: false,
      });
      expect((await call('GET', created.pulp_href)).body).toEqual(created);
      const nested = await call('POST', `${API}distributions/file/file/`, {
        name: 'inner',
        base_path: 'flow/files/inner',
      });
      expect(nested).toEqual({
        status: 400,
        body: { base_path: { base_path: "Overlaps with existing distribution 'flow'" } },
      });
      const outer = await call('POST', `${API}distributions/file/file/`, { name: 'outer', base_path: 'flow' });
      expect(outer.status).toBe(400);
      const same = await call('POST', `${API}distributions/file/file/`, { name: 'same', base_path: 'flow/files' });
      expect(same).toEqual({ status: 400, body: { base_path: ['This field must be unique.'] } });
      const bad = await call('POST', `${API}distributions/file/file/`, { name: 'bad', base_path: '/lead' });
      expect(bad.status).toBe(400);
      const bothDist = await call('POST', `${API}distributions/file/file/`, {
        name: 'both',
        base_path: 'both',
        publication: pub.pulp_href,
        repository: repo.body!.pulp_href,
      });
      expect(bothDist.status).toBe(400);
      const pubRead = await call('GET', pub.pulp_href);
      expect(pubRead.body!.distributions).toEqual([created.pulp_href]);
      const del0 = await call('DELETE', created.pulp_href);
      expect(del0.status).toBe(202);
      await generalDelete(createTaskContext(services, dispatched.pop()!.args));
      expect((await call('GET', created.pulp_href)).status).toBe(404);

      const del = await call('DELETE', pub.pulp_href);
      expect(del.status).toBe(204);
      expect((await call('GET', pub.pulp_href)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('uploads a unit synchronously, reuses it on a repeat and refuses unsafe paths', async () => {
    const post = (relativePath: string) => {
      const b = 'UPB';
      const payload = [
        `--${b}\r\nContent-Disposition: form-data; name="relative_path"\r\n\r\n${relativePath}\r\n`,
        `--${b}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nhello upload\r\n`,
        `--${b}--\r\n`,
      ].join('');
      return api.app.inject({
        method: 'POST',
        url: `${API}content/file/files/upload/`,
        payload,
        headers: { authorization: api.adminAuth, 'content-type': `multipart/form-data; boundary=${b}` },
      });
    };
    const first = await post('up/hello.txt');
    expect(first.statusCode).toBe(201);
    const body = first.json();
    expect(body).toMatchObject({
      relative_path: 'up/hello.txt',
      sha256: createHash('sha256').update('hello upload').digest('hex'),
    });
    const again = await post('up/hello.txt');
    expect(again.json().pulp_href).toBe(body.pulp_href);
    for (const bad of ['../up.txt', 'a/./b', 'x\u0000y']) expect((await post(bad)).statusCode, bad).toBe(400);
  });
});
