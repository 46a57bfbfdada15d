/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { importArtifactFromFile } from '../../../src/plugin-api/artifacts.js';
import { writeTempFile } from '../../helpers/task-context.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import { fileDb } from '../../../src/plugins/file/tables.js';

let ctx: ApiWithTasks;
const API = '/pulp/api/v3/';
let repoHref: string;
let remoteHref: string;
const units: { id: string; href: string; artifact: string }[] = [];

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
  const res = await ctx.api.app.inject({ method, url, payload, headers: { authorization: ctx.api.adminAuth } });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

async function fileUnit(relativePath: string) {
  const services = ctx.api.services;
  const a = await importArtifactFromFile(services, await writeTempFile(services, randomBytes(50)));
  const c = await services.db
    .insertInto('content')
    .values({ pulp_type: 'file.file', pulp_labels: { tier: relativePath }, upstream_id: null })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  await fileDb(services.db)
    .insertInto('file_content')
    .values({ content_id: c.pulp_id, relative_path: relativePath, digest: a.sha256 })
    .execute();
  await services.db
    .insertInto('content_artifact')
    .values({ content_id: c.pulp_id, artifact_id: a.pulp_id, relative_path: relativePath })
    .execute();
  return { id: c.pulp_id, href: `${API}content/file/files/${c.pulp_id}/`, artifact: `${API}artifacts/${a.pulp_id}/` };
}

async function modify(body: object) {
  const r = await call('POST', `${repoHref}modify/`, body);
  expect(r.status).toBe(202);
  await ctx.runTasks();
  return ctx.task(r.body!.task as string);
}

beforeAll(async () => {
  ctx = await createApiWithTasks();
  const remote = await call('POST', `${API}remotes/file/file/`, {
    name: 'gl-remote',
    url: 'http://127.0.0.1:1/PULP_MANIFEST',
  });
  remoteHref = remote.body!.pulp_href as string;
  const repo = await call('POST', `${API}repositories/file/file/`, {
    name: 'gl-repo',
    remote: remoteHref,
    pulp_labels: { env: 'prod' },
  });
  expect(repo.status).toBe(201);
  repoHref = repo.body!.pulp_href as string;
  await call('POST', `${API}repositories/file/file/`, { name: 'gl-other', pulp_labels: { env: 'dev' } });
  for (const p of ['a.txt', 'b.txt', 'c.txt']) units.push(await fileUnit(p));
});
afterAll(async () => {
  await ctx.api.close();
});

describe('modify and versions through the API', () => {
  it('modify creates a version with its content_summary; a no-op modify creates none', async () => {
    const [a, b] = units as [(typeof units)[0], (typeof units)[0]];
    const task = await modify({ add_content_units: [a.href, b.href] });
    expect(task).toMatchObject({
      state: 'completed',
      name: 'pulpcore.app.tasks.repository.add_and_remove',
      created_resources: [`${repoHref}versions/1/`],
    });
    const v1 = await call('GET', `${repoHref}versions/1/`);
    expect(v1.body).toMatchObject({
      pulp_href: `${repoHref}versions/1/`,
      number: 1,
      repository: repoHref,
      base_version: null,
      content_summary: {
        added: {
          'file.file': { count: 2, href: `${API}content/file/files/?repository_version_added=${repoHref}versions/1/` },
        },
        removed: {},
        present: {
          'file.file': { count: 2, href: `${API}content/file/files/?repository_version=${repoHref}versions/1/` },
        },
      },
    });
    expect(v1.body!.prn).toMatch(/^prn:core\.repositoryversion:[0-9a-f-]{36}$/);
    const noop = await modify({ add_content_units: [a.href] });
    expect(noop).toMatchObject({ state: 'completed', created_resources: [] });
    const repo = await call('GET', repoHref);
    expect(repo.body!.latest_version_href).toBe(`${repoHref}versions/1/`);
  });

  it('modify with base_version and removal of everything', async () => {
    const c = units[2]!;
    const t2 = await modify({ remove_content_units: ['*'], add_content_units: [c.href] });
    expect(t2.created_resources).toEqual([`${repoHref}versions/2/`]);
    const t3 = await modify({ base_version: `${repoHref}versions/1/`, add_content_units: [c.href] });
    expect(t3.created_resources).toEqual([`${repoHref}versions/3/`]);
    const v3 = await call('GET', `${repoHref}versions/3/`);
    expect(v3.body).toMatchObject({
      base_version: `${repoHref}versions/1/`,
      content_summary: { present: { 'file.file': { count: 3 } } },
    });
  });

  it('filters versions by number and content', async () => {
    const list = await call('GET', `${repoHref}versions/?number__gte=1&ordering=number`);
    expect(list.body!.results.map((v: any) => v.number)).toEqual([1, 2, 3]);
    const withA = await call('GET', `${repoHref}versions/?content=${units[0]!.href}`);
    expect(withA.body!.results.map((v: any) => v.number)).toEqual([3, 1]);
    const withIn = await call('GET', `${repoHref}versions/?content__in=${units[2]!.href}`);
    expect(withIn.body!.results.map((v: any) => v.number)).toEqual([3, 2]);
    expect((await call('GET', `${repoHref}versions/?pulp_id__in=x`)).status).toBe(400);
    const generic = await call('GET', `${API}repository_versions/?pulp_href__in=${repoHref}versions/2/`);
    expect(generic.body!.results.map((v: any) => v.pulp_href)).toEqual([`${repoHref}versions/2/`]);
  });

  it('deletes a version through a task', async () => {
    const r = await call('DELETE', `${repoHref}versions/2/`);
    expect(r.status).toBe(202);
    await ctx.runTasks();
    expect(await ctx.task(r.body!.task as string)).toMatchObject({
      state: 'completed',
      name: 'pulpcore.app.tasks.repository.delete_version',
    });
    expect((await call('GET', `${repoHref}versions/2/`)).status).toBe(404);
    const v3 = await call('GET', `${repoHref}versions/3/`);
    expect(v3.body!.content_summary.present['file.file'].count).toBe(3);
  });
});

describe('generic lists', () => {
  it('content carries typed hrefs, labels and artifacts, filtered by repository version', async () => {
    const all = await call('GET', `${API}content/?repository_version=${repoHref}versions/3/`);
    expect(all.body!.count).toBe(3);
    const a = all.body!.results.find((r: any) => r.pulp_href === units[0]!.href);
    expect(a).toMatchObject({
      prn: `prn:file.filecontent:${units[0]!.id}`,
      pulp_labels: { tier: 'a.txt' },
      artifacts: { 'a.txt': units[0]!.artifact },
      vuln_report: null,
    });
    const added = await call('GET', `${API}content/?repository_version_added=${repoHref}versions/1/`);
    expect(added.body!.count).toBe(2);
    const latest = await call('GET', `${API}content/?repository_version=${repoHref}&pulp_label_select=tier=c.txt`);
    expect(latest.body!.results.map((r: any) => r.pulp_href)).toEqual([units[2]!.href]);
    expect((await call('GET', `${API}content/?pulp_type=file.file&limit=1`)).body!.count).toBe(3);
    expect((await call('GET', `${API}content/?pulp_type=nope.nope`)).status).toBe(400);
    expect(await call('GET', `${API}content/?bogus=1`)).toEqual({
      status: 400,
      body: { errors: ["Invalid Filter: 'bogus'"] },
    });
  });

  it('repositories, remotes, publications, distributions and content guards list with typed hrefs', async () => {
    const repos = await call('GET', `${API}repositories/?pulp_label_select=env=prod`);
    expect(repos.body!.results).toEqual([
      expect.objectContaining({
        pulp_href: repoHref,
        name: 'gl-repo',
        remote: remoteHref,
        versions_href: `${repoHref}versions/`,
        latest_version_href: `${repoHref}versions/3/`,
        retain_repo_versions: null,
      }),
    ]);
    expect(repos.body!.results[0]).not.toHaveProperty('autopublish');
    expect((await call('GET', `${API}repositories/?remote=null`)).body!.results.map((r: any) => r.name)).toEqual([
      'gl-other',
    ]);
    expect((await call('GET', `${API}repositories/?remote=${API}remotes/file/file/`)).body!.count).toBe(1);
    expect((await call('GET', `${API}repositories/?with_content=${units[0]!.href}`)).body!.count).toBe(1);
    expect(
      (await call('GET', `${API}repositories/?name__startswith=gl-&ordering=name`)).body!.results.map(
        (r: any) => r.name,
      ),
    ).toEqual(['gl-other', 'gl-repo']);
    const remotes = await call('GET', `${API}remotes/`);
    expect(remotes.body!.results[0]).toMatchObject({
      pulp_href: remoteHref,
      name: 'gl-remote',
      policy: 'immediate',
      hidden_fields: expect.any(Array),
    });
    expect(remotes.body!.results[0]).not.toHaveProperty('password');

    const db = ctx.api.database.db;
    const repoId = repoHref.split('/')[7]!;
    const v3 = await db
      .selectFrom('repository_version')
      .select('pulp_id')
      .where('repository_id', '=', repoId)
      .where('number', '=', 3)
      .executeTakeFirstOrThrow();
    const pub = await db
      .insertInto('publication')
      .values({ pulp_type: 'file.file', repository_version_id: v3.pulp_id, complete: true, detail: {} })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    const pubs = await call('GET', `${API}publications/?repository=${repoHref}`);
    expect(pubs.body!.results).toEqual([
      expect.objectContaining({
        pulp_href: `${API}publications/file/file/${pub.pulp_id}/`,
        repository: repoHref,
        repository_version: `${repoHref}versions/3/`,
      }),
    ]);
    expect((await call('GET', `${API}publications/?content=${units[1]!.href}`)).body!.count).toBe(1);

    await db
      .insertInto('distribution')
      .values({
        pulp_type: 'file.file',
        name: 'gl-dist',
        base_path: 'gl/dist',
        pulp_labels: {},
        content_guard_id: null,
        repository_id: repoId,
        repository_version_id: null,
        publication_id: null,
        remote_id: null,
        detail: {},
      })
      .execute();
    const dists = await call('GET', `${API}distributions/?base_path__contains=gl/`);
    expect(dists.body!.results).toEqual([
      expect.objectContaining({
        name: 'gl-dist',
        base_url: '/pulp/content/gl/dist/',
        repository: repoHref,
        repository_version: null,
        content_guard: null,
      }),
    ]);
    expect((await call('GET', `${API}distributions/?with_content=${units[2]!.href}`)).body!.count).toBe(1);
    expect((await call('GET', `${API}contentguards/`)).status).toBe(200);
  });
});

describe('labels', () => {
  it('set_label and unset_label change one key, validated as Pulp does', async () => {
    expect(await call('POST', `${repoHref}set_label/`, { key: 'team', value: 'core' })).toEqual({
      status: 201,
      body: { key: 'team', value: 'core' },
    });
    expect((await call('GET', `${API}repositories/?pulp_label_select=team=core`)).body!.count).toBe(1);
    expect((await call('GET', repoHref)).body!.pulp_labels).toEqual({ env: 'prod', team: 'core' });
    expect((await call('POST', `${repoHref}set_label/`, { key: 'bad/key', value: 'x' })).status).toBe(400);
    expect((await call('POST', `${repoHref}set_label/`, { key: 'k', value: 'a(b)' })).status).toBe(400);
    expect(await call('POST', `${repoHref}unset_label/`, { key: 'team' })).toEqual({
      status: 201,
      body: { key: 'team', value: 'core' },
    });
    expect((await call('POST', `${repoHref}unset_label/`, { key: 'team' })).status).toBe(400);
    expect((await call('GET', `${API}repositories/?pulp_label_select=!team&name=gl-repo`)).body!.count).toBe(1);
    expect(
      (
        await call('POST', `${API}repositories/file/file/0199a0c4-0000-7000-8000-000000000000/set_label/`, {
          key: 'a',
          value: 'b',
        })
      ).status,
    ).toBe(404);
  });
});
