import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../../helpers/db.js';
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

  /**
   * An upstream that sends the headers and the first `head` bytes of `data` at once and the rest only when
   * `release()` is called, so a test knows the download is still under way.
   */
  async function gatedUpstream(
    name: string,
    data: Buffer,
    head: number,
  ): Promise<{ url: string; hits: () => number; release: () => void; stop: () => Promise<void> }> {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-length': data.length });
      res.write(data.subarray(0, head));
      void gate.then(() => res.end(data.subarray(head)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}`,
      hits: () => hits,
      release,
      stop: async () => {
        release();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  }

  /** A streaming GET: resolves `started` once the first `atLeast` body bytes arrived, `done` with the body. */
  async function streamingGet(p: string, atLeast = 1): Promise<{ started: Promise<void>; done: Promise<Buffer> }> {
    const res = await h.client.request({ path: p, method: 'GET' });
    expect(res.statusCode).toBe(200);
    const chunks: Buffer[] = [];
    let received = 0;
    let markStarted!: () => void;
    const started = new Promise<void>((r) => (markStarted = r));
    const done = new Promise<Buffer>((resolve, reject) => {
      res.body.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
        if (received >= atLeast) markStarted();
      });
      res.body.on('end', () => resolve(Buffer.concat(chunks)));
      res.body.on('error', reject);
    });
    return { started, done };
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
    await waitFor(() => artifactOf(ca), { timeoutMs: 60_000, what: 'the artifact to be saved and linked' });
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

  /** The content app's own temporary files of on-demand downloads. */
  const onDemandTemps = async () =>
    (await readdir(h.storage.tempDir()).catch((): string[] => [])).filter((n) => n.startsWith('ondemand-'));

  it('removes the temporary file of a streamed download whose only client went away mid-body', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const upstreamFile = await gatedUpstream('abandoned.bin', data, 1024 * 1024);
    try {
      await onDemandUnit('abandoned.bin', data, 'streamed', [upstreamFile.url]);
      const res = await h.client.request({ path: '/pulp/content/od/abandoned.bin', method: 'GET' });
      let received = 0;
      await new Promise<void>((resolve) =>
        res.body.on('data', (c: Buffer) => {
          received += c.length;
          if (received >= 512 * 1024) resolve();
        }),
      );
      expect(await onDemandTemps()).toHaveLength(1);
      res.body.destroy();
      upstreamFile.release();
      await waitFor(async () => (await onDemandTemps()).length === 0, { what: 'the temporary file to go' });
    } finally {
      await upstreamFile.stop();
    }
  });

  it('removes the temporary file when the upstream fails mid-body', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const upstreamFile = await gatedUpstream('cut.bin', data, 1024 * 1024);
    try {
      await onDemandUnit('cut.bin', data, 'on_demand', [upstreamFile.url]);
      const got = streamingGet('/pulp/content/od/cut.bin', 512 * 1024);
      await (
        await got
      ).started;
      expect(await onDemandTemps()).toHaveLength(1);
      await upstreamFile.stop(); // cuts the connection before the rest
      await expect((await got).done).rejects.toThrow();
      await waitFor(async () => (await onDemandTemps()).length === 0, { what: 'the temporary file to go' });
    } finally {
      await upstreamFile.stop();
    }
  });

  it('shares one upstream download between 20 concurrent first requests', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const upstreamFile = await gatedUpstream('popular.bin', data, 64 * 1024);
    try {
      const ca = await onDemandUnit('popular.bin', data, 'on_demand', [upstreamFile.url]);
      const clients = await Promise.all(Array.from({ length: 20 }, () => streamingGet('/pulp/content/od/popular.bin')));
      // Every client has bytes while the upstream still holds the rest: all 20 overlap on the one download
      // (none can have been served from storage, which only exists once the download is complete).
      await Promise.all(clients.map((c) => c.started));
      expect(upstreamFile.hits()).toBe(1);
      expect(await artifactOf(ca)).toBeNull();
      upstreamFile.release();
      for (const body of await Promise.all(clients.map((c) => c.done))) expect(body.equals(data)).toBe(true);
      expect(upstreamFile.hits()).toBe(1);
      expect(await artifactOf(ca)).not.toBeNull();
    } finally {
      await upstreamFile.stop();
    }
  });

  it('gives a late joiner the bytes so far and then the rest', async () => {
    const data = randomBytes(512 * 1024);
    const upstreamFile = await gatedUpstream('late.bin', data, 200_000);
    try {
      await onDemandUnit('late.bin', data, 'on_demand', [upstreamFile.url]);
      const first = await streamingGet('/pulp/content/od/late.bin', 100_000);
      // The first client has received bytes: the download is under way when the second one joins.
      await first.started;
      const second = await streamingGet('/pulp/content/od/late.bin', 200_000);
      // The second gets everything downloaded so far before the upstream sends another byte.
      await second.started;
      upstreamFile.release();
      expect((await first.done).equals(data)).toBe(true);
      expect((await second.done).equals(data)).toBe(true);
      expect(upstreamFile.hits()).toBe(1);
    } finally {
      await upstreamFile.stop();
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
    await waitFor(() => artifactOf(ca), { timeoutMs: 60_000, what: 'the artifact to be saved and linked' });
  });
});
