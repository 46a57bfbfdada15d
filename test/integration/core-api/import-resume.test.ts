/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// An import that fails midway, after some artifacts were stored, is run again and completes: what was
// stored is reported present and left as it was (same inode, same mtime), and the end state equals that
// of an import that never failed. The fault is real: a plain file sits where one artifact's storage
// directory must be created, so storing that artifact fails; removing the file repairs the storage.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FixtureServer, fixtureMap, generateRepository } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
const FILES = 24;
let root: string;
let src: ApiWithTasks;
let clean: ApiWithTasks;
let broken: ApiWithTasks;
let fixtures: FixtureServer;
let tar: string;
const repoFiles = generateRepository(
  Array.from({ length: FILES }, (_, i) => `r/${i}.bin`),
  8192,
);

async function call(h: ApiWithTasks, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const res = await h.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: h.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

async function completed(h: ApiWithTasks, reply: { status: number; body: Record<string, any> | null }) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(202);
  await h.runTasks();
  const task = await h.task(reply.body!.task);
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task as Record<string, any>;
}

async function importInto(h: ApiWithTasks, importer: string) {
  const r = await call(h, 'POST', `${importer}imports/`, { path: tar, create_repositories: true });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  await h.runTasks();
  const group = (await call(h, 'GET', r.body!.task_group)).body!;
  return (await Promise.all(group.tasks.map((t: any) => h.task(t.pulp_href)))) as Record<string, any>[];
}

const report = (task: Record<string, any>, code: string) =>
  task.progress_reports.find((p: any) => p.code === code) as Record<string, any> | undefined;

/** Everything an import leaves behind, without local ids: artifacts, content, content artifacts, versions. */
async function endState(h: ApiWithTasks) {
  const db = h.api.database.db;
  const artifacts = await db
    .selectFrom('artifact')
    .select(['file', 'size', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'])
    .orderBy('sha256')
    .execute();
  const files = [];
  for (const a of artifacts) {
    const s = await stat(h.api.services.storage.localPath(a.file)!);
    files.push({ file: a.file, size: s.size });
  }
  const content = (await call(h, 'GET', `${API}content/file/files/?limit=1000&ordering=relative_path`)).body!;
  const ca = await db
    .selectFrom('content_artifact as ca')
    .innerJoin('artifact as a', 'a.pulp_id', 'ca.artifact_id')
    .select(['ca.relative_path', 'a.sha256'])
    .orderBy('ca.relative_path')
    .execute();
  const repo = (await call(h, 'GET', `${API}repositories/file/file/?name=resume-repo`)).body!.results[0];
  const versions = repo
    ? (await call(h, 'GET', `${repo.pulp_href}versions/?ordering=number`)).body!.results.map((v: any) => ({
        number: v.number,
        // The hrefs name the local repository; the counts are what must agree.
        content_summary: JSON.stringify(v.content_summary).replace(/"href":"[^"]*"/g, ''),
      }))
    : [];
  return {
    artifacts: artifacts.map((a) => ({ ...a, size: Number(a.size) })),
    files,
    content: {
      count: content.count,
      units: content.results.map((c: any) => ({ relative_path: c.relative_path, sha256: c.sha256 })),
    },
    contentArtifacts: ca,
    latest: repo?.latest_version_href.split('/').at(-2),
    versions,
  };
}

const tmpEntries = (h: ApiWithTasks) => readdir(h.api.services.storage.tempDir()).catch((): string[] => []);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pulp-resume-'));
  const exportsDir = path.join(root, 'exports');
  await mkdir(exportsDir);
  const paths = { ALLOWED_EXPORT_PATHS: [root], ALLOWED_IMPORT_PATHS: [root] };
  [src, clean, broken] = await Promise.all([
    createApiWithTasks(paths),
    createApiWithTasks(paths),
    createApiWithTasks(paths),
  ]);
  fixtures = await new FixtureServer({ files: fixtureMap(repoFiles.files, repoFiles.manifest) }).start();
  const remote = (
    await call(src, 'POST', `${API}remotes/file/file/`, { name: 'r', url: fixtures.url('PULP_MANIFEST') })
  ).body!.pulp_href;
  const repo = (await call(src, 'POST', `${API}repositories/file/file/`, { name: 'resume-repo', remote })).body!;
  await completed(src, await call(src, 'POST', `${repo.pulp_href}sync/`, {}));
  const exporter = (
    await call(src, 'POST', `${API}exporters/core/pulp/`, {
      name: 'resume',
      path: exportsDir,
      repositories: [repo.pulp_href],
    })
  ).body!;
  const task = await completed(src, await call(src, 'POST', `${exporter.pulp_href}exports/`, {}));
  const exp = (await call(src, 'GET', task.created_resources[0])).body!;
  tar = Object.keys(exp.output_file_info).find((f) => f.endsWith('.tar'))!;
}, 120_000);

afterAll(async () => {
  await fixtures?.stop();
  await Promise.all([src?.api.close(), clean?.api.close(), broken?.api.close()]);
  await rm(root, { recursive: true, force: true });
});

describe('an interrupted Pulp import resumes', () => {
  let reference: Awaited<ReturnType<typeof endState>>;
  let importer: string;
  let blocker: string;
  let stored: Map<string, { ino: number; mtimeMs: number }>;

  it('an uninterrupted import, for reference', async () => {
    const imp = (await call(clean, 'POST', `${API}importers/core/pulp/`, { name: 'imp' })).body!.pulp_href;
    const tasks = await importInto(clean, imp);
    expect(tasks.map((t) => t.state)).toEqual(['completed', 'completed']);
    expect(report(tasks[0]!, 'import.artifacts')).toMatchObject({ total: FILES, done: FILES });
    expect(report(tasks[0]!, 'import.artifacts.present')).toMatchObject({ total: 0, done: 0 });
    reference = await endState(clean);
    expect(reference.artifacts).toHaveLength(FILES);
    expect(reference.content.count).toBe(FILES);
    expect(reference.latest).toBe('1');
  });

  it('fails after storing some artifacts, each whole, and leaves no temporary files', async () => {
    // The artifacts in the order the import stores them (the tar's), and one in the middle whose storage
    // directory no earlier artifact shares: a plain file takes that directory's place.
    const order: string[] = [];
    const extract = tarStream.extract();
    const reading = (async () => {
      for await (const e of extract) {
        if (e.header.name.startsWith('artifact/')) order.push(e.header.name);
        e.resume();
      }
    })();
    await pipeline(createReadStream(tar), extract);
    await reading;
    expect(order).toHaveLength(FILES);
    const dir = (m: string) => m.split('/').slice(0, 2).join('/');
    let k = Math.floor(FILES / 2);
    while (order.slice(0, k).some((m) => dir(m) === dir(order[k]!))) k++;
    const storage = broken.api.services.storage;
    blocker = storage.localPath(dir(order[k]!))!;
    await mkdir(path.dirname(blocker), { recursive: true });
    await writeFile(blocker, 'not a directory');

    importer = (await call(broken, 'POST', `${API}importers/core/pulp/`, { name: 'imp' })).body!.pulp_href;
    const tasks = await importInto(broken, importer);
    expect(tasks.map((t) => [t.name, t.state])).toEqual([['pulpcore.app.tasks.importer.pulp_import', 'failed']]);
    const db = broken.api.database.db;
    const rows = await db.selectFrom('artifact').select(['file', 'size']).execute();
    expect(rows.map((r) => r.file).sort()).toEqual(order.slice(0, k).sort());
    stored = new Map();
    for (const r of rows) {
      const s = await stat(storage.localPath(r.file)!);
      expect(s.size, r.file).toBe(Number(r.size));
      stored.set(r.file, { ino: s.ino, mtimeMs: s.mtimeMs });
    }
    expect(await db.selectFrom('content').select('pulp_id').execute()).toEqual([]);
    expect(await tmpEntries(broken)).toEqual([]);
  });

  it('run again on the repaired storage, completes without rewriting what was stored', async () => {
    await rm(blocker);
    const tasks = await importInto(broken, importer);
    expect(
      tasks.map((t) => t.state),
      JSON.stringify(tasks.map((t) => t.error)),
    ).toEqual(['completed', 'completed']);
    expect(report(tasks[0]!, 'import.artifacts')).toMatchObject({ total: FILES, done: FILES });
    expect(report(tasks[0]!, 'import.artifacts.present')).toMatchObject({ total: stored.size, done: stored.size });
    for (const [file, before] of stored) {
      const s = await stat(broken.api.services.storage.localPath(file)!);
      expect({ ino: s.ino, mtimeMs: s.mtimeMs }, file).toEqual(before);
    }
    expect(await endState(broken)).toEqual(reference);
    expect(await tmpEntries(broken)).toEqual([]);
  });

  it('a third run finds everything present and creates no version and no duplicate', async () => {
    const tasks = await importInto(broken, importer);
    expect(tasks.map((t) => t.state)).toEqual(['completed', 'completed']);
    expect(report(tasks[0]!, 'import.artifacts.present')).toMatchObject({ total: FILES, done: FILES });
    expect(tasks[1]!.created_resources).toEqual([]);
    expect(await endState(broken)).toEqual(reference);
  });
});
