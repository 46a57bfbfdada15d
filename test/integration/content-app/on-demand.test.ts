import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FixtureServer } from '../../helpers/fixture-server.js';
import { type Harness, startHarness } from './harness.js';

describe('content app: on-demand content', () => {
  let h: Harness;
  let upstream: FixtureServer;
  const files = new Map<string, Buffer>();
  let repositoryId: string;
  let version = 0;
  const contentIds: string[] = [];

  /** Adds an on-demand unit at `relativePath` fetched from `urls` (in order) with `policy`, and republishes. */
  async function onDemandUnit(relativePath: string, content: Buffer, policy: string, urls?: string[]): Promise<string> {
    const f = h.fixtures;
    const unit = await f.content(relativePath, null);
    for (const url of urls ?? [upstream.url(relativePath)]) {
      const remote = await f.remote(upstream.baseUrl, policy);
      await f.remoteArtifact(unit.contentArtifactId, remote, url, content);
    }
    contentIds.push(unit.contentId);
    const v = await f.version(repositoryId, ++version, contentIds);
    await f.publication(v);
    return unit.contentArtifactId;
  }

  async function artifactOf(contentArtifactId: string): Promise<string | null> {
    const row = await h.database.db
      .selectFrom('content_artifact')
      .select('artifact_id')
      .where('pulp_id', '=', contentArtifactId)
      .executeTakeFirstOrThrow();
    return row.artifact_id;
  }

  beforeAll(async () => {
    h = await startHarness();
    upstream = await new FixtureServer({
      files: files,
      delayMs: 50,
      fault: (p) => (p.startsWith('corrupt/') ? 'corrupt' : p.startsWith('gone/') ? 'status-404' : null),
    }).start();
    repositoryId = await h.fixtures.repository();
    await h.fixtures.distribution('od', { repository_id: repositoryId });
  });
  afterAll(async () => {
    await upstream?.stop();
    await h?.close();
  });

  it('streams the first request from the remote, saves and links the artifact before the response ends', async () => {
    const data = randomBytes(700 * 1024);
    files.set('first.bin', data);
    const ca = await onDemandUnit('first.bin', data, 'on_demand');
    const r = await h.get('/pulp/content/od/first.bin');
    expect(r.status).toBe(200);
    expect(r.body.equals(data)).toBe(true);
    expect(r.headers['content-length']).toBe(String(data.length));
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(upstream.count('first.bin')).toBe(1);
    // No waiting: the last byte is released only after the artifact is linked.
    const artifactId = await artifactOf(ca);
    expect(artifactId).not.toBeNull();
    const artifact = await h.database.db
      .selectFrom('artifact')
      .selectAll()
      .where('pulp_id', '=', artifactId)
      .executeTakeFirstOrThrow();
    expect(artifact.size).toBe(data.length);
    expect(artifact.sha224).toMatch(/^[0-9a-f]{56}$/);
    expect(artifact.sha512).toMatch(/^[0-9a-f]{128}$/);
    expect(await h.storage.size(artifact.file)).toBe(data.length);
  });

  it('serves the second request from storage, with the upstream gone', async () => {
    const data = randomBytes(10_000);
    files.set('second.bin', data);
    await onDemandUnit('second.bin', data, 'on_demand');
    expect((await h.get('/pulp/content/od/second.bin')).status).toBe(200);
    files.delete('second.bin');
    const again = await h.get('/pulp/content/od/second.bin');
    expect(again.status).toBe(200);
    expect(again.body.equals(data)).toBe(true);
    expect(again.headers.etag).toBeDefined();
    expect(upstream.count('second.bin')).toBe(1);
  });

  it('answers a first request with a Range and still saves the artifact', async () => {
    const data = randomBytes(300_000);
    files.set('ranged.bin', data);
    const ca = await onDemandUnit('ranged.bin', data, 'on_demand');
    const r = await h.get('/pulp/content/od/ranged.bin', { headers: { range: 'bytes=1000-1999' } });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 1000-1999/${data.length}`);
    expect(r.body.equals(data.subarray(1000, 2000))).toBe(true);
    // The client got its slice before the whole file arrived; the download goes on and saves it.
    await expect.poll(() => artifactOf(ca)).not.toBeNull();
    const unsatisfiable = await h.get('/pulp/content/od/ranged.bin', { headers: { range: `bytes=${data.length}-` } });
    expect(unsatisfiable.status).toBe(416);
  });

  it('never saves streamed content and fetches it again every time', async () => {
    const data = randomBytes(50_000);
    files.set('streamed.bin', data);
    const ca = await onDemandUnit('streamed.bin', data, 'streamed');
    for (let i = 0; i < 2; i++) {
      const r = await h.get('/pulp/content/od/streamed.bin');
      expect(r.status).toBe(200);
      expect(r.body.equals(data)).toBe(true);
    }
    expect(await artifactOf(ca)).toBeNull();
    expect(upstream.count('streamed.bin')).toBe(2);
    const leftovers = await h.database.db
      .selectFrom('artifact')
      .select('pulp_id')
      .where('size', '=', data.length)
      .execute();
    expect(leftovers).toHaveLength(0);
  });

  it('shares one upstream download between 20 concurrent first requests', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    files.set('popular.bin', data);
    const ca = await onDemandUnit('popular.bin', data, 'on_demand');
    const results = await Promise.all(Array.from({ length: 20 }, () => h.get('/pulp/content/od/popular.bin')));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.equals(data)).toBe(true);
    }
    expect(upstream.count('popular.bin')).toBe(1);
    expect(await artifactOf(ca)).not.toBeNull();
  });

  it('gives a late joiner the bytes so far and then the rest', async () => {
    const data = randomBytes(512 * 1024);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let hits = 0;
    const slow: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-length': data.length });
      res.write(data.subarray(0, 200_000));
      void gate.then(() => res.end(data.subarray(200_000)));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/late.bin`;
    try {
      await onDemandUnit('late.bin', data, 'on_demand', [url]);
      const first = h.client.request({ path: '/pulp/content/od/late.bin', method: 'GET' });
      const firstRes = await first;
      // The first client has received bytes: the download is under way when the second one joins.
      const firstChunks: Buffer[] = [];
      let received = 0;
      const gotSome = new Promise<void>((resolve) => {
        firstRes.body.on('data', (c: Buffer) => {
          firstChunks.push(c);
          received += c.length;
          if (received >= 100_000) resolve();
        });
      });
      const firstEnded = new Promise((r) => firstRes.body.on('end', r));
      await gotSome;
      const second = h.get('/pulp/content/od/late.bin');
      setTimeout(release, 100);
      const secondRes = await second;
      await firstEnded;
      expect(Buffer.concat(firstChunks).equals(data)).toBe(true);
      expect(secondRes.body.equals(data)).toBe(true);
      expect(hits).toBe(1);
    } finally {
      release();
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it('tries the next remote artifact when one fails before sending anything', async () => {
    const data = randomBytes(4000);
    files.set('fallback.bin', data);
    await onDemandUnit('fallback.bin', data, 'on_demand', [
      upstream.url('gone/fallback.bin'),
      upstream.url('fallback.bin'),
    ]);
    const r = await h.get('/pulp/content/od/fallback.bin');
    expect(r.status).toBe(200);
    expect(r.body.equals(data)).toBe(true);
    expect(upstream.count('gone/fallback.bin')).toBe(1);
  });

  it('answers 404 naming the upstream problem when every remote fails', async () => {
    const data = randomBytes(4000);
    await onDemandUnit('missing.bin', data, 'on_demand', [upstream.url('gone/missing.bin')]);
    const r = await h.get('/pulp/content/od/missing.bin');
    expect(r.status).toBe(404);
    expect(r.body.toString()).toContain('gone/missing.bin');
    expect(r.body.toString()).toContain('HTTP 404');
  });

  it('cuts the connection and saves nothing when the upstream file is corrupted', async () => {
    const data = randomBytes(300_000);
    files.set('corrupt/bad.bin', data);
    const ca = await onDemandUnit('bad.bin', data, 'on_demand', [upstream.url('corrupt/bad.bin')]);
    const res = await h.client.request({ path: '/pulp/content/od/bad.bin', method: 'GET' });
    expect(res.statusCode).toBe(200);
    let received = 0;
    const outcome = await new Promise<string>((resolve) => {
      res.body.on('data', (c: Buffer) => (received += c.length));
      res.body.on('end', () => resolve('complete'));
      res.body.on('error', () => resolve('aborted'));
    });
    expect(outcome).toBe('aborted');
    expect(received).toBeLessThan(data.length);
    expect(await artifactOf(ca)).toBeNull();
    const ra = await h.database.db
      .selectFrom('remote_artifact')
      .select('failed_at')
      .where('content_artifact_id', '=', ca)
      .executeTakeFirstOrThrow();
    expect(ra.failed_at).not.toBeNull();
    // Within the cooldown the failed remote artifact is not tried again.
    const again = await h.get('/pulp/content/od/bad.bin');
    expect(again.status).toBe(404);
    expect(upstream.count('corrupt/bad.bin')).toBe(1);
  });

  it('answers HEAD for on-demand content with the headers and saves the artifact', async () => {
    const data = randomBytes(9000);
    files.set('head.txt', data);
    const ca = await onDemandUnit('head.txt', data, 'on_demand');
    const r = await h.get('/pulp/content/od/head.txt', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('9000');
    expect(r.headers['content-type']).toBe('text/plain');
    expect(r.body.length).toBe(0);
    await expect.poll(() => artifactOf(ca)).not.toBeNull();
  });
});
