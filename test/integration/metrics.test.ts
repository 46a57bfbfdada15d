import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../src/core/passwords.js';
import {
  getOnNewConnection,
  type ServerProcess,
  startApiProcess,
  startContentProcesses,
} from '../helpers/processes.js';
import { type Harness, startHarness } from './content-app/harness.js';

const ADMIN = `Basic ${Buffer.from('admin:metrics-password').toString('base64')}`;

/** The value of one series of a Prometheus text exposition (0 when absent). */
function series(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return 0;
}

describe('Prometheus metrics of clustered API and content processes', () => {
  let h: Harness;
  let content: ServerProcess | null = null;
  let api: ServerProcess | null = null;
  let upstream: Server;
  let upstreamHits = 0;
  const onDemandData = randomBytes(300_000);
  const stored = Buffer.from('stored file for the metrics\n');

  beforeAll(async () => {
    h = await startHarness();
    const home = path.dirname(h.settings.MEDIA_ROOT);
    await h.database.db
      .insertInto('auth_user')
      .values({ username: 'admin', password: await hashPassword('metrics-password', 1000), is_superuser: true })
      .execute();
    upstream = createServer((_req, res) => {
      upstreamHits++;
      res.writeHead(200, { 'content-length': onDemandData.length });
      // Slow enough that concurrent first requests meet the running download.
      res.write(onDemandData.subarray(0, 1000));
      setTimeout(() => res.end(onDemandData.subarray(1000)), 500);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    [content, api] = await Promise.all([
      startContentProcesses(h.database.db, h.database.url, { home, processes: 2 }),
      startApiProcess(h.database.url, { home, processes: 2 }),
    ]);
  }, 240_000);
  afterAll(async () => {
    await Promise.all([content?.stop(), api?.stop()]);
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
    await h?.close();
  });

  it('the content app counts every request of every process, the bytes sent and the shared on-demand download', async () => {
    const f = h.fixtures;
    const artifact = await f.artifact(stored);
    const unit = await f.content('stored.txt', artifact.pulp_id);
    const od = await f.content('od.bin', null);
    const remote = await f.remote(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`, 'on_demand');
    await f.remoteArtifact(
      od.contentArtifactId,
      remote,
      `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/od.bin`,
      onDemandData,
    );
    const repo = await f.repository();
    const publication = await f.publication(await f.version(repo, 1, [unit.contentId, od.contentId]));
    await f.distribution('metrics', { publication_id: publication });

    const c = content!;
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await getOnNewConnection(c.port, '/pulp/content/metrics/stored.txt'));
    expect(answers.every((a) => a.status === 200 && a.body.equals(stored))).toBe(true);
    // New connections are spread over the processes: both answered, so a scrape of one alone would miss some.
    expect(new Set(answers.map((a) => a.servedBy)).size).toBe(2);
    const concurrent = await Promise.all(
      Array.from({ length: 8 }, () => getOnNewConnection(c.port, '/pulp/content/metrics/od.bin')),
    );
    expect(concurrent.every((a) => a.status === 200 && a.body.equals(onDemandData))).toBe(true);
    expect(upstreamHits).toBe(1);

    // Whichever process answers the scrape reports the sum over both.
    for (let scrape = 0; scrape < 4; scrape++) {
      const m = await getOnNewConnection(c.port, '/metrics');
      expect(m.status).toBe(200);
      expect(String(m.headers['content-type'])).toContain('text/plain');
      const text = m.body.toString();
      const ok = { app: 'content', route: '/pulp/content/', status: '200' };
      expect(series(text, 'pulp_http_requests_total', ok)).toBe(20);
      expect(series(text, 'pulp_http_request_duration_seconds_count', { route: '/pulp/content/' })).toBe(20);
      expect(series(text, 'pulp_content_sent_bytes_total', {})).toBeGreaterThan(
        12 * stored.length + 8 * onDemandData.length,
      );
      expect(series(text, 'pulp_content_on_demand_total', { event: 'started' })).toBe(1);
      expect(series(text, 'pulp_content_on_demand_total', { event: 'shared' })).toBeGreaterThanOrEqual(1);
      expect(series(text, 'pulp_content_on_demand_total', { event: 'failed' })).toBe(0);
      expect(series(text, 'pulp_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    }
  }, 120_000);

  it('the API counts requests by route pattern and reports the cluster tasks and workers from the database', async () => {
    const base = `http://127.0.0.1:${api!.port}`;
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${base}/pulp/api/v3/repositories/file/file/?limit=${i + 1}`, {
        headers: { authorization: ADMIN, connection: 'close' },
      });
      expect(r.status).toBe(200);
    }
    // No worker runs: the task stays waiting.
    const cleanup = await fetch(`${base}/pulp/api/v3/orphans/cleanup/`, {
      method: 'POST',
      headers: { authorization: ADMIN, 'content-type': 'application/json', connection: 'close' },
      body: '{}',
    });
    expect(cleanup.status).toBe(202);
    for (let scrape = 0; scrape < 3; scrape++) {
      const m = await getOnNewConnection(api!.port, '/metrics');
      expect(m.status).toBe(200);
      const text = m.body.toString();
      const route = { app: 'api', method: 'GET', route: '/pulp/api/v3/repositories/file/file/', status: '200' };
      expect(series(text, 'pulp_http_requests_total', route)).toBe(6);
      expect(text).not.toContain('limit=');
      expect(series(text, 'pulp_tasks', { state: 'waiting', name: 'pulpcore.app.tasks.orphan.orphan_cleanup' })).toBe(
        1,
      );
      expect(text).toContain('# TYPE pulp_task_wait_seconds histogram');
      expect(series(text, 'pulp_workers', { status: 'online' })).toBe(0);
      expect(series(text, 'pulp_process_resident_memory_bytes', { app: 'api' })).toBeGreaterThan(10_000_000);
    }
  }, 60_000);
});
