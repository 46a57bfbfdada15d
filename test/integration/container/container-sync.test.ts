import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createInitialVersion } from '../../../src/plugin-api/repository-versions.js';
import { redirectGuardId } from '../../../src/plugins/container/push-target.js';
import { RegistryClient } from '../../../src/plugins/container/registry-client.js';
import { syncRepository } from '../../../src/plugins/container/sync.js';
import { silentLogger } from '../../helpers/api.js';
import { type ContainerTestApp, startContainerApp } from '../../helpers/container-app.js';
import { makeMultiArchImage, type MultiArchImage, writeOciLayout } from '../../helpers/container-images.js';
import { type ReferenceRegistry, skopeo, skopeoOk, startReferenceRegistry } from '../../helpers/container-tools.js';

describe('sync from the reference registry', () => {
  let app: ContainerTestApp;
  let upstream: ReferenceRegistry;
  let dir: string;
  let image: MultiArchImage;
  let other: MultiArchImage;
  const dispatcher = new Agent();

  beforeAll(async () => {
    app = await startContainerApp();
    await app.createUser('admin', 'password', true);
    upstream = await startReferenceRegistry();
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-sync-'));
    image = makeMultiArchImage({ layersPerImage: 3 });
    other = makeMultiArchImage({ layersPerImage: 2 });
    await writeOciLayout(
      path.join(dir, 'src'),
      [...image.blobs, ...other.blobs],
      [
        { blob: image.index, tag: 'one' },
        { blob: other.index, tag: 'two' },
      ],
    );
    for (const [from, to] of [
      ['one', 'v1'],
      ['one', 'latest'],
      ['two', 'v2-rc1'],
    ])
      await skopeoOk([
        'copy',
        '--all',
        '--dest-tls-verify=false',
        `oci:${path.join(dir, 'src')}:${from}`,
        `docker://${upstream.host}/library/app:${to}`,
      ]);
  });
  afterAll(async () => {
    await app?.close();
    await upstream?.stop();
    await dispatcher.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function repositoryWithRemote(
    name: string,
    policy: string,
  ): Promise<{ repositoryId: string; remoteId: string }> {
    const db = app.database.db;
    const repo = await sql<{ pulp_id: string }>`
      INSERT INTO repository (pulp_type, name) VALUES ('container.container', ${name}) RETURNING pulp_id`.execute(db);
    const repositoryId = repo.rows[0]!.pulp_id;
    await createInitialVersion(db, repositoryId);
    const remote = await sql<{ pulp_id: string }>`
      INSERT INTO remote (pulp_type, name, url, policy, detail) VALUES ('container.container', ${name}, ${upstream.url},
        ${policy}, '{"upstream_name": "library/app"}'::jsonb) RETURNING pulp_id`.execute(db);
    return { repositoryId, remoteId: remote.rows[0]!.pulp_id };
  }

  const sync = (ids: { repositoryId: string; remoteId: string }, extra: Record<string, unknown> = {}) =>
    syncRepository(app.services, {
      client: new RegistryClient({ url: upstream.url, name: 'library/app', dispatcher, retryBaseMs: 10 }),
      repositoryId: ids.repositoryId,
      remoteId: ids.remoteId,
      policy: 'immediate',
      mirror: false,
      concurrency: 4,
      logger: silentLogger,
      ...extra,
    });

  async function versionContent(repositoryId: string) {
    const { rows } = await sql<{ pulp_type: string; n: number }>`
      SELECT c.pulp_type, count(*)::int AS n FROM repository_content rc JOIN content c ON c.pulp_id = rc.content_id
      WHERE rc.repository_id = ${repositoryId} AND rc.version_removed IS NULL GROUP BY c.pulp_type ORDER BY 1`.execute(
      app.database.db,
    );
    return Object.fromEntries(rows.map((r) => [r.pulp_type, r.n]));
  }

  it('syncs filtered tags with their lists, children and blobs; a re-sync of an unchanged upstream changes nothing', async () => {
    const ids = await repositoryWithRemote('mirror', 'immediate');
    const version = await sync(ids, { excludeTags: ['*-rc*'] });
    expect(version?.number).toBe(1);
    const blobs = new Set(image.images.flatMap((i) => [i.config.digest, ...i.layers.map((l) => l.digest)]));
    expect(await versionContent(ids.repositoryId)).toEqual({
      'container.blob': blobs.size,
      'container.manifest': 3,
      'container.tag': 2,
    });
    const missing = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM content_artifact WHERE artifact_id IS NULL`.execute(app.database.db);
    expect(missing.rows[0]?.n).toBe(0);
    const list = await sql<{
      architecture: string;
    }>`SELECT architecture FROM container_manifest_list_manifest ORDER BY 1`.execute(app.database.db);
    expect(list.rows.map((r) => r.architecture)).toEqual(['amd64', 'arm64']);
    expect(await sync(ids, { excludeTags: ['*-rc*'] })).toBeNull();
  });

  it('syncs on demand: manifests and config blobs stored, layers recorded where to fetch them', async () => {
    const ids = await repositoryWithRemote('lazy', 'on_demand');
    const version = await sync(ids, { policy: 'on_demand', includeTags: ['v2-*'] });
    expect(version?.number).toBe(1);
    const { rows } = await sql<{ digest: string; stored: boolean; remote: boolean }>`
      SELECT b.digest, ca.artifact_id IS NOT NULL AS stored, EXISTS (SELECT 1 FROM remote_artifact ra
        WHERE ra.content_artifact_id = ca.pulp_id AND ra.remote_id = ${ids.remoteId}) AS remote
      FROM repository_content rc JOIN container_blob b ON b.content_id = rc.content_id
      JOIN content_artifact ca ON ca.content_id = b.content_id
      WHERE rc.repository_id = ${ids.repositoryId}`.execute(app.database.db);
    const configs = new Set(other.images.map((i) => i.config.digest));
    for (const r of rows) expect(r.stored).toBe(configs.has(r.digest));
    expect(rows.filter((r) => !r.stored).every((r) => r.remote)).toBe(true);
  });

  it('serves on-demand blobs from the remote to skopeo, then from storage', async () => {
    const db = app.database.db;
    const { rows } = await sql<{ pulp_id: string }>`SELECT pulp_id FROM repository WHERE name = 'lazy'`.execute(db);
    const guard = await redirectGuardId(db);
    await sql`INSERT INTO distribution (pulp_type, name, base_path, repository_id, content_guard_id, detail)
      VALUES ('container.container', 'lazy', 'lazy/app', ${rows[0]!.pulp_id}, ${guard}, '{"private": false}'::jsonb)`.execute(
      db,
    );
    const out = path.join(dir, 'lazy');
    await skopeoOk(['copy', '--all', '--src-tls-verify=false', `docker://${app.host}/lazy/app:v2-rc1`, `oci:${out}:x`]);
    for (const b of other.blobs) {
      const copied = await readFile(path.join(out, 'blobs', 'sha256', b.digest.slice(7)));
      expect(copied.equals(b.bytes)).toBe(true);
    }
    const missing = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM repository_content rc JOIN content_artifact ca ON ca.content_id = rc.content_id
      WHERE rc.repository_id = ${rows[0]!.pulp_id} AND ca.artifact_id IS NULL`.execute(db);
    expect(missing.rows[0]?.n).toBe(0);
  });

  it('serves a synced repository to skopeo with the upstream digests', async () => {
    const { rows } = await sql<{ pulp_id: string }>`SELECT pulp_id FROM repository WHERE name = 'mirror'`.execute(
      app.database.db,
    );
    const guard = await redirectGuardId(app.database.db);
    await sql`INSERT INTO distribution (pulp_type, name, base_path, repository_id, content_guard_id, detail)
      VALUES ('container.container', 'mirror', 'mirror/app', ${rows[0]!.pulp_id}, ${guard}, '{"private": false}'::jsonb)`.execute(
      app.database.db,
    );
    const out = path.join(dir, 'pulled');
    await skopeoOk([
      'copy',
      '--all',
      '--src-tls-verify=false',
      `docker://${app.host}/mirror/app:latest`,
      `oci:${out}:x`,
    ]);
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    expect(index.manifests[0]?.digest).toBe(image.index.digest);
  });

  it('pulls through: a first pull creates the distribution and caches what the client asks for', async () => {
    const db = app.database.db;
    const remote = await sql<{ pulp_id: string }>`
      INSERT INTO remote (pulp_type, name, url, policy, detail) VALUES ('container.pull-through', 'cache', ${upstream.url},
        'on_demand', '{"includes": ["library/*"], "excludes": null}'::jsonb) RETURNING pulp_id`.execute(db);
    await sql`INSERT INTO distribution (pulp_type, name, base_path, remote_id, detail)
      VALUES ('container.pull-through', 'cache', 'cache', ${remote.rows[0]!.pulp_id}, '{"private": false}'::jsonb)`.execute(
      db,
    );
    const anonymous = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--no-creds',
      `docker://${app.host}/cache/library/app:v1`,
    ]);
    expect(anonymous.code).not.toBe(0);
    const out = path.join(dir, 'through');
    await skopeoOk([
      'copy',
      '--all',
      '--src-tls-verify=false',
      '--src-creds',
      'admin:password',
      `docker://${app.host}/cache/library/app:v1`,
      `oci:${out}:x`,
    ]);
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    expect(index.manifests[0]?.digest).toBe(image.index.digest);
    const created = await sql<{ name: string; retain: number | null }>`
      SELECT d.name, r.retain_repo_versions AS retain FROM distribution d JOIN repository r ON r.pulp_id = d.repository_id
      WHERE d.base_path = 'cache/library/app'`.execute(db);
    expect(created.rows).toEqual([{ name: 'cache/library/app', retain: 1 }]);
    const tags = JSON.parse(
      await skopeoOk([
        'list-tags',
        '--tls-verify=false',
        '--creds',
        'admin:password',
        `docker://${app.host}/cache/library/app`,
      ]),
    ) as { Tags: string[] };
    expect(tags.Tags).toEqual(['v1']);
    const filtered = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      'admin:password',
      `docker://${app.host}/cache/other/app:v1`,
    ]);
    expect(filtered.code).not.toBe(0);
  });
});
