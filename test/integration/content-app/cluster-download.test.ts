import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { sql } from 'kysely';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadRegistry } from '../../../src/cli/registry.js';
import { loadSettings } from '../../../src/core/settings.js';
import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { createStorage } from '../../../src/storage/create-storage.js';
import { waitFor } from '../../helpers/db.js';
import { getOnNewConnection, type ServerProcess, startContentProcesses } from '../../helpers/processes.js';
import { ContentFixtures } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/** An upstream serving `data` at `/<name>`: the first `head` bytes at once, the rest once `release()` is called. */
async function gatedUpstream(data: Buffer, head: number) {
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
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    base,
    hits: () => hits,
    release,
    stop: async () => {
      release();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** An on-demand unit at `name` fetched from `upstream`, published and distributed at `basePath`. */
async function onDemandDistribution(f: ContentFixtures, upstreamBase: string, name: string, data: Buffer) {
  const unit = await f.content(name, null);
  const remote = await f.remote(upstreamBase, 'on_demand');
  await f.remoteArtifact(unit.contentArtifactId, remote, `${upstreamBase}${name}`, data);
  const repo = await f.repository();
  const basePath = `od-${randomBytes(4).toString('hex')}`;
  await f.distribution(basePath, { publication_id: await f.publication(await f.version(repo, 1, [unit.contentId])) });
  return { basePath, contentArtifactId: unit.contentArtifactId };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('on-demand downloads across content processes', () => {
  let home: string;
  let content: ServerProcess | null = null;
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    home = path.dirname(h.settings.MEDIA_ROOT);
    content = await startContentProcesses(h.database.db, h.database.url, { home, processes: 3 });
  }, 240_000);
  afterAll(async () => {
    await content?.stop();
    await h?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('30 concurrent first requests spread over 3 processes make exactly one upstream fetch', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const upstream = await gatedUpstream(data, 256 * 1024);
    try {
      const { basePath, contentArtifactId } = await onDemandDistribution(h.fixtures, upstream.base, 'big.bin', data);
      const answers = Array.from({ length: 30 }, () =>
        getOnNewConnection(content!.port, `/pulp/content/${basePath}/big.bin`),
      );
      // Every request is in flight (the first fetch is held open) before the upstream may finish.
      await waitFor(async () => upstream.hits() >= 1, { what: 'the upstream fetch', timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 1500));
      upstream.release();
      const results = await Promise.all(answers);
      for (const r of results) {
        expect(r.status).toBe(200);
        expect(sha256(r.body)).toBe(sha256(data));
      }
      expect(new Set(results.map((r) => r.servedBy)).size).toBeGreaterThan(1);
      expect(upstream.hits()).toBe(1);
      const linked = await h.database.db
        .selectFrom('content_artifact')
        .select('artifact_id')
        .where('pulp_id', '=', contentArtifactId)
        .executeTakeFirstOrThrow();
      expect(linked.artifact_id).not.toBeNull();
    } finally {
      await upstream.stop();
    }
  }, 120_000);

  it('a process that loses its claim mid-download hands the fetch on to a waiting process', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const upstream = await gatedUpstream(data, 128 * 1024);
    let other: ContentApp | null = null;
    try {
      const { basePath } = await onDemandDistribution(h.fixtures, upstream.base, 'handed.bin', data);
      const settings = loadSettings({
        env: {},
        overrides: { PULP_HOME: home, LOG_LEVEL: 'silent', DATABASE_URL: h.database.url },
      });
      other = await startContentApp({
        settings,
        db: h.database.db,
        logger: pino({ level: 'silent' }),
        storage: await createStorage(settings),
        port: 0,
        heartbeat: false,
        plugins: loadRegistry(settings),
      });
      const url = `/pulp/content/${basePath}/handed.bin`;
      const first = h.get(url);
      await waitFor(async () => upstream.hits() === 1, { what: 'the first fetch', timeoutMs: 30_000 });
      const second = request(`http://127.0.0.1:${other.port}${url}`).then(async (r) => ({
        status: r.statusCode,
        body: Buffer.from(await r.body.arrayBuffer()),
      }));
      await new Promise((r) => setTimeout(r, 500));
      expect(upstream.hits()).toBe(1);
      // The claim holder's session ends, as when its process dies: its lock goes with it.
      await sql`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7401`.execute(
        h.database.db,
      );
      await waitFor(async () => upstream.hits() === 2, { what: 'the fetch handed on', timeoutMs: 30_000 });
      upstream.release();
      const [a, b] = await Promise.all([first, second]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(sha256(a.body)).toBe(sha256(data));
      expect(sha256(b.body)).toBe(sha256(data));
    } finally {
      await upstream.stop();
      await other?.close();
    }
  }, 120_000);
});
