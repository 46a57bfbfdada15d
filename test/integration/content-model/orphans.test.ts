import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { importArtifactFromFile } from '../../../src/plugin-api/artifacts.js';
import { createInitialVersion, createRepositoryVersion } from '../../../src/plugin-api/repository-versions.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import { writeTempFile } from '../../helpers/task-context.js';

let ctx: ApiWithTasks;
const API = '/pulp/api/v3/';

beforeAll(async () => {
  ctx = await createApiWithTasks();
});
afterAll(async () => {
  await ctx.api.close();
});

async function call(method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await ctx.api.app.inject({ method, url, payload, headers: { authorization: ctx.api.adminAuth } });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null };
}

/** A content unit with one stored artifact; returns both ids and the artifact's sha256. */
async function unit(): Promise<{ content: string; artifact: string; sha256: string }> {
  const services = ctx.api.services;
  const a = await importArtifactFromFile(services, await writeTempFile(services, randomBytes(200)));
  const c = await services.db
    .insertInto('content')
    .values({ pulp_type: 'file.file', pulp_labels: {}, upstream_id: null })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  await services.db
    .insertInto('content_artifact')
    .values({ content_id: c.pulp_id, artifact_id: a.pulp_id, relative_path: `f-${c.pulp_id}` })
    .execute();
  return { content: c.pulp_id, artifact: a.pulp_id, sha256: a.sha256 };
}

async function artifactFiles(): Promise<string[]> {
  const root = path.join(ctx.api.settings.MEDIA_ROOT, 'artifact');
  const dirs = await readdir(root).catch((): string[] => []);
  const out: string[] = [];
  for (const d of dirs) for (const f of await readdir(path.join(root, d))) out.push(`${d}${f}`);
  return out.sort();
}

async function cleanup(body: object): Promise<Record<string, unknown>> {
  const r = await call('POST', `${API}orphans/cleanup/`, body);
  expect(r.status).toBe(202);
  await ctx.runTasks();
  return ctx.task(String(r.body!.task));
}

describe('orphan cleanup', () => {
  it('keeps young orphans under the protection time, then removes exactly the orphans and their files', async () => {
    const db = ctx.api.database.db;
    const repo = await db
      .insertInto('repository')
      .values({
        pulp_type: 'file.file',
        name: 'orphans-repo',
        description: null,
        retain_repo_versions: null,
        retain_checkpoints: null,
        remote_id: null,
        pulp_labels: {},
        detail: {},
      })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await createInitialVersion(db, repo.pulp_id);
    const kept = await unit();
    const removedLater = await unit(); // in version 1 only, still a member of a version: kept
    const orphan = await unit();
    await createRepositoryVersion(db, repo.pulp_id, { add: [kept.content, removedLater.content] });
    await createRepositoryVersion(db, repo.pulp_id, { remove: [removedLater.content] });
    // An artifact nobody references (an upload that was never used).
    await importArtifactFromFile(ctx.api.services, await writeTempFile(ctx.api.services, randomBytes(99)));
    // A published metadata file keeps its artifact.
    const meta = await importArtifactFromFile(ctx.api.services, await writeTempFile(ctx.api.services, randomBytes(77)));
    const v = await db
      .selectFrom('repository_version')
      .select('pulp_id')
      .where('repository_id', '=', repo.pulp_id)
      .where('number', '=', 2)
      .executeTakeFirstOrThrow();
    const pub = await db
      .insertInto('publication')
      .values({ pulp_type: 'file.file', repository_version_id: v.pulp_id, complete: true, detail: {} })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('published_metadata')
      .values({ publication_id: pub.pulp_id, artifact_id: meta.pulp_id, relative_path: 'PULP_MANIFEST' })
      .execute();

    const young = await cleanup({});
    expect(young).toMatchObject({
      state: 'completed',
      name: 'pulpcore.app.tasks.orphan.orphan_cleanup',
      reserved_resources_record: expect.arrayContaining([expect.stringMatching(/^pdrn:.*:orphans$/)]),
    });
    expect(await artifactFiles()).toHaveLength(5);

    const task = await cleanup({ orphan_protection_time: 0 });
    expect(task.state).toBe('completed');
    const reports = task.progress_reports as { code: string; done: number; total: number }[];
    expect(reports.find((r) => r.code === 'clean-up.content')).toMatchObject({ total: 1, done: 1 });
    expect(reports.find((r) => r.code === 'clean-up.artifacts')).toMatchObject({ total: 2, done: 2 });
    const expected = [kept.sha256, removedLater.sha256, meta.sha256].sort();
    expect(await artifactFiles()).toEqual(expected);
    const contentLeft = (await db.selectFrom('content').select('pulp_id').execute()).map((r) => r.pulp_id).sort();
    expect(contentLeft).toEqual([kept.content, removedLater.content].sort());
    const artifactsLeft = await db.selectFrom('artifact').select('sha256').orderBy('sha256').execute();
    expect(artifactsLeft.map((a) => a.sha256)).toEqual(expected);
    // Nothing of the orphan unit is left behind: its content artifact went with it.
    const orphanLinks = await db
      .selectFrom('content_artifact')
      .select('pulp_id')
      .where('content_id', '=', orphan.content)
      .execute();
    expect(orphanLinks).toEqual([]);
  });

  it('with content_hrefs removes only those orphans and their artifacts', async () => {
    const a = await unit();
    const b = await unit();
    const task = await cleanup({
      content_hrefs: [`${API}content/file/files/${a.content}/`],
      orphan_protection_time: 0,
    });
    expect(task.state).toBe('completed');
    const files = await artifactFiles();
    expect(files).not.toContain(a.sha256);
    expect(files).toContain(b.sha256);
    const bad = await call('POST', `${API}orphans/cleanup/`, {
      content_hrefs: [`${API}content/file/files/0199a0c4-0000-7000-8000-000000000000/`],
    });
    expect(bad.status).toBe(400);
    expect((await call('POST', `${API}orphans/cleanup/`, { content_hrefs: [] })).status).toBe(400);
  });

  it('lists orphans with orphaned_for on artifacts and content', async () => {
    const a = await unit();
    const arts = await call('GET', `${API}artifacts/?orphaned_for=0`);
    expect(arts.body!.count).toBe(0); // its content still references it
    const content = await call('GET', `${API}content/?orphaned_for=0`);
    expect((content.body!.results as { pulp_href: string }[]).map((r) => r.pulp_href)).toContain(
      `${API}content/file/files/${a.content}/`,
    );
    const none = await call('GET', `${API}content/?orphaned_for=-1`);
    expect((none.body!.results as { pulp_href: string }[]).map((r) => r.pulp_href)).not.toContain(
      `${API}content/file/files/${a.content}/`,
    );
  });
});
