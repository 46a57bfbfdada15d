import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ContainerTestApp, startContainerApp } from '../../helpers/container-app.js';
import { makeMultiArchImage, type MultiArchImage, writeOciLayout } from '../../helpers/container-images.js';
import { run, skopeoOk } from '../../helpers/container-tools.js';

/** podman (rootful, vfs storage in a temporary folder) pulls from and pushes to pulp-ts. */
describe('podman against the pulp-ts registry', () => {
  let app: ContainerTestApp;
  let dir: string;
  let image: MultiArchImage;
  const podman = (args: string[]) =>
    run('podman', [
      '--storage-driver',
      'vfs',
      '--root',
      path.join(dir, 'root'),
      '--runroot',
      path.join(dir, 'runroot'),
      '--cgroup-manager',
      'cgroupfs',
      ...args,
    ]);

  beforeAll(async () => {
    app = await startContainerApp();
    await app.createUser('admin', 'password', true);
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-podman-'));
    image = makeMultiArchImage({ layersPerImage: 2 });
    await writeOciLayout(path.join(dir, 'src'), image.blobs, [{ blob: image.index, tag: 'v1' }]);
    await skopeoOk([
      'copy',
      '--all',
      '--dest-tls-verify=false',
      '--dest-creds',
      'admin:password',
      `oci:${path.join(dir, 'src')}:v1`,
      `docker://${app.host}/pod/image:v1`,
    ]);
  });
  afterAll(async () => {
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pulls the amd64 image of a public distribution anonymously (layers checked against the config)', async () => {
    const pulled = await podman(['pull', '--tls-verify=false', `${app.host}/pod/image:v1`]);
    expect(pulled.code, pulled.stderr).toBe(0);
    const amd64 = image.images.find((i) => i.architecture === 'amd64')!;
    const inspect = await podman(['image', 'inspect', '--format', '{{.Id}}', `${app.host}/pod/image:v1`]);
    expect(inspect.stdout.trim()).toBe(amd64.config.digest.slice('sha256:'.length));
  });

  it('pushes a pulled image under a new name with credentials', async () => {
    const pushed = await podman([
      'push',
      '--tls-verify=false',
      '--creds',
      'admin:password',
      `${app.host}/pod/image:v1`,
      `${app.host}/pod/copy:v1`,
    ]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const tags = await skopeoOk(['list-tags', '--tls-verify=false', `docker://${app.host}/pod/copy`]);
    expect((JSON.parse(tags) as { Tags: string[] }).Tags).toEqual(['v1']);
  });
});
