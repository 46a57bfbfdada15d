import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeMultiArchImage, type MultiArchImage, writeOciLayout } from '../../helpers/container-images.js';
import { skopeo, skopeoOk } from '../../helpers/container-tools.js';
import { type ContainerTestApp, startContainerApp } from '../../helpers/container-app.js';

describe('skopeo against the pulp-ts registry', () => {
  let app: ContainerTestApp;
  let dir: string;
  let image: MultiArchImage;
  const admin = ['--creds', 'admin:password'];

  beforeAll(async () => {
    app = await startContainerApp();
    await app.createUser('admin', 'password', true);
    await app.createUser('bob', 'bobpass');
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-skopeo-'));
    image = makeMultiArchImage({ layersPerImage: 3 });
    await writeOciLayout(path.join(dir, 'src'), image.blobs, [{ blob: image.index, tag: 'v1' }]);
  });
  afterAll(async () => {
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pushes a two-architecture OCI image, creating the repository, distribution and namespace', async () => {
    await skopeoOk([
      'copy',
      '--all',
      '--dest-tls-verify=false',
      '--dest-creds',
      'admin:password',
      `oci:${path.join(dir, 'src')}:v1`,
      `docker://${app.host}/test/image:v1`,
    ]);
    const { rows } = await sql<{ base_path: string; detail: Record<string, unknown>; repo_type: string }>`
      SELECT d.base_path, d.detail, r.pulp_type AS repo_type FROM distribution d JOIN repository r ON r.pulp_id = d.repository_id`.execute(
      app.database.db,
    );
    expect(rows).toMatchObject([{ base_path: 'test/image', repo_type: 'container.container-push' }]);
    expect(rows[0]?.detail.private).toBe(false);
    const ns = await sql<{ name: string }>`SELECT name FROM container_namespace`.execute(app.database.db);
    expect(ns.rows.map((r) => r.name)).toEqual(['test']);
    const versions = await sql<{ n: number }>`SELECT max(number) AS n FROM repository_version`.execute(app.database.db);
    expect(versions.rows[0]?.n).toBe(1);
  });

  it('serves back the exact index, with its children and blobs (identical digests)', async () => {
    const raw = await skopeoOk([
      'inspect',
      '--raw',
      '--tls-verify=false',
      ...admin,
      `docker://${app.host}/test/image:v1`,
    ]);
    expect(Buffer.from(raw).equals(image.index.bytes)).toBe(true);
    const out = path.join(dir, 'back');
    await skopeoOk([
      'copy',
      '--all',
      '--src-tls-verify=false',
      '--src-creds',
      'admin:password',
      `docker://${app.host}/test/image:v1`,
      `oci:${out}:v1`,
    ]);
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    expect(index.manifests[0]?.digest).toBe(image.index.digest);
    for (const b of image.blobs) {
      const copied = await readFile(path.join(out, 'blobs', 'sha256', b.digest.slice(7)));
      expect(copied.equals(b.bytes)).toBe(true);
    }
    const tags = JSON.parse(
      await skopeoOk(['list-tags', '--tls-verify=false', ...admin, `docker://${app.host}/test/image`]),
    ) as { Tags: string[] };
    expect(tags.Tags).toEqual(['v1']);
  });

  it('lets anyone pull a public distribution, and only permitted users a private one', async () => {
    const anonymous = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--no-creds',
      `docker://${app.host}/test/image:v1`,
    ]);
    expect(anonymous.code).toBe(0);
    await sql`UPDATE distribution SET detail = detail || '{"private": true}'::jsonb`.execute(app.database.db);
    const refused = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--no-creds',
      `docker://${app.host}/test/image:v1`,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthorized|authentication required|denied/i);
    const bob = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      'bob:bobpass',
      `docker://${app.host}/test/image:v1`,
    ]);
    expect(bob.code).not.toBe(0);
    const owner = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      ...admin,
      `docker://${app.host}/test/image:v1`,
    ]);
    expect(owner.code).toBe(0);
  });
});
