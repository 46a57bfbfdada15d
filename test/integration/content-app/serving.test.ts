import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Harness, startHarness } from './harness.js';

describe('content app: serving stored content', () => {
  let h: Harness;
  const iso = randomBytes(5000);
  const big = randomBytes(300 * 1024);
  const manifest = Buffer.from('a.iso,abc,5000\n');
  const other = Buffer.from('served only by the other distribution');
  const onDisk = Buffer.from('a file in MEDIA_ROOT that no distribution serves');
  let publicationId: string;
  let versionId: string;
  let repositoryId: string;

  beforeAll(async () => {
    h = await startHarness();
    const f = h.fixtures;
    const a1 = await f.artifact(iso);
    const a2 = await f.artifact(big);
    const a3 = await f.artifact(manifest);
    const a4 = await f.artifact(Buffer.from('{"x":1}'));
    const c1 = await f.content('a.iso', a1.pulp_id);
    const c2 = await f.content('dir/sub/big.bin', a2.pulp_id);
    const c3 = await f.content('dir/data.json', a4.pulp_id);
    repositoryId = await f.repository();
    versionId = await f.version(repositoryId, 1, [c1.contentId, c2.contentId, c3.contentId]);
    publicationId = await f.publication(versionId, { metadata: { PULP_MANIFEST: a3.pulp_id } });
    await f.distribution('files', { publication_id: publicationId });
    await f.distribution('nested/one', { publication_id: publicationId });
    await f.distribution('nested/two/deep', { publication_id: publicationId });
    await f.distribution('secret', { publication_id: publicationId, hidden: true });
    await f.distribution('pointing-nowhere', {});
    const otherRepo = await f.repository();
    const otherContent = await f.content('other.txt', (await f.artifact(other)).pulp_id);
    await f.distribution('other', {
      publication_id: await f.publication(await f.version(otherRepo, 1, [otherContent.contentId])),
    });
    await writeFile(path.join(h.settings.MEDIA_ROOT, 'secret.txt'), onDisk);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('serves a published file with type, length, validators and the artifact size', async () => {
    const r = await h.get('/pulp/content/files/a.iso');
    expect(r.status).toBe(200);
    expect(r.body.equals(iso)).toBe(true);
    expect(r.headers['content-type']).toBe('application/x-iso9660-image');
    expect(r.headers['content-length']).toBe('5000');
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['x-pulp-artifact-size']).toBe('5000');
    expect(r.headers.etag).toMatch(/^"[0-9a-f]+-1388"$/);
    expect(new Date(r.headers['last-modified'] as string).getTime()).toBeGreaterThan(0);
  });

  it('serves published metadata and pass-through content in subdirectories', async () => {
    const m = await h.get('/pulp/content/files/PULP_MANIFEST');
    expect(m.status).toBe(200);
    expect(m.body.equals(manifest)).toBe(true);
    expect(m.headers['content-type']).toBe('application/octet-stream');
    const j = await h.get('/pulp/content/files/dir/data.json');
    expect(j.status).toBe(200);
    expect(j.headers['content-type']).toBe('application/json');
    const b = await h.get('/pulp/content/files/dir/sub/big.bin');
    expect(b.status).toBe(200);
    expect(b.body.equals(big)).toBe(true);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const g = await h.get('/pulp/content/files/dir/sub/big.bin');
    const r = await h.get('/pulp/content/files/dir/sub/big.bin', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
    for (const k of [
      'content-type',
      'content-length',
      'etag',
      'last-modified',
      'accept-ranges',
      'x-pulp-artifact-size',
    ]) {
      expect(r.headers[k]).toBe(g.headers[k]);
    }
  });

  it('serves single ranges: first bytes, suffix, open-ended, clamped end', async () => {
    for (const path of ['/pulp/content/files/a.iso', '/pulp/content/files/dir/sub/big.bin']) {
      const data = path.endsWith('a.iso') ? iso : big;
      const first = await h.get(path, { headers: { range: 'bytes=0-9' } });
      expect(first.status).toBe(206);
      expect(first.headers['content-range']).toBe(`bytes 0-9/${data.length}`);
      expect(first.headers['content-length']).toBe('10');
      expect(first.body.equals(data.subarray(0, 10))).toBe(true);
      const suffix = await h.get(path, { headers: { range: 'bytes=-100' } });
      expect(suffix.status).toBe(206);
      expect(suffix.headers['content-range']).toBe(`bytes ${data.length - 100}-${data.length - 1}/${data.length}`);
      expect(suffix.body.equals(data.subarray(data.length - 100))).toBe(true);
      const open = await h.get(path, { headers: { range: 'bytes=4000-' } });
      expect(open.status).toBe(206);
      expect(open.body.equals(data.subarray(4000))).toBe(true);
      const clamped = await h.get(path, { headers: { range: `bytes=10-${data.length + 500}` } });
      expect(clamped.status).toBe(206);
      expect(clamped.headers['content-range']).toBe(`bytes 10-${data.length - 1}/${data.length}`);
    }
  });

  it('answers 416 with the size for unsatisfiable or malformed ranges', async () => {
    for (const range of ['bytes=5000-', 'bytes=9999-10000', 'bytes=abc', 'bytes=5-1', 'bytes=0-1,5-6']) {
      const r = await h.get('/pulp/content/files/a.iso', { headers: { range } });
      expect(r.status, range).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */5000');
    }
  });

  it('answers 304 to a matching If-None-Match or If-Modified-Since, and If-Range decides whether ranges apply', async () => {
    const g = await h.get('/pulp/content/files/a.iso');
    const etag = g.headers.etag as string;
    expect((await h.get('/pulp/content/files/a.iso', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await h.get('/pulp/content/files/a.iso', { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    expect(
      (
        await h.get('/pulp/content/files/a.iso', {
          headers: { 'if-modified-since': g.headers['last-modified'] as string },
        })
      ).status,
    ).toBe(304);
    expect(
      (await h.get('/pulp/content/files/a.iso', { headers: { range: 'bytes=0-1', 'if-range': etag } })).status,
    ).toBe(206);
    expect(
      (await h.get('/pulp/content/files/a.iso', { headers: { range: 'bytes=0-1', 'if-range': '"stale"' } })).status,
    ).toBe(200);
  });

  it('lists the content root without hidden distributions', async () => {
    const r = await h.get('/pulp/content/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    const text = r.body.toString();
    expect(text).toContain('<title>Index of /pulp/content/</title>');
    expect(text).toContain('<a href="./files/">files/</a>');
    expect(text).toContain('<a href="./nested/">nested/</a>');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('href="../"');
    const head = await h.get('/pulp/content/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('lists intermediate base paths and redirects when their slash is missing', async () => {
    const r = await h.get('/pulp/content/nested/');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('<a href="./one/">one/</a>');
    expect(r.body.toString()).toContain('<a href="./two/">two/</a>');
    const two = await h.get('/pulp/content/nested/two/');
    expect(two.body.toString()).toContain('<a href="./deep/">deep/</a>');
    const redirect = await h.get('/pulp/content/nested');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/pulp/content/nested/');
  });

  it('lists a distribution and its subdirectories with dates and sizes, and redirects without the slash', async () => {
    const root = await h.get('/pulp/content/files/');
    expect(root.status).toBe(200);
    const text = root.body.toString();
    expect(text).toContain('<h1>Index of /pulp/content/files/</h1>');
    expect(text).toContain('<a href="../">../</a>');
    expect(text).toMatch(/<a href="\.\/a\.iso">a\.iso<\/a> +\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d  5\.0 kB/);
    expect(text).toContain('<a href="./PULP_MANIFEST">PULP_MANIFEST</a>');
    expect(text).toContain('<a href="./dir/">dir/</a>');
    const sub = await h.get('/pulp/content/files/dir/');
    expect(sub.status).toBe(200);
    expect(sub.body.toString()).toContain('<a href="./sub/">sub/</a>');
    expect(sub.body.toString()).toMatch(/<a href="\.\/data\.json">data\.json<\/a> +\S+ \S+  7 Bytes/);
    expect(sub.body.toString()).not.toContain('a.iso');
    const deep = await h.get('/pulp/content/files/dir/sub/');
    expect(deep.body.toString()).toMatch(/big\.bin<\/a> +\S+ \S+  307\.2 kB/);
    for (const [from, to] of [
      ['/pulp/content/files', '/pulp/content/files/'],
      ['/pulp/content/files/dir', '/pulp/content/files/dir/'],
      ['/pulp/content/nested/two/deep', '/pulp/content/nested/two/deep/'],
    ]) {
      const r = await h.get(from!);
      expect(r.status, from).toBe(301);
      expect(r.headers.location).toBe(to);
    }
  });

  it('serves files of nested base paths', async () => {
    const r = await h.get('/pulp/content/nested/two/deep/a.iso');
    expect(r.status).toBe(200);
    expect(r.body.equals(iso)).toBe(true);
    expect((await h.get('/pulp/content/nested/two/a.iso')).status).toBe(404);
  });

  it('answers 404 for unknown distributions, unknown files, files below a file, and distributions serving nothing', async () => {
    for (const p of [
      '/pulp/content/nope/a.iso',
      '/pulp/content/files/missing.iso',
      '/pulp/content/files/a.iso/x',
      '/pulp/content/files/nodir/',
      '/pulp/content',
      '/other/files/a.iso',
    ]) {
      const r = await h.get(p);
      expect(r.status, p).toBe(404);
    }
    const nowhere = await h.get('/pulp/content/pointing-nowhere/a.iso');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.toString()).toContain(
      'Distribution is not pointing to a publication, repository, repository version, or remote.',
    );
  });

  it('refuses methods other than GET and HEAD', async () => {
    const r = await h.get('/pulp/content/files/a.iso', { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
  });

  it('never resolves dot segments, encoded dots, double slashes or NUL bytes', async () => {
    // What a resolving implementation would reach: another distribution's file, a file next to the artifacts.
    expect((await h.get('/pulp/content/other/other.txt')).body.equals(other)).toBe(true);
    expect((await readFile(path.join(h.settings.MEDIA_ROOT, 'secret.txt'))).equals(onDisk)).toBe(true);
    for (const p of [
      '/pulp/content/files/../files/a.iso',
      '/pulp/content/files/dir/../a.iso',
      '/pulp/content/files/%2e%2e/files/a.iso',
      '/pulp/content/files/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
      '/pulp/content/files/dir/..%2fa.iso',
      '/pulp/content/files/../other/other.txt',
      '/pulp/content/files/%2e%2e/other/other.txt',
      '/pulp/content/files/dir/%2e%2e%2f%2e%2e%2fother/other.txt',
      '/pulp/content/files/%2e%2e/%2e%2e/%2e%2e/media/secret.txt',
      '/pulp/content/files/a.iso/../../../../secret.txt',
      '/pulp/content/files//a.iso',
      '/pulp/content//files/a.iso',
      '/pulp/content/files/a.iso%00',
      '/pulp/content/files/%00/a.iso',
      '/pulp/content/files/./a.iso',
      '/pulp/content/files/dir%5c..%5ca.iso',
      '/pulp/content/files/%zz',
    ]) {
      const r = await h.get(p);
      expect(r.status, p).toBe(404);
      for (const secret of [iso, other, onDisk]) expect(r.body.includes(secret), p).toBe(false);
    }
  });

  it('serves a repository distribution from the newest publication of the highest version that has one', async () => {
    const f = h.fixtures;
    const repo = await f.repository();
    const v1 = await f.artifact(Buffer.from('version one'));
    const v2 = await f.artifact(Buffer.from('version two!'));
    const c1 = await f.content('f.txt', v1.pulp_id);
    const c2 = await f.content('f.txt', v2.pulp_id);
    const ver1 = await f.version(repo, 1, [c1.contentId]);
    await f.publication(ver1);
    await f.distribution('by-repo', { repository_id: repo });
    expect((await h.get('/pulp/content/by-repo/f.txt')).body.toString()).toBe('version one');
    const ver2 = await f.version(repo, 2, [c2.contentId]);
    // A version without a publication changes nothing for a publication-serving distribution.
    expect((await h.get('/pulp/content/by-repo/f.txt')).body.toString()).toBe('version one');
    await f.publication(ver2);
    expect((await h.get('/pulp/content/by-repo/f.txt')).body.toString()).toBe('version two!');
    // A distribution type without publications serves the latest version directly.
    await f.distribution('by-version', { repository_version_id: ver1, pulp_type: 'test.plain' });
    expect((await h.get('/pulp/content/by-version/f.txt')).body.toString()).toBe('version one');
    await f.distribution('latest-plain', { repository_id: repo, pulp_type: 'test.plain' });
    expect((await h.get('/pulp/content/latest-plain/f.txt')).body.toString()).toBe('version two!');
  });

  it('sees a change to a distribution as soon as the changing transaction committed', async () => {
    const f = h.fixtures;
    const repo = await f.repository();
    const a = await f.artifact(Buffer.from('first'));
    const b = await f.artifact(Buffer.from('second'));
    const ca = await f.content('x.txt', a.pulp_id);
    const cb = await f.content('x.txt', b.pulp_id);
    const p1 = await f.publication(await f.version(repo, 1, [ca.contentId]));
    const p2 = await f.publication(await f.version(repo, 2, [cb.contentId]));
    const dist = await f.distribution('switching', { publication_id: p1 });
    expect((await h.get('/pulp/content/switching/x.txt')).body.toString()).toBe('first');
    await f.updateDistribution(dist, { publication_id: p2 });
    expect((await h.get('/pulp/content/switching/x.txt')).body.toString()).toBe('second');
    await f.updateDistribution(dist, { publication_id: null });
    expect((await h.get('/pulp/content/switching/x.txt')).status).toBe(404);
    await f.updateDistribution(dist, { base_path: 'switched', publication_id: p1 });
    expect((await h.get('/pulp/content/switching/x.txt')).status).toBe(404);
    expect((await h.get('/pulp/content/switched/x.txt')).body.toString()).toBe('first');
  });
});
