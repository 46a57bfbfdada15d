import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ALLOW_ALL, setProcessAddressPolicy } from '../../../src/download/address-policy.js';
import { parseManifest } from '../../../src/plugins/container/manifest.js';
import { MEDIA_TYPE } from '../../../src/plugins/container/media-types.js';
import { readLimited, RegistryClient } from '../../../src/plugins/container/registry-client.js';
import { clientForRemote, type ContainerRemoteRow } from '../../../src/plugins/container/remote-client.js';
import { makeMultiArchImage, type MultiArchImage, sha256, writeOciLayout } from '../../helpers/container-images.js';
import { type ReferenceRegistry, skopeoOk, startReferenceRegistry } from '../../helpers/container-tools.js';

/** A token server for the reference registry's "silly" auth: anonymous, or Basic alice:secret. */
async function startTokenServer(): Promise<{ url: string; requests: IncomingMessage[]; server: Server }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    const auth = req.headers.authorization;
    if (auth && auth !== `Basic ${Buffer.from('alice:secret').toString('base64')}`) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: auth ? 'user-token' : 'anonymous-token' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, requests, server };
}

describe('registry client against the reference registry (filled by skopeo)', () => {
  let registry: ReferenceRegistry;
  let tokens: Awaited<ReturnType<typeof startTokenServer>>;
  let dir: string;
  let image: MultiArchImage;
  const dispatcher = new Agent();

  beforeAll(async () => {
    tokens = await startTokenServer();
    registry = await startReferenceRegistry({ tokenRealm: tokens.url, service: 'test-registry' });
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-oci-'));
    image = makeMultiArchImage({ layersPerImage: 3 });
    await writeOciLayout(path.join(dir, 'layout'), image.blobs, [{ blob: image.index, tag: 'v1' }]);
    for (const tag of ['v1', 'v2', 'latest'])
      await skopeoOk([
        'copy',
        '--all',
        '--dest-tls-verify=false',
        `oci:${path.join(dir, 'layout')}:v1`,
        `docker://${registry.host}/ns/image:${tag}`,
      ]);
  });

  afterAll(async () => {
    await registry?.stop();
    await new Promise((r) => tokens?.server.close(r));
    await dispatcher.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const client = (credentials: { username?: string; password?: string } = {}) =>
    new RegistryClient({ url: registry.url, name: 'ns/image', dispatcher, retryBaseMs: 10, ...credentials });

  it('lists tags and fetches the index and its children with the bytes skopeo pushed', async () => {
    const c = client();
    expect((await c.listTags()).sort()).toEqual(['latest', 'v1', 'v2']);
    const fetched = await c.getManifest('v1');
    expect(fetched).not.toBeNull();
    const index = parseManifest(fetched!.bytes, { contentType: fetched!.contentType });
    expect(index.digest).toBe(image.index.digest);
    expect(fetched!.digest).toBe(image.index.digest);
    expect(index.mediaType).toBe(MEDIA_TYPE.INDEX_OCI);
    expect(index.kind === 'list' && index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
    for (const built of image.images) {
      const child = await c.getManifest(built.manifest.digest);
      const parsed = parseManifest(child!.bytes, { expectedDigest: built.manifest.digest });
      expect(parsed.kind === 'image' && parsed.blobDigests).toEqual([
        built.config.digest,
        ...built.layers.map((l) => l.digest),
      ]);
      const layer = built.layers[1]!;
      const blob = await c.openBlob(layer.digest);
      expect(blob.size).toBe(layer.size);
      const bytes = await readLimited(blob.body, 10_000_000, new URL(c.blobUrl(layer.digest)));
      expect(sha256(bytes)).toBe(layer.digest);
    }
    expect(await c.getManifest('missing')).toBeNull();
    expect(await c.headManifest('v2')).toMatchObject({ digest: image.index.digest });
  });

  it('answers the token challenge anonymously, and with the remote credentials when it has them', async () => {
    tokens.requests.length = 0;
    await client().getManifest('v1');
    expect(tokens.requests.at(-1)?.headers.authorization).toBeUndefined();
    const url = new URL(tokens.requests.at(-1)!.url!, 'http://x');
    expect(url.searchParams.get('service')).toBe('test-registry');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:ns/image:pull']);

    tokens.requests.length = 0;
    await client({ username: 'alice', password: 'secret' }).getManifest('v1');
    expect(tokens.requests.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from('alice:secret').toString('base64')}`,
    );
    await expect(client({ username: 'alice', password: 'wrong' }).getManifest('v1')).rejects.toMatchObject({
      status: 401,
    });
  });

  it('writes OCI layouts that skopeo reads back with identical digests', async () => {
    const out = path.join(dir, 'copy');
    await skopeoOk([
      'copy',
      '--all',
      '--src-tls-verify=false',
      `docker://${registry.host}/ns/image:v2`,
      `oci:${out}:v2`,
    ]);
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    expect(index.manifests[0]?.digest).toBe(image.index.digest);
  });
});

describe('registry client paging and limits', () => {
  let server: Server;
  let base: string;
  const dispatcher = new Agent();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/v2/p/tags/list') {
        const last = u.searchParams.get('last');
        const page = last === null ? ['a', 'b'] : last === 'b' ? ['c', 'd'] : ['e'];
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (page.at(-1) !== 'e') headers.link = `</v2/p/tags/list?n=2&last=${page.at(-1)}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ name: 'p', tags: page }));
      } else if (u.pathname === '/v2/evil/tags/list') {
        res.writeHead(200, { link: '<http://169.254.169.254/v2/x/tags/list>; rel="next"' });
        res.end(JSON.stringify({ tags: ['a'] }));
      } else if (u.pathname.startsWith('/v2/big/manifests/')) {
        res.writeHead(200, { 'content-type': MEDIA_TYPE.MANIFEST_OCI });
        res.end(Buffer.alloc(5 * 1024 * 1024, 0x20));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await dispatcher.close();
  });

  it('follows tag list pages', async () => {
    const c = new RegistryClient({ url: base, name: 'p', dispatcher });
    expect(await c.listTags()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses a page link to another origin and a manifest over 4 MiB', async () => {
    await expect(new RegistryClient({ url: base, name: 'evil', dispatcher }).listTags()).rejects.toThrow(
      /another origin/,
    );
    await expect(
      new RegistryClient({ url: base, name: 'big', dispatcher, maxRetries: 0 }).getManifest('x'),
    ).rejects.toThrow(/larger than/);
  });
});

describe('DENY_PRIVATE_REMOTE_ADDRESSES for container remotes', () => {
  let server: Server;
  let port = 0;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags": ["a"]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    setProcessAddressPolicy(ALLOW_ALL);
    await new Promise((r) => server.close(r));
  });

  const remote = (url: string): ContainerRemoteRow => ({
    pulp_id: '00000000-0000-0000-0000-000000000000',
    pulp_type: 'container.container',
    url,
    username: null,
    password: null,
    tls_validation: true,
    ca_cert: null,
    client_cert: null,
    client_key: null,
    proxy_url: null,
    proxy_username: null,
    proxy_password: null,
    download_concurrency: 2,
    max_retries: 2,
    policy: 'immediate',
    headers: null,
    detail: { upstream_name: 'p' },
  });

  it.each(['127.0.0.1', 'localhost'])('refuses %s without a request when set, and allows it when not', async (host) => {
    setProcessAddressPolicy({ denyPrivate: true });
    const denied = clientForRemote(remote(`http://${host}:${port}/`));
    try {
      await expect(denied.client.listTags()).rejects.toThrow(/is not allowed: DENY_PRIVATE_REMOTE_ADDRESSES/);
      expect(requests).toBe(0);
    } finally {
      await denied.close();
    }
    setProcessAddressPolicy(ALLOW_ALL);
    const allowed = clientForRemote(remote(`http://${host}:${port}/`));
    try {
      expect(await allowed.client.listTags()).toEqual(['a']);
      expect(requests).toBe(1);
    } finally {
      await allowed.close();
      requests = 0;
    }
  });
});
