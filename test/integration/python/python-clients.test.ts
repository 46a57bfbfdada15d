/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { syncTuning } from '../../../src/plugins/python/sync-task.js';
import { ADMIN_PASSWORD } from '../../helpers/api.js';
import { twineUpload, Venv } from '../../helpers/python-clients.js';
import { PythonIndexServer } from '../../helpers/python-index-server.js';
import { buildSdist, buildWheel } from '../../helpers/python-packages.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

// pip and twine against pulp-ts: the API (index pages, uploads) and the content app (files) listen on
// loopback; the packages are built by the test and served by a local index.

const API = '/pulp/api/v3/';
let t: ApiWithTasks;
let content: ContentApp;
let upstream: PythonIndexServer;
let apiUrl = '';
let venv: Venv;

// dep-app needs dep-lib: pip must resolve one from the other through the index.
const app = buildWheel({
  name: 'dep-app',
  version: '1.0',
  requiresDist: ['dep-lib>=0.2'],
  source: 'from dep_lib import X\n',
});
const lib = buildSdist({ name: 'dep-lib', version: '0.2', source: 'X = 42\n' });
const libOld = buildSdist({ name: 'dep-lib', version: '0.1', source: 'X = 1\n' });
const own = buildWheel({ name: 'team-tool', version: '3.1', source: 'NAME = "team"\n' });
const ownSdist = buildSdist({ name: 'team-tool', version: '3.1', source: 'NAME = "team"\n' });
const lazy = buildSdist({ name: 'lazy-lib', version: '0.1', source: 'X = 1\n' });
const cached = buildWheel({ name: 'cache-only', version: '1.2', source: 'V = 12\n' });

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function call(method: string, url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method: method as 'GET',
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

async function finish(reply: { status: number; body: any }): Promise<any> {
  expect(reply.status).toBe(202);
  await t.runTasks();
  return t.task(reply.body.task);
}

async function distribution(name: string, fields: Record<string, unknown>): Promise<any> {
  const task = await finish(
    await call('POST', `${API}distributions/python/pypi/`, { name, base_path: name, ...fields }),
  );
  expect(task.state).toBe('completed');
  return (await call('GET', task.created_resources[0])).body;
}

const pipIndex = (basePath: string) => ['--index-url', `${apiUrl}/pypi/${basePath}/simple/`];

beforeAll(async () => {
  syncTuning.retryBaseMs = 5;
  const contentPort = await freePort();
  t = await createApiWithTasks({ CONTENT_ORIGIN: `http://127.0.0.1:${contentPort}` });
  await t.api.app.listen({ port: 0, host: '127.0.0.1' });
  apiUrl = `http://127.0.0.1:${(t.api.app.server.address() as { port: number }).port}`;
  content = await startContentApp({
    settings: t.api.settings,
    db: t.api.database.db,
    logger: pino({ level: 'silent' }),
    storage: t.api.services.storage,
    heartbeat: false,
    plugins: t.api.registry,
    host: '127.0.0.1',
    port: contentPort,
  });
  upstream = await new PythonIndexServer([app, lib, libOld], 'static').start();
  venv = await Venv.create();
}, 120_000);
afterAll(async () => {
  await venv?.remove();
  await upstream?.stop();
  await content?.close();
  await t?.api.close();
});

describe('pip and twine against pulp-ts', () => {
  it('pip installs a package and its dependency synced from a static index', async () => {
    const remote = (
      await call('POST', `${API}remotes/python/python/`, { name: 'static', url: upstream.baseUrl, policy: 'immediate' })
    ).body;
    const repo = (await call('POST', `${API}repositories/python/python/`, { name: 'synced', remote: remote.pulp_href }))
      .body;
    const task = await finish(await call('POST', `${repo.pulp_href}sync/`, {}));
    expect(task.state).toBe('completed');
    await distribution('synced', { repository: repo.pulp_href });
    const res = await venv.pip(['install', ...pipIndex('synced'), 'dep-app']);
    expect(res.code, res.stderr).toBe(0);
    const check = await venv.exec('import dep_app, dep_lib; print(dep_lib.X)');
    expect(check.stdout.trim()).toBe('42');
  }, 180_000);

  it('pip downloads from an on_demand sync (files fetched through the content app) and a publication', async () => {
    const other = await new PythonIndexServer([lazy], 'pypi').start();
    try {
      const remote = (
        await call('POST', `${API}remotes/python/python/`, { name: 'lazy', url: other.baseUrl, includes: ['lazy-lib'] })
      ).body;
      const repo = (await call('POST', `${API}repositories/python/python/`, { name: 'lazy', remote: remote.pulp_href }))
        .body;
      expect((await finish(await call('POST', `${repo.pulp_href}sync/`, {}))).state).toBe('completed');
      expect(other.count(`/packages/${lazy.filename}`)).toBe(0);
      await distribution('lazy', { repository: repo.pulp_href });
      const pub = await finish(await call('POST', `${API}publications/python/pypi/`, { repository: repo.pulp_href }));
      expect(pub.state).toBe('completed');
      const dest = path.join(tmpdir(), `pip-dl-${process.pid}`);
      const res = await venv.pip(['download', '--no-deps', '-d', dest, ...pipIndex('lazy'), 'lazy-lib==0.1']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(lazy.filename);
      expect(other.count(`/packages/${lazy.filename}`)).toBe(1);
    } finally {
      await other.stop();
    }
  }, 180_000);

  it('twine uploads a wheel and an sdist, pip installs the upload, --skip-existing passes', async () => {
    const repo = (await call('POST', `${API}repositories/python/python/`, { name: 'uploads' })).body;
    await distribution('uploads', { repository: repo.pulp_href });
    const dir = tmpdir();
    const files = [own, ownSdist].map((d) => path.join(dir, d.filename));
    await writeFile(files[0]!, own.bytes);
    await writeFile(files[1]!, ownSdist.bytes);
    const up = await twineUpload(`${apiUrl}/pypi/uploads/legacy/`, files, 'admin', ADMIN_PASSWORD);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    await t.runTasks();
    const list = await call('GET', `${API}content/python/packages/?repository_version=${repo.pulp_href}versions/2/`);
    expect(list.body.results.map((p: any) => p.filename).sort()).toEqual([ownSdist.filename, own.filename].sort());
    const again = await twineUpload(`${apiUrl}/pypi/uploads/legacy/`, files, 'admin', ADMIN_PASSWORD, [
      '--skip-existing',
    ]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const dup = await twineUpload(`${apiUrl}/pypi/uploads/legacy/`, [files[0]!], 'admin', ADMIN_PASSWORD);
    expect(dup.code).not.toBe(0);
    expect(dup.stdout + dup.stderr).toMatch(/already exists/);
    const res = await venv.pip(['install', ...pipIndex('uploads'), 'team-tool']);
    expect(res.code, res.stderr).toBe(0);
    expect((await venv.exec('import team_tool; print(team_tool.NAME)')).stdout.trim()).toBe('team');
  }, 180_000);

  it('refuses uploads where the index does not allow them', async () => {
    const repo = (await call('POST', `${API}repositories/python/python/`, { name: 'closed' })).body;
    await distribution('closed', { repository: repo.pulp_href, allow_uploads: false });
    const file = path.join(tmpdir(), own.filename);
    const res = await twineUpload(`${apiUrl}/pypi/closed/legacy/`, [file], 'admin', ADMIN_PASSWORD);
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toMatch(/403/);
  }, 60_000);

  it('pip installs through a pull-through distribution, which keeps what it fetched', async () => {
    const other = await new PythonIndexServer([cached], 'pypi').start();
    try {
      const remote = (await call('POST', `${API}remotes/python/python/`, { name: 'cache', url: other.baseUrl })).body;
      await distribution('cache', { remote: remote.pulp_href });
      expect((await call('GET', `${API}content/python/packages/?name=cache-only`)).body.count).toBe(0);
      const fresh = await Venv.create();
      try {
        const res = await fresh.pip(['install', ...pipIndex('cache'), 'cache-only']);
        expect(res.code, res.stderr).toBe(0);
        expect((await fresh.exec('import cache_only; print(cache_only.V)')).stdout.trim()).toBe('12');
      } finally {
        await fresh.remove();
      }
      expect(other.count(`/packages/${cached.filename}`)).toBe(1);
      const kept = await call('GET', `${API}content/python/packages/?name=cache-only`);
      expect(kept.body.results.map((p: any) => p.sha256)).toEqual([cached.sha256]);
      // Served from storage the second time: the upstream is not asked again.
      const dl = await venv.pip([
        'download',
        '--no-deps',
        '-d',
        path.join(tmpdir(), `pt-${process.pid}`),
        ...pipIndex('cache'),
        'cache-only',
      ]);
      expect(dl.code, dl.stderr).toBe(0);
      expect(other.count(`/packages/${cached.filename}`)).toBe(1);
    } finally {
      await other.stop();
    }
  }, 180_000);
});
