import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';

import { sql } from 'kysely';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ContainerTestApp, startContainerApp } from '../../helpers/container-app.js';
import { makeImage, makeIndex, makeLayer, sha256 } from '../../helpers/container-images.js';

/** Registry requests as a client library sends them, with tokens from the registry's own token server. */
describe('registry: bad input is refused with the distribution spec errors, and nothing is stored', () => {
  let app: ContainerTestApp;
  let base: string;
  const adminBasic = `Basic ${Buffer.from('admin:password').toString('base64')}`;

  beforeAll(async () => {
    app = await startContainerApp();
    await app.createUser('admin', 'password', true);
    base = `http://${app.host}`;
  });
  afterAll(async () => app?.close());

  async function token(scope: string | null, auth: string | null = adminBasic): Promise<string> {
    const q = new URLSearchParams({ service: app.host });
    if (scope) q.append('scope', scope);
    const res = await request(`${base}/token/?${q.toString()}`, { headers: auth ? { authorization: auth } : {} });
    expect(res.statusCode).toBe(200);
    return ((await res.body.json()) as { token: string }).token;
  }

  async function call(
    method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { token?: string; body?: Buffer; headers?: Record<string, string> } = {},
  ) {
    const res = await request(`${base}${path}`, {
      method,
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
      body: options.body,
    });
    const text = method === 'HEAD' ? '' : await res.body.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- registry answers are free-form JSON
    return { status: res.statusCode, headers: res.headers, json: json as any };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  const errorCode = (r: { json: any }) => r.json?.errors?.[0]?.code;

  /** A request written on a socket, path untouched (HTTP clients normalise dot segments away). */
  function rawRequest(method: string, path: string, tok: string): Promise<{ status: number; body: string }> {
    const [host, port] = app.host.split(':');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), host, () => {
        socket.write(
          `${method} ${path} HTTP/1.1\r\nHost: ${app.host}\r\nAuthorization: Bearer ${tok}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve({ status: Number(data.split(' ')[1]), body: data.split('\r\n\r\n')[1] ?? '' }));
      socket.on('error', reject);
    });
  }
  const count = async (table: string) =>
    (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}
        WHERE ${table === 'distribution' || table === 'repository' ? sql`pulp_type LIKE 'container.%'` : sql`true`}`.execute(
        app.database.db,
      )
    ).rows[0]!.n;

  async function pushBlob(name: string, tok: string, bytes: Buffer): Promise<void> {
    const r = await call('POST', `/v2/${name}/blobs/uploads/?digest=${sha256(bytes)}`, { token: tok, body: bytes });
    expect(r.status).toBe(201);
  }

  it('answers the version check with a challenge first, then with a token', async () => {
    const r = await call('GET', '/v2/');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe(`Bearer realm="http://${app.host}/token/",service="${app.host}"`);
    expect(r.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(errorCode(r)).toBe('UNAUTHORIZED');
    expect((await call('GET', '/v2/', { token: await token(null, null) })).status).toBe(200);
  });

  it('refuses a malformed token (invalid_token) and a token for another repository (insufficient_scope)', async () => {
    const bad = await call('GET', '/v2/a/tags/list', { token: 'not.a.token' });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/scope="repository:a:pull",error="invalid_token"$/);
    const other = await call('GET', '/v2/a/tags/list', { token: await token('repository:b:pull') });
    expect(other.status).toBe(401);
    expect(other.headers['www-authenticate']).toMatch(/error="insufficient_scope"$/);
    const anonymousPush = await token('repository:anon/x:push,pull', null);
    const payload = JSON.parse(Buffer.from(anonymousPush.split('.')[1]!, 'base64url').toString()) as {
      access: unknown;
    };
    expect(payload.access).toEqual([{ type: 'repository', name: 'anon/x', actions: [] }]);
    const r = await call('POST', '/v2/anon/x/blobs/uploads/', { token: anonymousPush });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/error="insufficient_scope"$/);
    expect(await count('distribution')).toBe(0);
  });

  it.each([['/v2/Upper/x/tags/list'], ['/v2/a/../b/manifests/latest'], ['/v2/a//b/blobs/uploads/']])(
    'refuses the name in %s as NAME_INVALID',
    async (path) => {
      const r = await rawRequest(path.endsWith('uploads/') ? 'POST' : 'GET', path, await token(null));
      expect(r.status).toBe(400);
      expect(r.body).toContain('"code":"NAME_INVALID"');
      expect(await count('repository')).toBe(0);
    },
  );

  it('refuses blob uploads whose bytes do not match the digest, keeping no blob, upload or file', async () => {
    const tok = await token('repository:bad/blobs:push,pull');
    const bytes = Buffer.from('some layer bytes');
    const wrong = sha256(Buffer.from('other'));
    const mono = await call('POST', `/v2/bad/blobs/blobs/uploads/?digest=${wrong}`, { token: tok, body: bytes });
    expect(mono.status).toBe(400);
    expect(errorCode(mono)).toBe('DIGEST_INVALID');
    const start = await call('POST', '/v2/bad/blobs/blobs/uploads/', { token: tok });
    expect(start.status).toBe(202);
    const location = start.headers.location as string;
    expect(start.headers['docker-upload-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    const patch = await call('PATCH', location, { token: tok, body: bytes });
    expect(patch.status).toBe(202);
    expect(patch.headers.range).toBe(`0-${bytes.length - 1}`);
    const put = await call('PUT', `${location}?digest=${wrong}`, { token: tok });
    expect(put.status).toBe(400);
    expect(errorCode(put)).toBe('DIGEST_INVALID');
    expect(await count('container_blob')).toBe(0);
    expect(await count('container_upload')).toBe(0);
    expect(await count('artifact')).toBe(0);
    const temp = await readdir(app.services.storage.tempDir()).catch(() => []);
    expect(temp.filter((f) => f.startsWith('container-'))).toEqual([]);
    expect(errorCode(await call('PUT', `${location}?digest=${sha256(bytes)}`, { token: tok }))).toBe(
      'BLOB_UPLOAD_UNKNOWN',
    );
  });

  it('takes chunked uploads in Content-Range order, refuses a chunk at the wrong offset, reports and cancels', async () => {
    const tok = await token('repository:chunks/x:push,pull');
    const bytes = Buffer.from('0123456789abcdefghij');
    const start = await call('POST', '/v2/chunks/x/blobs/uploads/', { token: tok });
    const location = start.headers.location as string;
    const first = await call('PATCH', location, {
      token: tok,
      body: bytes.subarray(0, 8),
      headers: { 'content-range': '0-7', 'content-type': 'application/octet-stream' },
    });
    expect(first.status).toBe(202);
    const wrong = await call('PATCH', location, {
      token: tok,
      body: bytes.subarray(8),
      headers: { 'content-range': '9-19' },
    });
    expect(wrong.status).toBe(416);
    const status = await call('GET', location, { token: tok });
    expect(status.status).toBe(204);
    expect(status.headers.range).toBe('0-7');
    const done = await call('PUT', `${location}?digest=${sha256(bytes)}`, {
      token: tok,
      body: bytes.subarray(8),
      headers: { 'content-range': '8-19' },
    });
    expect(done.status).toBe(201);
    expect(done.headers['docker-content-digest']).toBe(sha256(bytes));
    const head = await call('HEAD', `/v2/chunks/x/blobs/${sha256(bytes)}`, { token: tok });
    expect(head.status).toBe(302);
    const other = await call('POST', '/v2/chunks/x/blobs/uploads/', { token: tok });
    const cancel = await call('DELETE', other.headers.location as string, { token: tok });
    expect(cancel.status).toBe(204);
    expect((await call('GET', other.headers.location as string, { token: tok })).status).toBe(404);
  });

  it('refuses manifests: a wrong digest, unknown blobs, unknown children, over 4 MiB; nothing stored', async () => {
    const tok = await token('repository:bad/manifests:push,pull');
    const layer = makeLayer('l');
    const img = makeImage('amd64', [layer]);
    const before = await count('container_manifest');
    const unknownBlobs = await call('PUT', '/v2/bad/manifests/manifests/v1', {
      token: tok,
      body: img.manifest.bytes,
      headers: { 'content-type': img.manifest.mediaType },
    });
    expect(unknownBlobs.status).toBe(400);
    expect(errorCode(unknownBlobs)).toBe('MANIFEST_BLOB_UNKNOWN');
    await pushBlob('bad/manifests', tok, layer.bytes);
    await pushBlob('bad/manifests', tok, img.config.bytes);
    const wrongDigest = await call('PUT', `/v2/bad/manifests/manifests/${sha256(Buffer.from('x'))}`, {
      token: tok,
      body: img.manifest.bytes,
      headers: { 'content-type': img.manifest.mediaType },
    });
    expect(errorCode(wrongDigest)).toBe('DIGEST_INVALID');
    const index = makeIndex([img, makeImage('arm64', [layer])]);
    const missingChild = await call('PUT', '/v2/bad/manifests/manifests/v1', {
      token: tok,
      body: index.bytes,
      headers: { 'content-type': index.mediaType },
    });
    expect(errorCode(missingChild)).toBe('MANIFEST_BLOB_UNKNOWN');
    const big = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
    const tooBig = await call('PUT', '/v2/bad/manifests/manifests/v1', { token: tok, body: big });
    expect(tooBig.status).toBe(413);
    expect(errorCode(tooBig)).toBe('SIZE_INVALID');
    const malformed = await call('PUT', '/v2/bad/manifests/manifests/v1', { token: tok, body: Buffer.from('{"a":') });
    expect(errorCode(malformed)).toBe('MANIFEST_INVALID');
    expect(await count('container_manifest')).toBe(before);
    expect(await count('container_tag')).toBe(0);
    const ok = await call('PUT', '/v2/bad/manifests/manifests/v1', {
      token: tok,
      body: img.manifest.bytes,
      headers: { 'content-type': img.manifest.mediaType },
    });
    expect(ok.status).toBe(201);
    expect(ok.headers['docker-content-digest']).toBe(img.manifest.digest);
  });

  it('pages tags and the catalog, answers signatures, negotiates media types and deletes by digest', async () => {
    const tok = await token('repository:paged/x:push,pull');
    const layer = makeLayer('p');
    const img = makeImage('amd64', [layer]);
    await pushBlob('paged/x', tok, layer.bytes);
    await pushBlob('paged/x', tok, img.config.bytes);
    for (const tag of ['a', 'b', 'c', 'd', 'e']) {
      const r = await call('PUT', `/v2/paged/x/manifests/${tag}`, {
        token: tok,
        body: img.manifest.bytes,
        headers: { 'content-type': img.manifest.mediaType },
      });
      expect(r.status).toBe(201);
    }
    const page1 = await call('GET', '/v2/paged/x/tags/list?n=2', { token: tok });
    expect(page1.json).toEqual({ name: 'paged/x', tags: ['a', 'b'] });
    expect(page1.headers.link).toBe('</v2/paged/x/tags/list?n=2&last=b>; rel="next"');
    const page3 = await call('GET', '/v2/paged/x/tags/list?n=2&last=d', { token: tok });
    expect(page3.json.tags).toEqual(['e']);
    expect(page3.headers.link).toBeUndefined();
    const cat = await call('GET', '/v2/_catalog?n=1', { token: await token('registry:catalog:*') });
    expect(cat.json.repositories).toHaveLength(1);
    expect(cat.headers.link).toMatch(/rel="next"/);
    const sigs = await call('GET', `/extensions/v2/paged/x/signatures/${img.manifest.digest}`, { token: tok });
    expect(sigs.json).toEqual({ signatures: [] });
    expect(sigs.headers['x-registry-supports-signatures']).toBe('1');
    const docker = await call('GET', '/v2/paged/x/manifests/a', {
      token: tok,
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(errorCode(docker)).toBe('MANIFEST_UNKNOWN');
    const oci = await call('HEAD', '/v2/paged/x/manifests/a', {
      token: tok,
      headers: { accept: `${img.manifest.mediaType};q=0.9` },
    });
    expect(oci.status).toBe(200);
    expect(oci.headers['docker-content-digest']).toBe(img.manifest.digest);
    const del = await call('DELETE', `/v2/paged/x/manifests/${img.manifest.digest}`, { token: tok });
    expect(del.status).toBe(202);
    expect((await call('GET', '/v2/paged/x/tags/list', { token: tok })).json.tags).toEqual([]);
    expect(errorCode(await call('GET', `/v2/paged/x/manifests/${img.manifest.digest}`, { token: tok }))).toBe(
      'MANIFEST_UNKNOWN',
    );
  });
});
