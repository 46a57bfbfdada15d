/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';

import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncTuning } from '../../../src/plugins/file/sync-task.js';
import { FixtureServer, fixtureMap, generateRepository } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
let root: string;
let exportsDir: string;
let src: ApiWithTasks;
let dst: ApiWithTasks;
let fixtures: FixtureServer;
const first = generateRepository(['a.bin', 'dir/b.bin', 'c.bin'], 3000);
const second = generateRepository(['d.bin'], 2000);

async function call(
  h: ApiWithTasks,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  const res = await h.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: h.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

async function run(h: ApiWithTasks, href: string): Promise<Record<string, any>> {
  await h.runTasks();
  return h.task(href);
}

async function completed(h: ApiWithTasks, reply: { status: number; body: Record<string, any> | null }) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(202);
  const task = await run(h, reply.body!.task);
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task;
}

/** Imports and waits for the whole task group; returns the group and its tasks. */
async function importInto(h: ApiWithTasks, importer: string, body: Record<string, unknown>) {
  const r = await call(h, 'POST', `${importer}imports/`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  expect(Object.keys(r.body!)).toEqual(['task_group']);
  await h.runTasks();
  const group = (await call(h, 'GET', r.body!.task_group)).body!;
  const tasks = await Promise.all(group.tasks.map((t: any) => h.task(t.pulp_href)));
  return { group, tasks };
}

/** relative_path -> sha256 of the latest version of a repository, read from the content and storage. */
async function repositoryFiles(h: ApiWithTasks, name: string): Promise<Map<string, string>> {
  const repo = (await call(h, 'GET', `${API}repositories/file/file/?name=${name}`)).body!.results[0];
  const content = (
    await call(h, 'GET', `${API}content/file/files/?repository_version=${repo.latest_version_href}&limit=1000`)
  ).body!.results;
  const out = new Map<string, string>();
  for (const c of content) {
    const artifact = (await call(h, 'GET', c.artifact)).body!;
    const bytes = await readFile(h.api.services.storage.localPath(artifact.file)!);
    out.set(c.relative_path, createHash('sha256').update(bytes).digest('hex'));
  }
  return out;
}

const expected = (files: { relativePath: string; sha256: string }[]) =>
  new Map(files.map((f) => [f.relativePath, f.sha256]));

let exporter: Record<string, any>;
let repoHref: string;
let remoteHref: string;

beforeAll(async () => {
  syncTuning.retryBaseMs = 1;
  root = await mkdtemp(path.join(tmpdir(), 'pulp-ie-'));
  exportsDir = path.join(root, 'exports');
  await mkdir(exportsDir);
  const paths = { ALLOWED_EXPORT_PATHS: [root], ALLOWED_IMPORT_PATHS: [root] };
  src = await createApiWithTasks(paths);
  dst = await createApiWithTasks(paths);
  const files = fixtureMap(first.files, first.manifest);
  for (const [k, v] of fixtureMap([...first.files, ...second.files], first.manifest + second.manifest, 'v2/'))
    files.set(k, v);
  fixtures = await new FixtureServer({ files }).start();
  remoteHref = (await call(src, 'POST', `${API}remotes/file/file/`, { name: 'ie', url: fixtures.url('PULP_MANIFEST') }))
    .body!.pulp_href;
  repoHref = (await call(src, 'POST', `${API}repositories/file/file/`, { name: 'ie-repo', remote: remoteHref })).body!
    .pulp_href;
  await completed(src, await call(src, 'POST', `${repoHref}sync/`, {}));
});

afterAll(async () => {
  await fixtures?.stop();
  await src?.api.close();
  await dst?.api.close();
  await rm(root, { recursive: true, force: true });
});

describe('exporters/core/pulp/', () => {
  it('refuses a path outside ALLOWED_EXPORT_PATHS and creates one inside', async () => {
    const bad = await call(src, 'POST', `${API}exporters/core/pulp/`, {
      name: 'outside',
      path: path.join(tmpdir(), 'elsewhere'),
      repositories: [repoHref],
    });
    expect(bad.status).toBe(400);
    expect(bad.body!.path[0]).toMatch(/is not an allowed export path/);
    const sneaky = await call(src, 'POST', `${API}exporters/core/pulp/`, {
      name: 'sneaky',
      path: `${root}-evil/x`,
      repositories: [repoHref],
    });
    expect(sneaky.status).toBe(400);
    const r = await call(src, 'POST', `${API}exporters/core/pulp/`, {
      name: 'exp',
      path: exportsDir,
      repositories: [repoHref],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    exporter = r.body!;
    expect(exporter).toMatchObject({ name: 'exp', path: exportsDir, repositories: [repoHref], last_export: null });
    expect(exporter.pulp_href).toMatch(/\/exporters\/core\/pulp\/[0-9a-f-]{36}\/$/);
    expect(exporter.prn).toMatch(/^prn:core\.pulpexporter:/);
  });

  it('validates export bodies as Pulp does', async () => {
    const inc = await call(src, 'POST', `${exporter.pulp_href}exports/`, { full: false });
    expect(inc.status).toBe(400);
    expect(inc.body!.non_field_errors[0]).toMatch(/Incremental export can only be requested/);
    const chunk = await call(src, 'POST', `${exporter.pulp_href}exports/`, { chunk_size: '10 parsecs' });
    expect(chunk.body!.chunk_size[0]).toMatch(/is not valid \(valid units are B\/KB\/MB\/GB\/TB\)/);
    const versions = await call(src, 'POST', `${exporter.pulp_href}exports/`, { versions: [] });
    expect(versions.body!.versions[0]).toMatch(/Number of versions \(0\) does not match/);
    const unknown = await call(src, 'POST', `${exporter.pulp_href}exports/`, { bogus: 1 });
    expect(unknown.status).toBe(400);
  });

  it('a dry run writes nothing', async () => {
    const task = await completed(src, await call(src, 'POST', `${exporter.pulp_href}exports/`, { dry_run: true }));
    expect(task.result).toMatchObject({ dry_run: true, artifacts: 3, artifacts_size: 9000 });
    expect(await readdir(exportsDir)).toEqual([]);
    expect((await call(src, 'GET', `${exporter.pulp_href}exports/`)).body!.count).toBe(0);
  });

  let fullExport: Record<string, any>;
  it('a full export writes export-<uuid>-<stamp>.tar and its -toc.json with crc32 sums', async () => {
    const task = await completed(src, await call(src, 'POST', `${exporter.pulp_href}exports/`, {}));
    expect(task.name).toBe('pulpcore.app.tasks.export.pulp_export');
    expect(task.reserved_resources_record).toContain(`prn:core.pulpexporter:${exporter.pulp_href.split('/').at(-2)}`);
    expect(task.reserved_resources_record.some((r: string) => /^shared:prn:file\.filerepository:/.test(r))).toBe(true);
    expect(task.progress_reports.find((p: any) => p.code === 'export.artifacts')).toMatchObject({ total: 3, done: 3 });
    fullExport = (await call(src, 'GET', task.created_resources[0])).body!;
    const id = fullExport.pulp_href.split('/').at(-2);
    const names = (await readdir(exportsDir)).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(new RegExp(`^export-${id}-\\d{8}_\\d{4}-toc\\.json$`));
    expect(names[1]).toMatch(new RegExp(`^export-${id}-\\d{8}_\\d{4}\\.tar$`));
    const tar = path.join(exportsDir, names[1]!);
    const toc = path.join(exportsDir, names[0]!);
    const crc = (crc32(await readFile(tar)) >>> 0).toString(16);
    const tocSha = createHash('sha256')
      .update(await readFile(toc))
      .digest('hex');
    expect(fullExport.output_file_info).toEqual({ [tar]: crc, [toc]: tocSha });
    expect(fullExport.toc_info).toEqual({ file: toc, sha256: tocSha });
    expect(JSON.parse(await readFile(toc, 'utf8'))).toEqual({
      meta: { checksum_type: 'crc32' },
      files: { [names[1]!]: crc },
    });
    expect(fullExport.exported_resources).toEqual([`${repoHref}versions/1/`]);
    expect((await call(src, 'GET', exporter.pulp_href)).body!.last_export).toBe(fullExport.pulp_href);
    // The tar holds Pulp's layout.
    const members: string[] = [];
    const extract = tarStream.extract();
    const reading = (async () => {
      for await (const e of extract) {
        members.push(e.header.name);
        e.resume();
      }
    })();
    await pipeline(createReadStream(tar), extract);
    await reading;
    expect(members).toEqual(
      expect.arrayContaining([
        'versions.json',
        'pulpcore.app.modelresource.ArtifactResource.json',
        'pulpcore.app.modelresource.RepositoryResource.json',
        'repository-ie-repo_1/pulp_file.app.modelresource.FileContentResource.json',
        'repository-ie-repo_1/pulpcore.app.modelresource.ContentArtifactResource.json',
        ...first.files.map((f) => `artifact/${f.sha256.slice(0, 2)}/${f.sha256.slice(2)}`),
      ]),
    );
  });

  it('imports into another database: the same content, byte for byte, and a task group', async () => {
    const tar = Object.keys(fullExport.output_file_info).find((f) => f.endsWith('.tar'))!;
    const importer = (await call(dst, 'POST', `${API}importers/core/pulp/`, { name: 'imp' })).body!;
    expect(importer).toMatchObject({ name: 'imp', repo_mapping: {} });
    const { group, tasks } = await importInto(dst, importer.pulp_href, { path: tar, create_repositories: true });
    expect(group.all_tasks_dispatched).toBe(true);
    expect(group.group_progress_reports).toEqual([
      { message: 'Importing repository versions', code: 'import.repo.versions', total: 1, done: 1, suffix: null },
    ]);
    expect(tasks.map((t) => [t.name, t.state])).toEqual([
      ['pulpcore.app.tasks.importer.pulp_import', 'completed'],
      ['pulpcore.app.tasks.importer.import_repository_version', 'completed'],
    ]);
    expect(tasks[0].reserved_resources_record).toContain(importer.prn);
    expect(await repositoryFiles(dst, 'ie-repo')).toEqual(expected(first.files));
    const repo = (await call(dst, 'GET', `${API}repositories/file/file/?name=ie-repo`)).body!.results[0];
    expect(repo.latest_version_href).toMatch(/versions\/1\/$/);
    const imports = (await call(dst, 'GET', `${importer.pulp_href}imports/`)).body!;
    expect(imports.count).toBe(1);
    expect(imports.results[0].params).toEqual({ path: tar });
  });

  it('an incremental export carries only new artifacts and imports as the next version', async () => {
    await call(src, 'PATCH', remoteHref, { url: fixtures.url('v2/PULP_MANIFEST') });
    await src.runTasks();
    await completed(src, await call(src, 'POST', `${repoHref}sync/`, {}));
    const task = await completed(
      src,
      await call(src, 'POST', `${exporter.pulp_href}exports/`, { full: false, chunk_size: '1KB' }),
    );
    expect(task.progress_reports.find((p: any) => p.code === 'export.artifacts')).toMatchObject({ total: 1 });
    const exp = (await call(src, 'GET', task.created_resources[0])).body!;
    const chunks = Object.keys(exp.output_file_info).filter((f) => /\.tar\.\d{4}$/.test(f));
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks.slice(0, -1)) expect((await stat(c)).size).toBe(1024);
    const toc = JSON.parse(await readFile(exp.toc_info.file, 'utf8'));
    expect(toc.meta).toEqual({ checksum_type: 'crc32', chunk_size: 1024 });
    const importer = (await call(dst, 'GET', `${API}importers/core/pulp/?name=imp`)).body!.results[0];
    const { tasks } = await importInto(dst, importer.pulp_href, { toc: exp.toc_info.file });
    expect(
      tasks.every((t) => t.state === 'completed'),
      JSON.stringify(tasks.map((t) => t.error)),
    ).toBe(true);
    expect(tasks[0].progress_reports.find((p: any) => p.code === 'validate.chunks')).toMatchObject({
      done: chunks.length,
    });
    expect(await repositoryFiles(dst, 'ie-repo')).toEqual(expected([...first.files, ...second.files]));
    const repo = (await call(dst, 'GET', `${API}repositories/file/file/?name=ie-repo`)).body!.results[0];
    expect(repo.latest_version_href).toMatch(/versions\/2\/$/);
  });
});

/** Counts that must not move when an import is refused. */
async function footprint(h: ApiWithTasks) {
  const db = h.api.database.db;
  const [a, c, v] = await Promise.all([
    db
      .selectFrom('artifact')
      .select((e) => e.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('content')
      .select((e) => e.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('repository_version')
      .select((e) => e.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { artifacts: Number(a.n), content: Number(c.n), versions: Number(v.n) };
}

/** A tar whose members are given as [header, body] pairs. */
async function writeTar(
  file: string,
  members: [Partial<tarStream.Header> & { name: string }, string][],
): Promise<void> {
  const pack = tarStream.pack();
  const done = pipeline(pack, createWriteStream(file));
  for (const [h, body] of members)
    await new Promise<void>((res, rej) => pack.entry(h, body, (e) => (e ? rej(e) : res())));
  pack.finalize();
  await done;
}

describe('refused imports import nothing', () => {
  let importer: string;
  let tocFile: string;
  beforeAll(async () => {
    importer = (await call(dst, 'POST', `${API}importers/core/pulp/`, { name: 'refusals' })).body!.pulp_href;
    const exp = (await call(src, 'GET', exporter.pulp_href)).body!;
    tocFile = (await call(src, 'GET', exp.last_export)).body!.toc_info.file;
  });

  async function refused(body: Record<string, unknown>, message: RegExp) {
    const before = await footprint(dst);
    const { tasks } = await importInto(dst, importer, body);
    expect(tasks[0].state).toBe('failed');
    expect(tasks[0].error.description).toMatch(message);
    expect(tasks).toHaveLength(1);
    expect(await footprint(dst)).toEqual(before);
  }

  it('a chunk whose checksum differs from the toc', async () => {
    const dir = path.join(root, 'tampered-chunk');
    await mkdir(dir);
    const toc = JSON.parse(await readFile(tocFile, 'utf8'));
    for (const name of Object.keys(toc.files))
      await writeFile(path.join(dir, name), await readFile(path.join(path.dirname(tocFile), name)));
    const victim = path.join(dir, Object.keys(toc.files).sort()[1]!);
    const bytes = await readFile(victim);
    bytes[10] = bytes[10]! ^ 0xff;
    await writeFile(victim, bytes);
    await writeFile(path.join(dir, 'x-toc.json'), JSON.stringify(toc));
    await refused({ toc: path.join(dir, 'x-toc.json') }, /Import chunk hash mismatch/);
  });

  it('a toc naming files outside its directory', async () => {
    const dir = path.join(root, 'escaping-toc');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'x-toc.json'),
      JSON.stringify({ meta: { checksum_type: 'crc32' }, files: { '../secret': '0' } }),
    );
    await refused({ toc: path.join(dir, 'x-toc.json') }, /outside the export directory/);
  });

  it('a truncated export', async () => {
    const tar = Object.keys(
      (
        await call(
          src,
          'GET',
          (await call(src, 'GET', `${exporter.pulp_href}exports/?ordering=pulp_created`)).body!.results[0].pulp_href,
        )
      ).body!.output_file_info,
    ).find((f) => f.endsWith('.tar'))!;
    const cut = path.join(root, 'truncated.tar');
    await writeFile(cut, (await readFile(tar)).subarray(0, 5000));
    await refused(
      { path: cut, create_repositories: true },
      /not a readable tar archive|no versions\.json|Unexpected end|no .*Resource/,
    );
  });

  it('a member with .. and a symlink member', async () => {
    const dotdot = path.join(root, 'dotdot.tar');
    await writeTar(dotdot, [
      [{ name: 'versions.json' }, '[]'],
      [{ name: 'artifact/../../escape' }, 'x'],
    ]);
    await refused({ path: dotdot, create_repositories: true }, /Refusing tar member .*relative path segment/);
    const link = path.join(root, 'symlink.tar');
    await writeTar(link, [
      [{ name: 'versions.json' }, '[]'],
      [{ name: 'artifact/ab/cd', type: 'symlink', linkname: '/etc/passwd' }, ''],
    ]);
    await refused({ path: link, create_repositories: true }, /Refusing tar member .*type symlink/);
    expect(await readdir(root)).not.toContain('escape');
  });

  it('an artifact whose bytes do not match its name', async () => {
    const sha = 'ab'.repeat(32);
    const bad = path.join(root, 'badsum.tar');
    await writeTar(bad, [
      [{ name: 'versions.json' }, '[{"component":"core","version":"3.90.0"}]'],
      [{ name: `artifact/${sha.slice(0, 2)}/${sha.slice(2)}` }, 'not what the name says'],
    ]);
    await refused({ path: bad, create_repositories: true }, /does not match its checksum/);
  });

  it('paths outside ALLOWED_IMPORT_PATHS are refused before any task', async () => {
    const r = await call(dst, 'POST', `${importer}imports/`, { path: '/etc/passwd' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ path: ["path '/etc/passwd' is not an allowed import path"] });
    const both = await call(dst, 'POST', `${importer}imports/`, { path: tocFile, toc: tocFile });
    expect(both.body).toEqual({ non_field_errors: ["Only one of 'path' and 'toc' may be specified."] });
    const none = await call(dst, 'POST', `${importer}imports/`, {});
    expect(none.body).toEqual({ non_field_errors: ["One of 'path' or 'toc' must be specified."] });
  });
});

describe('importers/core/pulp/', () => {
  it('repo_mapping targets must exist, and create_repositories with a mapping is a 400', async () => {
    const bad = await call(dst, 'POST', `${API}importers/core/pulp/`, { name: 'm1', repo_mapping: { x: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual([
      'Failed to find repositories from repo_mapping: Repository matching query does not exist.',
    ]);
    const ok = await call(dst, 'POST', `${API}importers/core/pulp/`, {
      name: 'm1',
      repo_mapping: { 'ie-repo': 'ie-repo' },
    });
    expect(ok.status).toBe(201);
    const r = await call(dst, 'POST', `${ok.body!.pulp_href}imports/`, {
      path: path.join(root, 'x.tar'),
      create_repositories: true,
    });
    expect(r.body).toEqual({
      non_field_errors: ["The option 'create_repositories' is not compatible with 'repo_mapping'."],
    });
    const patched = await call(dst, 'PATCH', ok.body!.pulp_href, { name: 'm2' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'm2', repo_mapping: { 'ie-repo': 'ie-repo' } });
    expect((await call(dst, 'DELETE', ok.body!.pulp_href)).status).toBe(204);
    expect((await call(dst, 'GET', ok.body!.pulp_href)).status).toBe(404);
  });

  it('import-check evaluates path, toc and repo_mapping', async () => {
    const r = await call(dst, 'POST', `${API}importers/core/pulp/import-check/`, {
      path: '/etc/passwd',
      toc: path.join(root, 'missing-toc.json'),
      repo_mapping: '{not json',
    });
    expect(r.status).toBe(200);
    expect(r.body!.path).toMatchObject({ context: '/etc/passwd', is_valid: false });
    expect(r.body!.path.messages[0]).toMatch(/is not an allowed import path/);
    expect(r.body!.toc).toMatchObject({ is_valid: false, messages: [expect.stringMatching(/does not exist/)] });
    expect(r.body!.repo_mapping).toEqual({ context: '{not json', is_valid: false, messages: ['invalid JSON'] });
    const empty = await call(dst, 'POST', `${API}importers/core/pulp/import-check/`, {});
    expect(empty.status).toBe(400);
  });
});

describe('exporters/core/filesystem/', () => {
  for (const method of ['write', 'hardlink', 'symlink'] as const) {
    it(`${method}s a repository version`, async () => {
      const dir = path.join(root, `fs-${method}`);
      const e = await call(src, 'POST', `${API}exporters/core/filesystem/`, {
        name: `fs-${method}`,
        path: dir,
        method,
      });
      expect(e.status, JSON.stringify(e.body)).toBe(201);
      const task = await completed(
        src,
        await call(src, 'POST', `${e.body!.pulp_href}exports/`, { repository_version: `${repoHref}versions/1/` }),
      );
      expect(task.name).toBe('pulpcore.app.tasks.export.fs_repo_version_export');
      for (const f of first.files) {
        const p = path.join(dir, f.relativePath);
        expect(
          createHash('sha256')
            .update(await readFile(p))
            .digest('hex'),
        ).toBe(f.sha256);
        const info = await lstat(p);
        if (method === 'symlink') expect(await readlink(p)).toMatch(/artifact/);
        else expect(info.isFile()).toBe(true);
        if (method === 'hardlink') expect(info.nlink).toBeGreaterThan(1);
      }
      const again = await run(
        src,
        (await call(src, 'POST', `${e.body!.pulp_href}exports/`, { repository_version: `${repoHref}versions/1/` }))
          .body!.task,
      );
      expect(again.state).toBe('failed');
      expect(again.error.description).toMatch(/Cannot export to directories that contain existing data/);
    });
  }

  it('writes a publication, with its metadata', async () => {
    const pub = await completed(
      src,
      await call(src, 'POST', `${API}publications/file/file/`, { repository: repoHref }),
    );
    const dir = path.join(root, 'fs-pub');
    const e = (await call(src, 'POST', `${API}exporters/core/filesystem/`, { name: 'fs-pub', path: dir })).body!;
    const both = await call(src, 'POST', `${e.pulp_href}exports/`, {
      publication: pub.created_resources[0],
      repository_version: `${repoHref}versions/1/`,
    });
    expect(both.body).toEqual({
      non_field_errors: ['publication or repository_version must either be supplied but not both.'],
    });
    const task = await completed(
      src,
      await call(src, 'POST', `${e.pulp_href}exports/`, { publication: pub.created_resources[0] }),
    );
    expect(task.name).toBe('pulpcore.app.tasks.export.fs_publication_export');
    expect((await readdir(dir)).sort()).toEqual(['PULP_MANIFEST', 'a.bin', 'c.bin', 'd.bin', 'dir']);
    const exp = (await call(src, 'GET', task.created_resources[0])).body!;
    expect(exp.exported_resources).toEqual([pub.created_resources[0]]);
    expect(exp.params).toEqual({ publication: pub.created_resources[0].split('/').at(-2) });
  });

  it('update and delete of an exporter are tasks', async () => {
    const e = (
      await call(src, 'POST', `${API}exporters/core/filesystem/`, { name: 'fs-upd', path: path.join(root, 'u') })
    ).body!;
    const bad = await call(src, 'PATCH', e.pulp_href, { path: '/etc' });
    expect(bad.status).toBe(400);
    const upd = await completed(src, await call(src, 'PATCH', e.pulp_href, { method: 'symlink' }));
    expect(upd.name).toBe('pulpcore.app.tasks.base.ageneral_update');
    expect(upd.result).toMatchObject({ name: 'fs-upd', method: 'symlink' });
    const del = await completed(src, await call(src, 'DELETE', e.pulp_href));
    expect(del.name).toBe('pulpcore.app.tasks.base.ageneral_delete');
    expect((await call(src, 'GET', e.pulp_href)).status).toBe(404);
  });
});
