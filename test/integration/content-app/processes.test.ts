import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSettings } from '../../../src/core/settings.js';
import { FileSystemStorage } from '../../../src/storage/filesystem.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../../helpers/db.js';
import { freePort } from '../../helpers/global-setup.js';
import { ContentFixtures } from './fixtures.js';

describe('pulpcore-content processes', () => {
  let database: TestDatabase;
  let child: ChildProcess | null = null;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await database?.drop();
  });

  it('runs several processes behind one port, each heartbeating, and deregisters them on SIGTERM', async () => {
    port = await freePort();
    const home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-content-cli-'));
    await chmod(home, 0o755);
    let output = '';
    child = spawn(process.execPath, ['bin/pulpcore-content.js', '--bind', `127.0.0.1:${port}`, '--processes', '2'], {
      env: {
        ...process.env,
        PULP_DATABASE_URL: database.url,
        PULP_HOME: home,
        PULP_WORKER_TTL: '3',
        PULP_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const online = () =>
      database.db
        .selectFrom('app_status')
        .select(['name', 'pid', 'last_heartbeat'])
        .where('app_type', '=', 'content')
        .where('stopped_at', 'is', null)
        .where('last_heartbeat', '>', sql<string>`clock_timestamp() - interval '3 seconds'`)
        .execute();
    const first = await waitFor(
      async () => {
        const rows = await online();
        return rows.length === 2 ? rows : null;
      },
      { what: `two online content apps (output: ${output})`, timeoutMs: 30_000 },
    );
    expect(new Set(first.map((r) => r.pid)).size).toBe(2);
    // Both keep heartbeating.
    await waitFor(
      async () => {
        const rows = await online();
        return (
          rows.length === 2 &&
          rows.every((r) => first.some((f) => f.name === r.name && r.last_heartbeat > f.last_heartbeat))
        );
      },
      { what: 'heartbeats of both processes', timeoutMs: 15_000 },
    );
    const res = await request(`http://127.0.0.1:${port}/pulp/content/`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain('Index of /pulp/content/');

    // Every process sees each committed change on the very next request, whichever process gets it.
    const fixtures = new ContentFixtures(
      database.db,
      new FileSystemStorage(path.join(home, 'media')),
      loadSettings({ env: {}, overrides: { PULP_HOME: home } }),
    );
    const repo = await fixtures.repository();
    const publications: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await fixtures.artifact(Buffer.from(`generation ${i}`));
      const c = await fixtures.content('g.txt', a.pulp_id);
      publications.push(await fixtures.publication(await fixtures.version(repo, i + 1, [c.contentId])));
    }
    const dist = await fixtures.distribution('cluster', { publication_id: publications[0] });
    for (let round = 0; round < 6; round++) {
      const i = round % 3;
      await fixtures.updateDistribution(dist, { publication_id: publications[i] });
      for (let k = 0; k < 4; k++) {
        const r = await request(`http://127.0.0.1:${port}/pulp/content/cluster/g.txt`);
        expect(await r.body.text()).toBe(`generation ${i}`);
      }
    }

    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    const left = await online();
    expect(left).toHaveLength(0);
  });
});
