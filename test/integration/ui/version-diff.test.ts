/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// GET /ui/api/diff/: one side of the difference between two versions of a repository, computed in PostgreSQL
// and paged, each unit with its typed href, type and name (the plugin's declared column, else the artifact's
// relative path); field errors for bad or forged hrefs, 404 for versions that do not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../../src/core/passwords.js';
import { buildSdist, buildWheel } from '../../helpers/python-packages.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
const DIFF = '/ui/api/diff/';
let t: ApiWithTasks;
const alpha = buildWheel({ name: 'diff-alpha', version: '1.0' });
const beta = buildSdist({ name: 'diff-beta', version: '0.5' });
const gamma = buildWheel({ name: 'diff-gamma', version: '3.0' });
let py: string;
let fileRepo: string;
const pkg: Record<string, string> = {};

async function call(method: string, url: string, payload?: unknown, authorization = t.api.adminAuth) {
  const res = await t.api.app.inject({
    method: method as 'GET',
    url,
    payload: payload as object,
    headers: authorization ? { authorization } : {},
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

function multipart(fields: Record<string, string>, file: { name: string; bytes: Buffer }) {
  const boundary = `----uidiff${Date.now()}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function finish(reply: { status: number; body: any }): Promise<any> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(202);
  await t.runTasks();
  const task = await t.task(reply.body.task);
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task;
}

async function upload(list: string, fields: Record<string, string>, file: { name: string; bytes: Buffer }) {
  const form = multipart(fields, file);
  const res = await t.api.app.inject({
    method: 'POST',
    url: `${API}${list}`,
    payload: form.payload,
    headers: { ...form.headers, authorization: t.api.adminAuth },
  });
  return finish({ status: res.statusCode, body: JSON.parse(res.body) });
}

const diff = (params: Record<string, string | number>, authorization?: string) =>
  call(
    'GET',
    `${DIFF}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`,
    undefined,
    authorization,
  );

beforeAll(async () => {
  t = await createApiWithTasks();
  py = (await call('POST', `${API}repositories/python/python/`, { name: 'diff-py' })).body.pulp_href;
  for (const [key, dist] of [
    ['alpha', alpha],
    ['beta', beta],
  ] as const) {
    const task = await upload(
      'content/python/packages/',
      { relative_path: dist.filename, repository: py },
      {
        name: dist.filename,
        bytes: dist.bytes,
      },
    );
    pkg[key] = task.created_resources.find((h: string) => h.includes('/content/'));
  }
  // v3 removes alpha, v4 adds it back with gamma: alpha has two repository_content rows.
  await finish(await call('POST', `${py}modify/`, { remove_content_units: [pkg.alpha] }));
  const g = await upload(
    'content/python/packages/',
    { relative_path: gamma.filename },
    {
      name: gamma.filename,
      bytes: gamma.bytes,
    },
  );
  pkg.gamma = g.created_resources.find((h: string) => h.includes('/content/'));
  await finish(await call('POST', `${py}modify/`, { add_content_units: [pkg.alpha, pkg.gamma] }));
  fileRepo = (await call('POST', `${API}repositories/file/file/`, { name: 'diff-file' })).body.pulp_href;
  await upload(
    'content/file/files/',
    { relative_path: 'docs/readme.txt', repository: fileRepo },
    {
      name: 'readme.txt',
      bytes: Buffer.from('read me\n'),
    },
  );
}, 120_000);

afterAll(async () => {
  await t?.api.close();
});

describe('GET /ui/api/diff/', () => {
  it('answers the units added and removed between two versions, named by the declared column', async () => {
    const added = await diff({ base: `${py}versions/1/`, compare: `${py}versions/2/`, side: 'added' });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({
      count: 1,
      next: null,
      previous: null,
      results: [{ pulp_href: pkg.beta, pulp_type: 'python.python', name: beta.filename }],
    });
    expect(pkg.beta).toMatch(/^\/pulp\/api\/v3\/content\/python\/packages\/[0-9a-f-]{36}\/$/);
    const none = await diff({ base: `${py}versions/1/`, compare: `${py}versions/2/`, side: 'removed' });
    expect(none.body).toMatchObject({ count: 0, results: [] });
    const removed = await diff({ base: `${py}versions/2/`, compare: `${py}versions/3/`, side: 'removed' });
    expect(removed.body.results).toEqual([{ pulp_href: pkg.alpha, pulp_type: 'python.python', name: alpha.filename }]);
    // Backwards: what version 3 lacks of version 2 is "added" when comparing 3 to 2.
    const back = await diff({ base: `${py}versions/3/`, compare: `${py}versions/2/`, side: 'added' });
    expect(back.body.results.map((r: any) => r.pulp_href)).toEqual([pkg.alpha]);
  });

  it('sees a unit removed and added again as present in both versions', async () => {
    const added = await diff({ base: `${py}versions/1/`, compare: `${py}versions/4/`, side: 'added' });
    expect(added.body.results.map((r: any) => r.name).sort()).toEqual([beta.filename, gamma.filename].sort());
    const removed = await diff({ base: `${py}versions/1/`, compare: `${py}versions/4/`, side: 'removed' });
    expect(removed.body.count).toBe(0);
    const same = await diff({ base: `${py}versions/4/`, compare: `${py}versions/4/` });
    expect(same.body.count).toBe(0);
  });

  it('pages with limit and offset, in a stable order, with next and previous links', async () => {
    const base = `${py}versions/0/`;
    const compare = `${py}versions/4/`;
    const first = await diff({ base, compare, side: 'added', limit: 2 });
    expect(first.body.count).toBe(3);
    expect(first.body.results).toHaveLength(2);
    expect(first.body.previous).toBeNull();
    const next = new URL(first.body.next, 'http://x');
    expect(next.pathname).toBe(DIFF);
    expect(Object.fromEntries(next.searchParams)).toEqual({ base, compare, side: 'added', limit: '2', offset: '2' });
    const second = await call('GET', first.body.next);
    expect(second.body.results).toHaveLength(1);
    expect(second.body.next).toBeNull();
    expect(second.body.previous).not.toBeNull();
    const names = [...first.body.results, ...second.body.results].map((r: any) => r.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names)).toEqual(new Set([alpha.filename, beta.filename, gamma.filename]));
    const past = await diff({ base, compare, side: 'added', offset: 10 });
    expect(past.body).toMatchObject({ count: 3, results: [], next: null });
  });

  it("names units of a type without a declared name by their artifact's relative path", async () => {
    const r = await diff({ base: `${fileRepo}versions/0/`, compare: `http://any.host${fileRepo}versions/1/` });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([expect.objectContaining({ pulp_type: 'file.file', name: 'docs/readme.txt' })]);
    expect(r.body.results[0].pulp_href).toMatch(/\/content\/file\/files\/[0-9a-f-]{36}\/$/);
  });

  it('refuses missing, malformed and forged parameters with field errors', async () => {
    expect(await diff({})).toEqual({
      status: 400,
      body: { base: ['This field is required.'], compare: ['This field is required.'] },
    });
    const bad = await diff({
      base: '/pulp/api/v3/tasks/00000000-0000-4000-8000-000000000000/',
      compare: `${py}versions/x/`,
      side: 'sideways',
      limit: 'many',
      offset: '-1',
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body).sort()).toEqual(['base', 'compare', 'limit', 'offset', 'side']);
    expect(bad.body.base).toEqual(['Invalid hyperlink - Object does not exist.']);
    expect((await diff({ base: `${py}versions/1/`, compare: `${py}versions/2/`, limit: 0 })).body).toHaveProperty(
      'limit',
    );
    expect((await diff({ base: `${py}versions/1/`, compare: `${py}versions/2/`, limit: 5000 })).status).toBe(400);
    // A version of another repository.
    const other = await diff({ base: `${py}versions/1/`, compare: `${fileRepo}versions/1/` });
    expect(other).toEqual({
      status: 400,
      body: { compare: ['The versions compared must belong to the same repository.'] },
    });
    // The file repository's id under the python type's path: forged.
    const id = fileRepo.split('/').at(-2);
    const forged = `${API}repositories/python/python/${id}/versions/1/`;
    const f = await diff({ base: forged, compare: `${API}repositories/python/python/${id}/versions/0/` });
    expect(f).toEqual({ status: 400, body: { base: ['Invalid hyperlink - Object does not exist.'] } });
    const sql = await diff({ base: `${py}versions/1/'; SELECT 1; --/`, compare: `${py}versions/2/` });
    expect(sql.status).toBe(400);
  });

  it('answers 404 for versions or repositories that do not exist', async () => {
    const missing = await diff({ base: `${py}versions/1/`, compare: `${py}versions/99/` });
    expect(missing).toEqual({ status: 404, body: { detail: 'No repository version matches compare.' } });
    const gone = `${API}repositories/python/python/00000000-0000-4000-8000-000000000000/`;
    expect((await diff({ base: `${gone}versions/0/`, compare: `${gone}versions/1/` })).status).toBe(404);
  });

  it('needs a user who may see the repository', async () => {
    expect((await diff({ base: `${py}versions/1/`, compare: `${py}versions/2/` }, '')).status).toBe(401);
    await t.api.database.db
      .insertInto('auth_user')
      .values({ username: 'diff-nobody', password: await hashPassword('nobody-pw', 1000) })
      .execute();
    const nobody = `Basic ${Buffer.from('diff-nobody:nobody-pw').toString('base64')}`;
    const hidden = await diff({ base: `${py}versions/1/`, compare: `${py}versions/2/` }, nobody);
    expect(hidden.status).toBe(404);
    // A viewer role on this repository (not on others) is enough.
    const role = await call('POST', `${py}add_role/`, {
      role: 'python.pythonrepository_viewer',
      users: ['diff-nobody'],
    });
    expect(role.status).toBe(201);
    const seen = await diff({ base: `${py}versions/1/`, compare: `${py}versions/2/` }, nobody);
    expect(seen.status).toBe(200);
    expect(seen.body.results.map((r: any) => r.pulp_href)).toEqual([pkg.beta]);
    const file = await diff({ base: `${fileRepo}versions/0/`, compare: `${fileRepo}versions/1/` }, nobody);
    expect(file.status).toBe(404);
  });
});
