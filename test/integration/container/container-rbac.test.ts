import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeImage, makeLayer, writeOciLayout } from '../../helpers/container-images.js';
import { type ContainerTestApp, startContainerApp } from '../../helpers/container-app.js';
import { type ReferenceRegistry, skopeo, skopeoOk, startReferenceRegistry } from '../../helpers/container-tools.js';

// pulp_container's default access policies, through the real skopeo client and the token flow: alice owns the
// namespace named after her (created by her first push), bob is a stranger to it.

const DENIED = /denied|unauthorized|authentication required|forbidden/i;

describe('container RBAC: registry and REST by access policy', () => {
  let app: ContainerTestApp;
  let dir: string;
  const creds = { alice: 'alice:alicepass', bob: 'bob:bobpass', dave: 'dave:davepass' };
  const basic = (c: string) => `Basic ${Buffer.from(c).toString('base64')}`;
  let aliceId: number;

  const layout = () => `oci:${path.join(dir, 'src')}:v1`;
  const push = (who: string | null, name: string) =>
    skopeo([
      'copy',
      '--dest-tls-verify=false',
      ...(who ? ['--dest-creds', who] : ['--dest-no-creds']),
      layout(),
      `docker://${app.host}/${name}`,
    ]);
  const pull = (who: string | null, name: string, out: string) =>
    skopeo([
      'copy',
      '--src-tls-verify=false',
      ...(who ? ['--src-creds', who] : ['--src-no-creds']),
      `docker://${app.host}/${name}`,
      `oci:${path.join(dir, out)}:v1`,
    ]);
  const rest = (who: string, method: string, url: string, body?: unknown) =>
    fetch(`${app.origin}${url.startsWith('/') ? url : `/pulp/api/v3/${url}`}`, {
      method,
      headers: { authorization: basic(who), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const distributions = async () =>
    (
      await sql<{
        base_path: string;
      }>`SELECT base_path FROM distribution WHERE pulp_type = 'container.container' ORDER BY base_path`.execute(
        app.database.db,
      )
    ).rows.map((r) => r.base_path);
  const distributionHref = async (basePath: string) => {
    const res = await rest(creds.alice, 'GET', `distributions/container/container/?base_path=${basePath}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ pulp_href: string }> };
    expect(body.results).toHaveLength(1);
    return body.results[0]!.pulp_href;
  };

  beforeAll(async () => {
    app = await startContainerApp();
    await app.createUser('admin', 'password', true);
    aliceId = await app.createUser('alice', 'alicepass');
    await app.createUser('bob', 'bobpass');
    await app.createUser('dave', 'davepass');
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-crbac-'));
    const image = makeImage('amd64', [makeLayer(`rbac-${Date.now()}`)]);
    await writeOciLayout(
      path.join(dir, 'src'),
      [image.manifest, image.config, ...image.layers],
      [{ blob: image.manifest, tag: 'v1' }],
    );
  });
  afterAll(async () => {
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets alice push into the namespace named after her, creating it with her as its owner', async () => {
    const res = await push(creds.alice, 'alice/app:v1');
    expect(res.code, res.stderr).toBe(0);
    expect(await distributions()).toEqual(['alice/app']);
    const roles = await sql<{ name: string; content_type: string }>`
      SELECT r.name, ur.content_type FROM core_userrole ur JOIN core_role r ON r.pulp_id = ur.role_id
       WHERE ur.user_id = ${aliceId} ORDER BY r.name`.execute(app.database.db);
    expect(roles.rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['container.containerdistribution_owner', 'container.containernamespace_owner']),
    );
    // Her namespace role lets her add distributions to it: a second repository in it.
    expect((await push(creds.alice, 'alice/second:v1')).code).toBe(0);
    expect(await distributions()).toEqual(['alice/app', 'alice/second']);
  });

  it("refuses bob a push into alice's namespace (new or existing repository) and into a namespace not his", async () => {
    for (const name of ['alice/app:v2', 'alice/bobs:v1', 'carol/x:v1']) {
      const res = await push(creds.bob, name);
      expect(res.code, name).not.toBe(0);
      expect(res.stderr, name).toMatch(DENIED);
    }
    expect((await push(null, 'alice/anon:v1')).code).not.toBe(0);
    expect(await distributions()).toEqual(['alice/app', 'alice/second']);
    const ns = await sql<{ name: string }>`SELECT name FROM container_namespace ORDER BY name`.execute(app.database.db);
    expect(ns.rows.map((r) => r.name)).toEqual(['alice']);
  });

  it('lets bob push into his own username namespace', async () => {
    expect((await push(creds.bob, 'bob/tool:v1')).code).toBe(0);
    expect(await distributions()).toEqual(['alice/app', 'alice/second', 'bob/tool']);
  });

  it('lets anyone pull a public distribution; a private one only its owner and users given a pull role', async () => {
    expect((await pull(null, 'alice/app:v1', 'anon-public')).code).toBe(0);
    expect((await pull(creds.bob, 'alice/app:v1', 'bob-public')).code).toBe(0);

    const href = await distributionHref('alice/app');
    const patch = await rest(creds.alice, 'PATCH', href, { private: true });
    expect(patch.status).toBe(202);
    await app.runTasks();
    const row = await sql<{ private: boolean }>`
      SELECT (detail->>'private')::boolean AS private FROM distribution WHERE base_path = 'alice/app'`.execute(
      app.database.db,
    );
    expect(row.rows[0]?.private).toBe(true);

    const anonymous = await pull(null, 'alice/app:v1', 'anon-private');
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(DENIED);
    const stranger = await pull(creds.bob, 'alice/app:v1', 'bob-private');
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(DENIED);
    expect((await pull(creds.alice, 'alice/app:v1', 'alice-private')).code).toBe(0);
    // The other distribution of the namespace stays public.
    expect((await pull(null, 'alice/second:v1', 'anon-second')).code).toBe(0);

    const granted = await rest(creds.alice, 'POST', `${href}add_role/`, {
      role: 'container.containerdistribution_consumer',
      users: ['bob'],
    });
    expect(granted.status).toBe(201);
    expect((await pull(creds.bob, 'alice/app:v1', 'bob-granted')).code).toBe(0);
    // Pulling is not pushing.
    expect((await push(creds.bob, 'alice/app:v3')).code).not.toBe(0);
  });

  it('answers the token flow as Pulp does: scopes cut to what the policy allows, 401 for the rest', async () => {
    const service = app.host;
    const token = async (who: string | null, scope: string) => {
      const res = await fetch(`${app.origin}/token/?service=${service}&scope=${scope}`, {
        headers: who ? { authorization: basic(who) } : {},
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { token: string };
    };
    const access = (jwt: string) =>
      (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { access: unknown[] }).access;

    expect(access((await token(creds.alice, 'repository:alice/app:pull,push')).token)).toEqual([
      { type: 'repository', name: 'alice/app', actions: expect.arrayContaining(['pull', 'push']) },
    ]);
    expect(access((await token(creds.dave, 'repository:alice/app:pull,push')).token)).toEqual([
      { type: 'repository', name: 'alice/app', actions: [] },
    ]);
    expect(access((await token(null, 'repository:alice/second:pull,push')).token)).toEqual([
      { type: 'repository', name: 'alice/second', actions: ['pull'] },
    ]);
    const wrong = await fetch(`${app.origin}/token/?service=${service}&scope=repository:alice/app:pull`, {
      headers: { authorization: basic('alice:wrong') },
    });
    expect(wrong.status).toBe(401);

    const { token: daves } = await token(creds.dave, 'repository:alice/app:pull');
    const manifest = await fetch(`${app.origin}/v2/alice/app/manifests/v1`, {
      headers: { authorization: `Bearer ${daves}` },
    });
    expect(manifest.status).toBe(401);
    expect(manifest.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
  });

  it('applies the same policies to the REST API: distributions and namespaces', async () => {
    const href = await distributionHref('alice/app');
    expect((await rest(creds.dave, 'GET', href)).status).toBe(404);
    expect((await rest(creds.alice, 'GET', href)).status).toBe(200);

    // A distribution in one's own username namespace may be created; in someone else's not.
    const own = await rest(creds.dave, 'POST', 'distributions/container/container/', {
      name: 'dave-rest',
      base_path: 'dave/rest',
    });
    expect(own.status).toBe(202);
    const foreign = await rest(creds.dave, 'POST', 'distributions/container/container/', {
      name: 'dave-foreign',
      base_path: 'alice/rest',
    });
    expect(foreign.status).toBe(403);
    await app.runTasks();
    expect(await distributions()).toContain('dave/rest');
    expect(await distributions()).not.toContain('alice/rest');

    // Namespaces: one named like the user, not another.
    const mine = await rest(creds.bob, 'POST', 'pulp_container/namespaces/', { name: 'bob' });
    expect(mine.status).toBe(400);
    const other = await rest(creds.bob, 'POST', 'pulp_container/namespaces/', { name: 'not-bob' });
    expect(other.status).toBe(403);
    const ns = await sql<{ name: string }>`SELECT name FROM container_namespace ORDER BY name`.execute(app.database.db);
    expect(ns.rows.map((r) => r.name)).toEqual(['alice', 'bob', 'dave']);
  });

  it('scopes distributions and push repositories as pulp_container: public ones, and a namespace role opens all', async () => {
    const names = async (who: string, url: string, field: string) => {
      const res = await rest(who, 'GET', url);
      expect(res.status).toBe(200);
      return ((await res.json()) as { results: Array<Record<string, string>> }).results.map((r) => r[field]).sort();
    };
    const privateHref = await distributionHref('alice/app');
    // dave holds no role in alice's namespace: he sees the public distributions only.
    expect(await names(creds.dave, 'distributions/container/container/', 'base_path')).toEqual([
      'alice/second',
      'bob/tool',
      'dave/rest',
    ]);
    expect((await rest(creds.dave, 'GET', await distributionHref('alice/second'))).status).toBe(200);
    expect((await rest(creds.dave, 'GET', privateHref)).status).toBe(404);
    expect(await names(creds.dave, 'repositories/container/container-push/', 'name')).toEqual([
      'alice/second',
      'bob/tool',
    ]);

    const ns = await rest(creds.alice, 'GET', 'pulp_container/namespaces/?name=alice');
    const nsHref = ((await ns.json()) as { results: Array<{ pulp_href: string }> }).results[0]!.pulp_href;
    const granted = await rest(creds.alice, 'POST', `${nsHref}add_role/`, {
      role: 'container.containernamespace_consumer',
      users: ['dave'],
    });
    expect(granted.status).toBe(201);
    expect(await names(creds.dave, 'distributions/container/container/', 'base_path')).toEqual([
      'alice/app',
      'alice/second',
      'bob/tool',
      'dave/rest',
    ]);
    expect((await rest(creds.dave, 'GET', privateHref)).status).toBe(200);
    expect(await names(creds.dave, 'repositories/container/container-push/', 'name')).toEqual([
      'alice/app',
      'alice/second',
      'bob/tool',
    ]);
    // The namespace role pulls private distributions of the namespace, but neither pushes nor changes them.
    expect((await pull(creds.dave, 'alice/app:v1', 'dave-ns')).code).toBe(0);
    expect((await push(creds.dave, 'alice/app:v4')).code).not.toBe(0);
    expect((await rest(creds.dave, 'PATCH', privateHref, { private: false })).status).toBe(403);
  });

  it('shows container content only from repositories the user may view through their distributions', async () => {
    const list = async (who: string, kind: string) => {
      const res = await rest(who, 'GET', `content/container/${kind}/`);
      expect(res.status).toBe(200);
      return (await res.json()) as { count: number; results: Array<{ pulp_href: string }> };
    };
    // bob owns bob/tool and may pull alice/app: the one tag and manifest they share.
    const bobs = await list(creds.bob, 'tags');
    expect(bobs.count).toBe(1);
    expect((await list(creds.bob, 'manifests')).count).toBe(1);
    // dave views alice's namespace only, which pulp_container does not count for content.
    expect((await list(creds.dave, 'tags')).count).toBe(0);
    expect((await list(creds.dave, 'blobs')).count).toBe(0);
    const tagHref = bobs.results[0]!.pulp_href;
    expect((await rest(creds.bob, 'GET', tagHref)).status).toBe(200);
    expect((await rest(creds.dave, 'GET', tagHref)).status).toBe(404);
  });
});

describe('container RBAC: pull-through caches by access policy', () => {
  let app: ContainerTestApp;
  let upstream: ReferenceRegistry;
  let dir: string;
  const auth = (c: string) => `Basic ${Buffer.from(c).toString('base64')}`;
  const admin = (method: string, url: string, body?: unknown) =>
    fetch(`${app.origin}/pulp/api/v3/${url}`, {
      method,
      headers: { authorization: auth('admin:password'), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const pull = (who: string, tag: string, out: string) =>
    skopeo([
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      who,
      `docker://${app.host}/cache/library/app:${tag}`,
      `oci:${path.join(dir, out)}:x`,
    ]);
  const cached = async () =>
    (
      await sql<{ base_path: string }>`
        SELECT base_path FROM distribution WHERE pulp_type = 'container.container'`.execute(app.database.db)
    ).rows.map((r) => r.base_path);

  beforeAll(async () => {
    app = await startContainerApp();
    await app.createUser('admin', 'password', true);
    const frank = await app.createUser('frank', 'frankpass');
    await app.createUser('erin', 'erinpass');
    upstream = await startReferenceRegistry();
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-crbac-pt-'));
    const one = makeImage('amd64', [makeLayer(`pt-one-${Date.now()}`)]);
    const two = makeImage('amd64', [makeLayer(`pt-two-${Date.now()}`)]);
    await writeOciLayout(
      path.join(dir, 'src'),
      [one, two].flatMap((i) => [i.manifest, i.config, ...i.layers]),
      [
        { blob: one.manifest, tag: 'one' },
        { blob: two.manifest, tag: 'two' },
      ],
    );
    for (const [from, to] of [
      ['one', 'v1'],
      ['two', 'v2'],
    ])
      await skopeoOk([
        'copy',
        '--dest-tls-verify=false',
        `oci:${path.join(dir, 'src')}:${from}`,
        `docker://${upstream.host}/library/app:${to}`,
      ]);
    const remote = await admin('POST', 'remotes/container/pull-through/', { name: 'cache', url: upstream.url });
    expect(remote.status).toBe(201);
    const remoteHref = ((await remote.json()) as { pulp_href: string }).pulp_href;
    const dist = await admin('POST', 'distributions/container/pull-through/', {
      name: 'cache',
      base_path: 'cache',
      remote: remoteHref,
    });
    expect(dist.status).toBe(202);
    await app.runTasks();
    const list = await admin('GET', 'distributions/container/pull-through/?name=cache');
    const ptHref = ((await list.json()) as { results: Array<{ pulp_href: string }> }).results[0]!.pulp_href;
    const granted = await admin('POST', `users/${frank}/roles/`, {
      role: 'container.containerpullthroughdistribution_owner',
      content_object: ptHref,
    });
    expect(granted.status).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await upstream?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a cached distribution only for a user the pull-through policy lets, and fetches new tags for them only', async () => {
    const stranger = await pull('erin:erinpass', 'v1', 'erin-first');
    expect(stranger.code).not.toBe(0);
    expect(await cached()).toEqual([]);

    expect((await pull('frank:frankpass', 'v1', 'frank-v1')).code).toBe(0);
    expect(await cached()).toEqual(['cache/library/app']);

    // The cached distribution is public: what it holds anyone may pull, but only frank makes it fetch more.
    expect((await pull('erin:erinpass', 'v1', 'erin-v1')).code).toBe(0);
    expect((await pull('erin:erinpass', 'v2', 'erin-v2')).code).not.toBe(0);
    expect((await pull('frank:frankpass', 'v2', 'frank-v2')).code).toBe(0);
    expect((await pull('erin:erinpass', 'v2', 'erin-v2-after')).code).toBe(0);
  });
});
