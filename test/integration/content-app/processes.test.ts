import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSettings } from '../../../src/core/settings.js';
import { FileSystemStorage } from '../../../src/storage/filesystem.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../../helpers/db.js';
import { fromEveryProcess, type ServerProcess, startContentProcesses } from '../../helpers/processes.js';
import { ContentFixtures } from './fixtures.js';

const PROCESSES = 3;
const TTL = 15;

describe('pulpcore-content processes', () => {
  let database: TestDatabase;
  let content: ServerProcess | null = null;
  let home: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-content-cli-'));
    // Three processes starting through tsx on a loaded 2-core machine can take a minute or more.
    content = await startContentProcesses(database.db, database.url, { home, processes: PROCESSES, workerTtl: TTL });
  }, 240_000);
  afterAll(async () => {
    if (content && content.child.exitCode === null) content.child.kill('SIGKILL');
    await database?.drop();
    await rm(home, { recursive: true, force: true });
  });

  const online = () =>
    database.db
      .selectFrom('app_status')
      .select(['name', 'pid', 'last_heartbeat'])
      .where('app_type', '=', 'content')
      .where('stopped_at', 'is', null)
      .where('last_heartbeat', '>', sql<string>`clock_timestamp() - make_interval(secs => ${TTL})`)
      .execute();

  it('runs several processes behind one port, each heartbeating', async () => {
    const first = await online();
    expect(first).toHaveLength(PROCESSES);
    expect(new Set(first.map((r) => r.pid)).size).toBe(PROCESSES);
    await waitFor(
      async () => {
        const rows = await online();
        return rows.every((r) => first.some((f) => f.name === r.name && r.last_heartbeat > f.last_heartbeat));
      },
      { what: 'a heartbeat of every process', timeoutMs: 3 * TTL * 1000 },
    );
    const root = await fromEveryProcess(content!, '/pulp/content/');
    for (const answers of root.values()) {
      expect(answers[0]!.status).toBe(200);
      expect(answers[0]!.body.toString()).toContain('Index of /pulp/content/');
    }
  }, 120_000);

  it('every process serves each committed change on its next request', async () => {
    const c = content!;
    const fixtures = new ContentFixtures(
      database.db,
      new FileSystemStorage(path.join(home, 'media')),
      loadSettings({ env: {}, overrides: { PULP_HOME: home } }),
    );
    const repo = await fixtures.repository();
    const publications: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await fixtures.artifact(Buffer.from(`generation ${i}`));
      const unit = await fixtures.content('g.txt', a.pulp_id);
      publications.push(await fixtures.publication(await fixtures.version(repo, i + 1, [unit.contentId])));
    }
    const dist = await fixtures.distribution('cluster', { publication_id: publications[0] });
    // Each round warms every process's cache with one generation, then changes it: a process that missed the
    // change would answer the generation it cached.
    for (let round = 0; round < 6; round++) {
      const i = round % 3;
      await fixtures.updateDistribution(dist, { publication_id: publications[i] });
      const answers = await fromEveryProcess(c, '/pulp/content/cluster/g.txt');
      for (const [name, got] of answers)
        for (const a of got) expect(`${name}: ${a.body.toString()}`).toBe(`${name}: generation ${i}`);
    }
    await fixtures.updateDistribution(dist, { base_path: 'moved' });
    for (const [name, got] of await fromEveryProcess(c, '/pulp/content/cluster/g.txt'))
      expect(`${name}: ${got[0]!.status}`).toBe(`${name}: 404`);
    for (const [name, got] of await fromEveryProcess(c, '/pulp/content/moved/g.txt'))
      expect(`${name}: ${got[0]!.body.toString()}`).toBe(`${name}: generation 2`);
  });

  it('deregisters every process on SIGTERM', async () => {
    await content!.stop();
    expect(await online()).toHaveLength(0);
  });
});
