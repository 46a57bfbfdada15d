import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ContainerTestApp, startContainerApp } from '../../helpers/container-app.js';
import { makeMultiArchImage, type MultiArchImage, writeOciLayout } from '../../helpers/container-images.js';
import { type ReferenceRegistry, skopeo, skopeoOk, startReferenceRegistry } from '../../helpers/container-tools.js';

const API = '/pulp/api/v3/';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read field by field
type Body = Record<string, any>;

describe('the container REST API on the real plugin registration', () => {
  let app: ContainerTestApp;
  let upstream: ReferenceRegistry;
  let dir: string;
  let image: MultiArchImage;

  async function call(method: string, url: string, body?: unknown) {
    const res = await app.api.app.inject({
      method: method as 'GET',
      url: url.startsWith('/') ? url : `${API}${url}`,
      headers: { authorization: app.adminAuth, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, body: res.json<Body>() };
  }

  /** Runs a 202's task to its end; returns the task. */
  async function finish(reply: { status: number; body: Body }) {
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    await app.runTasks();
    return (await call('GET', reply.body.task as string)).body;
  }

  beforeAll(async () => {
    app = await startContainerApp();
    upstream = await startReferenceRegistry();
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-rest-'));
    image = makeMultiArchImage({ layersPerImage: 2 });
    await writeOciLayout(path.join(dir, 'src'), image.blobs, [{ blob: image.index, tag: 'v1' }]);
    for (const tag of ['v1', 'v2', 'v3-rc1'])
      await skopeoOk([
        'copy',
        '--all',
        '--dest-tls-verify=false',
        `oci:${path.join(dir, 'src')}:v1`,
        `docker://${upstream.host}/library/app:${tag}`,
      ]);
    await skopeoOk([
      'copy',
      '--all',
      '--dest-tls-verify=false',
      '--dest-creds',
      'admin:password',
      `oci:${path.join(dir, 'src')}:v1`,
      `docker://${app.host}/team/pushed:v1`,
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await upstream?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows what a push created: push repository, public distribution named like it, namespace with its owner', async () => {
    const dists = await call('GET', 'distributions/container/container/?name=team/pushed');
    expect(dists.status).toBe(200);
    expect(dists.body.count).toBe(1);
    const d = dists.body.results[0];
    expect(d).toMatchObject({ name: 'team/pushed', base_path: 'team/pushed', private: false, description: null });
    expect(d).not.toHaveProperty('base_url');
    expect(d.repository).toMatch(/\/repositories\/container\/container-push\/[0-9a-f-]{36}\/$/);
    expect(d.namespace).toMatch(/\/pulp_container\/namespaces\/[0-9a-f-]{36}\/$/);
    expect(d.remote).toBeNull();
    expect(d.registry_path).toContain('team/pushed');
    const ns = await call('GET', d.namespace as string);
    expect(ns.body.name).toBe('team');
    const byNamespace = await call('GET', 'distributions/container/container/?namespace__name=team');
    expect(byNamespace.body.count).toBe(1);
    const repo = await call('GET', d.repository as string);
    expect(repo.body).toMatchObject({ name: 'team/pushed', latest_version_href: `${d.repository}versions/1/` });
    const tags = await call('GET', `content/container/tags/?repository_version=${d.repository}versions/1/`);
    expect(tags.body.results.map((t: { name: string }) => t.name)).toEqual(['v1']);
    const manifests = await call('GET', `content/container/manifests/?repository_version=${d.repository}versions/1/`);
    expect(manifests.body.count).toBe(3);
    const index = manifests.body.results.find((m: { digest: string }) => m.digest === image.index.digest);
    expect(index.media_type).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.listed_manifests).toHaveLength(2);
    const lists = await call(
      'GET',
      'content/container/manifests/?media_type=application/vnd.oci.image.index.v1%2Bjson',
    );
    expect(lists.body.count).toBe(1);
    const blobs = await call('GET', `content/container/blobs/?repository_version=${d.repository}versions/1/`);
    expect(blobs.body.count).toBe(image.blobs.length - 3);
    expect(blobs.body.results[0].artifact).toMatch(/\/artifacts\/[0-9a-f-]{36}\/$/);
    const push = await call('POST', 'repositories/container/container-push/', { name: 'x' });
    expect(push.status).toBe(405);
  });

  it('tags, untags and removes an image of a push repository, refusing bad tags and missing digests', async () => {
    const repo = (await call('GET', 'repositories/container/container-push/?name=team/pushed')).body.results[0];
    const digest = image.index.digest;
    expect((await finish(await call('POST', `${repo.pulp_href}tag/`, { tag: 'stable', digest }))).state).toBe(
      'completed',
    );
    const listed = await skopeoOk(['list-tags', '--tls-verify=false', `docker://${app.host}/team/pushed`]);
    expect((JSON.parse(listed) as { Tags: string[] }).Tags.sort()).toEqual(['stable', 'v1']);
    const badTag = await call('POST', `${repo.pulp_href}tag/`, { tag: '-bad', digest });
    expect(badTag.status).toBe(400);
    expect(badTag.body.tag[0]).toMatch(/not valid/);
    const missing = await call('POST', `${repo.pulp_href}tag/`, { tag: 'x', digest: `sha256:${'0'.repeat(64)}` });
    expect(missing.status).toBe(400);
    expect(missing.body.non_field_errors[0]).toMatch(/does not exist in the latest repository version/);
    expect((await finish(await call('POST', `${repo.pulp_href}untag/`, { tag: 'stable' }))).state).toBe('completed');
    expect((await call('POST', `${repo.pulp_href}untag/`, { tag: 'stable' })).status).toBe(400);
    const removed = await finish(await call('POST', `${repo.pulp_href}remove_image/`, { digest }));
    expect(removed.state).toBe('completed');
    const latest = (await call('GET', repo.pulp_href as string)).body.latest_version_href as string;
    const left = await call('GET', `content/container/manifests/?repository_version=${latest}`);
    expect(left.body.count).toBe(0);
    const pulled = await skopeo(['inspect', '--tls-verify=false', `docker://${app.host}/team/pushed:v1`]);
    expect(pulled.code).not.toBe(0);
  });

  it('syncs a remote with tag filters, distributes it and serves it to skopeo; copies and removes recursively', async () => {
    expect((await call('POST', 'remotes/container/container/', { name: 'bad', url: upstream.url })).status).toBe(400);
    const sigstore = await call('POST', 'remotes/container/container/', {
      name: 'bad',
      url: upstream.url,
      upstream_name: 'library/app',
      sigstore: 'https://example.invalid/',
    });
    expect(sigstore.status).toBe(400);
    expect(sigstore.body.sigstore).toBeDefined();
    const remote = await call('POST', 'remotes/container/container/', {
      name: 'upstream',
      url: upstream.url,
      upstream_name: 'library/app',
      exclude_tags: ['*-rc*'],
      policy: 'on_demand',
    });
    expect(remote.status).toBe(201);
    expect(remote.body).toMatchObject({ upstream_name: 'library/app', exclude_tags: ['*-rc*'], include_tags: null });
    const repo = await call('POST', 'repositories/container/container/', {
      name: 'mirror',
      remote: remote.body.pulp_href,
    });
    expect(repo.status).toBe(201);
    const synced = await finish(await call('POST', `${repo.body.pulp_href}sync/`, {}));
    expect(synced.state, JSON.stringify(synced.error)).toBe('completed');
    expect(synced.name).toBe('pulp_container.app.tasks.synchronize.synchronize');
    expect(synced.created_resources).toEqual([`${repo.body.pulp_href}versions/1/`]);
    const tags = await call('GET', `content/container/tags/?repository_version=${repo.body.pulp_href}versions/1/`);
    expect(tags.body.results.map((t: { name: string }) => t.name).sort()).toEqual(['v1', 'v2']);

    const created = await finish(
      await call('POST', 'distributions/container/container/', {
        name: 'mirror',
        base_path: 'mirrors/app',
        repository: repo.body.pulp_href,
        private: true,
      }),
    );
    expect(created.state, JSON.stringify(created.error)).toBe('completed');
    const dist = (await call('GET', created.created_resources[0] as string)).body;
    expect(dist).toMatchObject({ base_path: 'mirrors/app', private: true });
    expect(dist.content_guard).toMatch(/\/contentguards\/core\/content_redirect\//);
    expect((await call('GET', dist.namespace as string)).body.name).toBe('mirrors');
    const out = path.join(dir, 'pulled');
    await skopeoOk([
      'copy',
      '--all',
      '--src-tls-verify=false',
      '--src-creds',
      'admin:password',
      `docker://${app.host}/mirrors/app:v2`,
      `oci:${out}:x`,
    ]);
    const outIndex = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    expect(outIndex.manifests[0]?.digest).toBe(image.index.digest);
    const anonymous = await skopeo(['inspect', '--tls-verify=false', `docker://${app.host}/mirrors/app:v2`]);
    expect(anonymous.code).not.toBe(0);

    const copy = await call('POST', 'repositories/container/container/', { name: 'copy' });
    const copied = await finish(
      await call('POST', `${copy.body.pulp_href}copy_tags/`, { source_repository: repo.body.pulp_href, names: ['v1'] }),
    );
    expect(copied.state, JSON.stringify(copied.error)).toBe('completed');
    const v1 = `${copy.body.pulp_href}versions/1/`;
    expect((await call('GET', `content/container/tags/?repository_version=${v1}`)).body.count).toBe(1);
    expect((await call('GET', `content/container/manifests/?repository_version=${v1}`)).body.count).toBe(3);
    const both = await call('POST', `${copy.body.pulp_href}copy_tags/`, {
      source_repository: repo.body.pulp_href,
      source_repository_version: `${repo.body.pulp_href}versions/1/`,
    });
    expect(both.status).toBe(400);
    const tag = (await call('GET', `content/container/tags/?repository_version=${v1}`)).body.results[0];
    const removed = await finish(
      await call('POST', `${copy.body.pulp_href}remove/`, { content_units: [tag.pulp_href] }),
    );
    expect(removed.state).toBe('completed');
    const v2 = `${copy.body.pulp_href}versions/2/`;
    expect((await call('GET', `content/container/manifests/?repository_version=${v2}`)).body.count).toBe(0);
    expect((await call('GET', `content/container/blobs/?repository_version=${v2}`)).body.count).toBe(0);
    const added = await finish(await call('POST', `${copy.body.pulp_href}add/`, { content_units: [tag.pulp_href] }));
    expect(added.state).toBe('completed');
    const v3 = `${copy.body.pulp_href}versions/3/`;
    expect((await call('GET', `content/container/blobs/?repository_version=${v3}`)).body.count).toBe(
      image.blobs.length - 3,
    );
    const unknown = await call('POST', `${copy.body.pulp_href}add/`, {
      content_units: [`${API}content/container/tags/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/`],
    });
    expect(unknown.status).toBe(400);
  });

  it('creates and deletes namespaces, refusing duplicates and bad names', async () => {
    const ns = await call('POST', 'pulp_container/namespaces/', { name: 'solo' });
    expect(ns.status).toBe(201);
    expect((await call('POST', 'pulp_container/namespaces/', { name: 'solo' })).status).toBe(400);
    expect((await call('POST', 'pulp_container/namespaces/', { name: 'Bad..Name' })).status).toBe(400);
    const team = (await call('GET', 'pulp_container/namespaces/?name=team')).body.results[0];
    const deleted = await finish(await call('DELETE', team.pulp_href as string));
    expect(deleted.state, JSON.stringify(deleted.error)).toBe('completed');
    expect((await call('GET', 'distributions/container/container/?name=team/pushed')).body.count).toBe(0);
    expect((await call('GET', 'repositories/container/container-push/?name=team/pushed')).body.count).toBe(0);
  });
});
