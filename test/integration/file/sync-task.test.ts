import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { apiPrefix } from '../../../src/core/ids.js';
import type { Services } from '../../../src/plugin-api/operations.js';
import { createInitialVersion, latestVersionNumber } from '../../../src/plugin-api/repository-versions.js';
import { synchronize, syncTuning } from '../../../src/plugins/file/sync-task.js';
import { createTestSettings } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { FixtureServer, fixtureMap, generateRepository, manifestFor } from '../../helpers/fixture-server.js';
import { createTaskContext, createTestServices } from '../../helpers/task-context.js';
import { fileDb } from '../../../src/plugins/file/tables.js';

let database: TestDatabase;
let services: Services;
let n = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  services = await createTestServices(database.db, await createTestSettings());
  syncTuning.retryBaseMs = 5;
});
afterAll(async () => {
  await database.drop();
});

async function makeRepo(detail: Record<string, unknown> = {}): Promise<string> {
  const repo = await database.db
    .insertInto('repository')
    .values({
      pulp_type: 'file.file',
      name: `repo-${++n}`,
      description: null,
      retain_repo_versions: null,
      retain_checkpoints: null,
      remote_id: null,
      pulp_labels: '{}',
      detail: JSON.stringify({ manifest: 'PULP_MANIFEST', autopublish: false, ...detail }),
    })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  await createInitialVersion(database.db, repo.pulp_id);
  return repo.pulp_id;
}

async function makeRemote(url: string, policy = 'immediate'): Promise<string> {
  const r = await database.db
    .insertInto('remote')
    .values({
      pulp_type: 'file.file',
      name: `remote-${++n}`,
      url,
      policy,
      ca_cert: null,
      client_cert: null,
      client_key: null,
      username: null,
      password: null,
      proxy_url: null,
      proxy_username: null,
      proxy_password: null,
      download_concurrency: null,
      max_retries: null,
      total_timeout: null,
      connect_timeout: null,
      sock_connect_timeout: null,
      sock_read_timeout: null,
      headers: null,
      rate_limit: null,
      pulp_labels: '{}',
      detail: '{}',
    })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  return r.pulp_id;
}

async function versionPaths(repoId: string): Promise<string[]> {
  const num = await latestVersionNumber(database.db, repoId);
  const rows = await fileDb(database.db)
    .selectFrom('repository_content as rc')
    .innerJoin('file_content as f', 'f.content_id', 'rc.content_id')
    .select('f.relative_path')
    .where('rc.repository_id', '=', repoId)
    .where('rc.version_added', '<=', num!)
    .where((eb) => eb.or([eb('rc.version_removed', 'is', null), eb('rc.version_removed', '>', num!)]))
    .execute();
  return rows.map((r) => r.relative_path).sort();
}

async function tempFiles(): Promise<string[]> {
  return readdir(services.storage.tempDir()).catch(() => []);
}

async function sync(remoteId: string, repoId: string, extra: Record<string, unknown> = {}) {
  const ctx = createTaskContext(services, { remote_pk: remoteId, repository_pk: repoId, mirror: false, ...extra });
  const result = await synchronize(ctx);
  return { ctx, result: result as Record<string, unknown> | null };
}

describe('file sync task', () => {
  it('an immediate sync stores every file, verified, and creates version 1', async () => {
    const { files, manifest } = generateRepository(['a.txt', 'dir/b.bin', 'dir/sub/c,with,commas.txt']);
    const server = await new FixtureServer({ files: fixtureMap(files, manifest) }).start();
    try {
      const repo = await makeRepo();
      const remote = await makeRemote(server.url('PULP_MANIFEST'));
      const { ctx, result } = await sync(remote, repo);
      expect(result?.number).toBe(1);
      expect((result?.content_summary as { added: Record<string, { count: number }> }).added['file.file']?.count).toBe(
        3,
      );
      expect(await versionPaths(repo)).toEqual(['a.txt', 'dir/b.bin', 'dir/sub/c,with,commas.txt']);
      for (const f of files) {
        const size = await services.storage.size(`artifact/${f.sha256.slice(0, 2)}/${f.sha256.slice(2)}`);
        expect(size).toBe(f.content.length);
      }
      const codes = ctx.progressReports.map((p) => [p.code, p.done]);
      expect(codes).toEqual(
        expect.arrayContaining([
          ['sync.downloading.metadata', 1],
          ['sync.parsing.metadata', 3],
          ['sync.downloading.artifacts', 3],
          ['associating.content', 3],
        ]),
      );
      expect(ctx.createdResources).toEqual([`${apiPrefix('/pulp/')}repositories/file/file/${repo}/versions/1/`]);
      const artifacts = await database.db
        .selectFrom('content_artifact')
        .select('artifact_id')
        .where('relative_path', '=', 'a.txt')
        .execute();
      expect(artifacts[0]?.artifact_id).not.toBeNull();

      // Unchanged remote and manifest: skipped, no version, no file request.
      const before = server.totalRequests();
      const again = await sync(remote, repo);
      expect(again.result).toBeNull();
      expect(again.ctx.progressReports.map((p) => p.code)).toContain('sync.was_skipped');
      expect(server.totalRequests()).toBe(before + 1);
      expect(await latestVersionNumber(database.db, repo)).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('files with the same bytes in one sync share one artifact and leave no temporary file', async () => {
    const { files } = generateRepository(['one.bin', 'two.bin', 'three.bin']);
    const same = files[0]!.content;
    const sha256 = files[0]!.sha256;
    const copies = files.map((f) => ({ ...f, content: same, sha256 }));
    const server = await new FixtureServer({ files: fixtureMap(copies, manifestFor(copies)) }).start();
    try {
      const repo = await makeRepo();
      const remote = await makeRemote(server.url('PULP_MANIFEST'));
      await sync(remote, repo);
      expect(await versionPaths(repo)).toEqual(['one.bin', 'three.bin', 'two.bin']);
      const artifacts = await database.db
        .selectFrom('content_artifact')
        .innerJoin('artifact', 'artifact.pulp_id', 'content_artifact.artifact_id')
        .select('artifact.sha256')
        .where('content_artifact.relative_path', 'in', ['one.bin', 'two.bin', 'three.bin'])
        .execute();
      expect(artifacts.map((a) => a.sha256)).toEqual([sha256, sha256, sha256]);
      expect(await services.storage.size(`artifact/${sha256.slice(0, 2)}/${sha256.slice(2)}`)).toBe(same.length);
      expect(await tempFiles()).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('an on_demand sync records remote artifacts and downloads only the manifest', async () => {
    const { files, manifest } = generateRepository(['x.txt', 'y.txt']);
    const server = await new FixtureServer({ files: fixtureMap(files, manifest, 'od/') }).start();
    try {
      const repo = await makeRepo();
      const remote = await makeRemote(server.url('od/PULP_MANIFEST'), 'on_demand');
      const { result } = await sync(remote, repo);
      expect(result?.number).toBe(1);
      expect(server.count('od/x.txt')).toBe(0);
      const ras = await database.db
        .selectFrom('remote_artifact')
        .select(['url', 'sha256', 'size'])
        .where('remote_id', '=', remote)
        .orderBy('url')
        .execute();
      expect(ras).toEqual([
        { url: server.url('od/x.txt'), sha256: files[0]!.sha256, size: 256 },
        { url: server.url('od/y.txt'), sha256: files[1]!.sha256, size: 256 },
      ]);
      const cas = await database.db
        .selectFrom('content_artifact')
        .select('artifact_id')
        .where('relative_path', 'in', ['x.txt', 'y.txt'])
        .execute();
      expect(cas.every((c) => c.artifact_id === null)).toBe(true);

      // Switching the remote to immediate downloads every file even though the content is unchanged.
      await database.db.updateTable('remote').set({ policy: 'immediate' }).where('pulp_id', '=', remote).execute();
      const again = await sync(remote, repo);
      expect(again.result).toBeNull();
      expect(server.count('od/x.txt')).toBe(1);
      const linked = await database.db
        .selectFrom('content_artifact')
        .select('artifact_id')
        .where('relative_path', 'in', ['x.txt', 'y.txt'])
        .execute();
      expect(linked.every((c) => c.artifact_id !== null)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('retries truncated, corrupted and 429 answers and then succeeds (4 requests per file)', async () => {
    const { files, manifest } = generateRepository(['r1.bin', 'r2.bin']);
    const faults = ['truncate', 'corrupt', 'status-429', null] as const;
    const server = await new FixtureServer({
      files: fixtureMap(files, manifest),
      fault: (p, attempt) => (p === 'PULP_MANIFEST' ? null : (faults[attempt - 1] ?? null)),
    }).start();
    try {
      const repo = await makeRepo();
      const { result } = await sync(await makeRemote(server.url('PULP_MANIFEST')), repo);
      expect(result?.number).toBe(1);
      expect(server.count('r1.bin')).toBe(4);
      expect(server.count('r2.bin')).toBe(4);
      expect(server.count('PULP_MANIFEST')).toBe(1);
    } finally {
      await server.stop();
    }
  });

  const bad: [string, (f: ReturnType<typeof generateRepository>) => { manifest: string; drop?: string }, RegExp][] = [
    ['a missing file (404)', (r) => ({ manifest: r.manifest, drop: 'b.txt' }), /b\.txt.*HTTP 404/],
    [
      'a wrong sha256',
      (r) => ({ manifest: r.manifest.replace(r.files[1]!.sha256, '0'.repeat(64)) }),
      /b\.txt: expected sha256 0{64}/,
    ],
    [
      'a wrong size',
      (r) => ({ manifest: r.manifest.replace(`b.txt,${r.files[1]!.sha256},256`, `b.txt,${r.files[1]!.sha256},300`) }),
      /b\.txt: expected 300 bytes, received 256/,
    ],
    ['a malformed line', (r) => ({ manifest: `${r.manifest}just-a-path\n` }), /Manifest line 3 is malformed/],
    [
      'a non-canonical relative path',
      (r) => ({ manifest: `${r.manifest}../escape.txt,${r.files[0]!.sha256},256\n` }),
      // The message never quotes the manifest's content (it may be any page a remote URL answered).
      /line 3 has an invalid relative path: The path may not contain "\." or "\.\." segments\./,
    ],
    [
      'a double slash path',
      (r) => ({ manifest: `${r.manifest}a//b.txt,${r.files[0]!.sha256},256\n` }),
      /line 3 has an invalid relative path/,
    ],
    [
      'a NUL byte in a path',
      (r) => ({ manifest: `${r.manifest}a\u0000b.txt,${r.files[0]!.sha256},256\n` }),
      /line 3 has an invalid relative path/,
    ],
  ];
  for (const [name, mutate, message] of bad) {
    it(`a sync with ${name} fails naming the file and leaves no version and no partial file`, async () => {
      const r = generateRepository(['a.txt', 'b.txt']);
      const { manifest, drop } = mutate(r);
      const map = fixtureMap(r.files, manifest);
      if (drop) map.delete(drop);
      const server = await new FixtureServer({ files: map }).start();
      try {
        const repo = await makeRepo();
        await expect(sync(await makeRemote(server.url('PULP_MANIFEST')), repo)).rejects.toThrow(message);
        expect(await latestVersionNumber(database.db, repo)).toBe(0);
        expect(await tempFiles()).toEqual([]);
        const v = await database.db
          .selectFrom('repository_version')
          .select('number')
          .where('repository_id', '=', repo)
          .execute();
        expect(v.map((x) => x.number)).toEqual([0]);
      } finally {
        await server.stop();
      }
    });
  }

  it('a mirror sync of a changed manifest removes what it no longer lists and publishes the upstream manifest', async () => {
    const one = generateRepository(['m1.txt', 'm2.txt', 'm3.txt']);
    const server = await new FixtureServer({ files: fixtureMap(one.files, one.manifest, 'mir/') }).start();
    try {
      const repo = await makeRepo();
      const remote = await makeRemote(server.url('mir/PULP_MANIFEST'));
      await sync(remote, repo);
      const two = generateRepository(['m4.txt']);
      const files = [one.files[0]!, ...two.files];
      server.files = fixtureMap(files, manifestFor(files), 'mir/');
      const { ctx, result } = await sync(remote, repo, { mirror: true });
      expect(result?.number).toBe(2);
      expect(await versionPaths(repo)).toEqual(['m1.txt', 'm4.txt']);
      expect(ctx.createdResources).toHaveLength(2);
      expect(ctx.createdResources[1]).toMatch(/\/publications\/file\/file\/[0-9a-f-]+\/$/);
      const pubId = path.basename(ctx.createdResources[1]!);
      const meta = await database.db
        .selectFrom('published_metadata as pm')
        .innerJoin('artifact as a', 'a.pulp_id', 'pm.artifact_id')
        .select(['pm.relative_path', 'a.file'])
        .where('pm.publication_id', '=', pubId)
        .execute();
      expect(meta).toHaveLength(1);
      expect(meta[0]!.relative_path).toBe('PULP_MANIFEST');
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(services.storage.localPath(meta[0]!.file)!, 'utf8')).toBe(manifestFor(files));
    } finally {
      await server.stop();
    }
  });
});
