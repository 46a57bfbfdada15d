/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createInitialVersion, createRepositoryVersion } from '../../../src/plugin-api/repository-versions.js';
import { createTestApi, type TestApi } from '../../helpers/api.js';
import { fileDb } from '../../../src/plugins/file/tables.js';

/*
 * The file content list filtered by a repository version takes its count from the version's stored summary
 * when that is the only filter: the counts and pages must equal what counting the rows gives.
 */

let api: TestApi;
let repoHref = '';
let repoId = '';
const API = '/pulp/api/v3/';
const ids: string[] = [];

async function list(query: string): Promise<{ count: number; results: any[]; next: string | null }> {
  const res = await api.app.inject({
    method: 'GET',
    url: `${API}content/file/files/?${query}`,
    headers: { authorization: api.adminAuth },
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

beforeAll(async () => {
  api = await createTestApi();
  const db = api.database.db;
  const repo = await db
    .insertInto('repository')
    .values({
      pulp_type: 'file.file',
      name: 'counts',
      description: null,
      retain_repo_versions: null,
      retain_checkpoints: null,
      remote_id: null,
      pulp_labels: {},
      detail: {},
    })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  repoId = repo.pulp_id;
  repoHref = `${API}repositories/file/file/${repoId}/`;
  await createInitialVersion(db, repoId);
  for (let i = 0; i < 7; i++) {
    const c = await db
      .insertInto('content')
      .values({ pulp_type: 'file.file', pulp_labels: {}, upstream_id: null })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await fileDb(db)
      .insertInto('file_content')
      .values({ content_id: c.pulp_id, relative_path: `dir/f${i}.txt`, digest: `${i}`.padStart(64, '0') })
      .execute();
    await db
      .insertInto('content_artifact')
      .values({ content_id: c.pulp_id, artifact_id: null, relative_path: `dir/f${i}.txt` })
      .execute();
    ids.push(c.pulp_id);
  }
  await createRepositoryVersion(db, repoId, { add: ids.slice(0, 5) });
  await createRepositoryVersion(db, repoId, { add: ids.slice(5), remove: ids.slice(0, 3) });
});
afterAll(async () => {
  await api.close();
});

describe('file content list by repository version', () => {
  it("counts each version's units exactly, newest first", async () => {
    const v1 = await list(`repository_version=${repoHref}versions/1/`);
    expect(v1.count).toBe(5);
    expect(v1.results.map((r) => r.pulp_href.split('/').at(-2))).toEqual(ids.slice(0, 5).reverse());
    const v2 = await list(`repository_version=${repoHref}versions/2/&limit=2`);
    expect(v2.count).toBe(4);
    expect(v2.results.map((r) => r.pulp_href.split('/').at(-2))).toEqual([ids[6], ids[5]]);
    expect(v2.next).not.toBeNull();
    const rest = await list(`repository_version=${repoHref}versions/2/&limit=2&offset=2`);
    expect(rest.results.map((r) => r.pulp_href.split('/').at(-2))).toEqual([ids[4], ids[3]]);
    expect((await list(`repository_version=${repoHref}versions/0/`)).count).toBe(0);
  });

  it('counts the rows when another filter narrows the version', async () => {
    const one = await list(`repository_version=${repoHref}versions/2/&relative_path=dir/f6.txt`);
    expect(one.count).toBe(1);
    expect(one.results).toHaveLength(1);
  });

  it('counts the rows it lists for a version without a stored summary (missing or incomplete)', async () => {
    const missing = await list(`repository_version=${repoHref}versions/9/`);
    expect(missing.count).toBe(missing.results.length);
    // A version that does not exist holds nothing: never the latest version's content.
    expect(missing.count).toBe(0);
    await api.database.db
      .insertInto('repository_version')
      .values({ repository_id: repoId, number: 3, complete: false, info: {} })
      .execute();
    const incomplete = await list(`repository_version=${repoHref}versions/3/`);
    expect(incomplete.count).toBe(incomplete.results.length);
    expect(incomplete.count).toBe(0);
  });
});
