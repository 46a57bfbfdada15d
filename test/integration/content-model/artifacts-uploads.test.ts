import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

let ctx: ApiWithTasks;
const API = '/pulp/api/v3/';

beforeAll(async () => {
  ctx = await createApiWithTasks();
});
afterAll(async () => {
  await ctx.api.close();
});

const sha = (b: Buffer, alg = 'sha256') => createHash(alg).update(b).digest('hex');

function multipart(fields: Record<string, string>, file?: { field?: string; name: string; data: Buffer }) {
  const boundary = `----pulpts${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: { payload: Buffer | object; headers?: Record<string, string> },
) {
  const res = await ctx.api.app.inject({
    method,
    url,
    payload: body?.payload as Buffer,
    headers: { authorization: ctx.api.adminAuth, ...(body?.headers ?? {}) },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null };
}

const uploadArtifact = (data: Buffer, fields: Record<string, string> = {}) =>
  call('POST', `${API}artifacts/`, multipart(fields, { name: 'blob.bin', data }));
const mediaFile = (sha256: string) =>
  path.join(ctx.api.settings.MEDIA_ROOT, 'artifact', sha256.slice(0, 2), sha256.slice(2));
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe('artifacts', () => {
  it('stores an upload content-addressed with every allowed digest and no forbidden one', async () => {
    const data = randomBytes(3000);
    const r = await uploadArtifact(data, { sha256: sha(data), size: String(data.length) });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      file: `artifact/${sha(data).slice(0, 2)}/${sha(data).slice(2)}`,
      size: 3000,
      md5: null,
      sha1: null,
      sha224: sha(data, 'sha224'),
      sha256: sha(data),
      sha384: sha(data, 'sha384'),
      sha512: sha(data, 'sha512'),
    });
    expect(r.body!.pulp_href).toMatch(/^\/pulp\/api\/v3\/artifacts\/[0-9a-f-]{36}\/$/);
    expect(r.body!.prn).toBe(`prn:core.artifact:${String(r.body!.pulp_href).split('/')[5]}`);
    expect(await readFile(mediaFile(sha(data)))).toEqual(data);
    const read = await call('GET', String(r.body!.pulp_href));
    expect(read.body).toEqual(r.body);
    const list = await call('GET', `${API}artifacts/?sha256=${sha(data)}&limit=1`);
    expect(list.body).toMatchObject({ count: 1, results: [{ pulp_href: r.body!.pulp_href }] });
    expect((await call('GET', `${API}artifacts/?sha512=${'0'.repeat(128)}`)).body!.count).toBe(0);
  });

  it('refuses mismatching digests or size, and a forbidden algorithm, storing nothing', async () => {
    const data = randomBytes(1000);
    const before = await readdir(path.join(ctx.api.settings.MEDIA_ROOT, 'tmp')).catch((): string[] => []);
    expect(await uploadArtifact(data, { sha256: sha(randomBytes(4)) })).toEqual({
      status: 400,
      body: { non_field_errors: ['The sha256 checksum did not match.'] },
    });
    expect(await uploadArtifact(data, { size: '999' })).toEqual({
      status: 400,
      body: { non_field_errors: ['The size did not match actual size of file.'] },
    });
    expect((await uploadArtifact(data, { md5: sha(data, 'md5') })).status).toBe(400);
    expect(await exists(mediaFile(sha(data)))).toBe(false);
    expect((await call('GET', `${API}artifacts/?sha256=${sha(data)}`)).body!.count).toBe(0);
    const after = await readdir(path.join(ctx.api.settings.MEDIA_ROOT, 'tmp')).catch((): string[] => []);
    expect(after.filter((f) => !before.includes(f))).toEqual([]);
  });

  it('refuses a second upload of the same bytes and repairs an artifact whose file is missing', async () => {
    const data = randomBytes(500);
    const first = await uploadArtifact(data);
    expect(first.status).toBe(201);
    const dup = await uploadArtifact(data);
    expect(dup).toEqual({
      status: 400,
      body: { non_field_errors: [`Artifact with sha256 checksum of '${sha(data)}' already exists.`] },
    });
    await rm(mediaFile(sha(data)));
    const repaired = await uploadArtifact(data);
    expect(repaired.status).toBe(201);
    expect(repaired.body!.pulp_href).toBe(first.body!.pulp_href);
    expect(await readFile(mediaFile(sha(data)))).toEqual(data);
  });

  it('refuses a form field posing as the file', async () => {
    const r = await call('POST', `${API}artifacts/`, multipart({ file: '/etc/passwd' }));
    expect(r.status).toBe(400);
  });

  it('deletes an unused artifact with its file, and refuses one that content uses', async () => {
    const data = randomBytes(700);
    const a = await uploadArtifact(data);
    const href = String(a.body!.pulp_href);
    const id = href.split('/')[5]!;
    const db = ctx.api.database.db;
    const content = await db
      .insertInto('content')
      .values({ pulp_type: 'file.file', pulp_labels: {}, upstream_id: null })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('content_artifact')
      .values({ content_id: content.pulp_id, artifact_id: id, relative_path: 'x' })
      .execute();
    const refused = await call('DELETE', href);
    expect(refused.status).toBe(409);
    expect(await exists(mediaFile(sha(data)))).toBe(true);
    await db.deleteFrom('content').where('pulp_id', '=', content.pulp_id).execute();
    expect((await call('DELETE', href)).status).toBe(204);
    expect(await exists(mediaFile(sha(data)))).toBe(false);
    expect((await call('GET', href)).status).toBe(404);
  });
});

describe('chunked uploads', () => {
  async function createUpload(size: number) {
    const r = await call('POST', `${API}uploads/`, { payload: { size } });
    expect(r.status).toBe(201);
    return String(r.body!.pulp_href);
  }
  it('accepts chunks in any order with retries, and commit turns them into one artifact', async () => {
    const data = randomBytes(10_000);
    const href = await createUpload(data.length);
    const a = data.subarray(0, 4000);
    const b = data.subarray(4000, 8000);
    const c = data.subarray(8000);
    // Content-Range needs the same boundary as the body: build each request in one go.
    const send = async (chunk: Buffer, start: number, fields: Record<string, string> = {}) => {
      const m = multipart(fields, { name: 'chunk', data: chunk });
      return call('PUT', href, {
        payload: m.payload,
        headers: { ...m.headers, 'content-range': `bytes ${start}-${start + chunk.length - 1}/${data.length}` },
      });
    };
    expect((await send(c, 8000)).status).toBe(200);
    expect((await send(randomBytes(4000), 0)).status).toBe(200); // a bad first attempt, retried below
    expect((await send(a, 0, { sha256: sha(a) })).status).toBe(200);
    expect((await send(b, 4000)).status).toBe(200);
    const detail = await call('GET', href);
    expect(detail.body).toMatchObject({
      size: 10_000,
      completed: null,
      chunks: [
        { offset: 0, size: 4000 },
        { offset: 4000, size: 4000 },
        { offset: 8000, size: 2000 },
      ],
    });
    const chunkFiles = await readdir(path.join(ctx.api.settings.MEDIA_ROOT, 'upload'));
    expect(chunkFiles).toHaveLength(3);

    const commit = await call('POST', `${href}commit/`, { payload: { sha256: sha(data) } });
    expect(commit.status).toBe(202);
    await ctx.runTasks();
    const task = await ctx.task(String(commit.body!.task));
    expect(task).toMatchObject({ state: 'completed', name: 'pulpcore.app.tasks.upload.commit' });
    const created = (task.created_resources as string[])[0]!;
    expect(created).toMatch(/\/pulp\/api\/v3\/artifacts\//);
    expect((await call('GET', created)).body).toMatchObject({ sha256: sha(data), size: 10_000 });
    expect(await readFile(mediaFile(sha(data)))).toEqual(data);
    expect((await call('GET', href)).status).toBe(404);
    expect(await readdir(path.join(ctx.api.settings.MEDIA_ROOT, 'upload'))).toEqual([]);
  });

  it('validates Content-Range, chunk size, bounds and chunk digests', async () => {
    const href = await createUpload(100);
    const chunk = randomBytes(10);
    const m = multipart({}, { name: 'chunk', data: chunk });
    const put = (range: string | undefined, payload = m) =>
      call('PUT', href, {
        payload: payload.payload,
        headers: { ...payload.headers, ...(range ? { 'content-range': range } : {}) },
      });
    expect(await put(undefined)).toEqual({ status: 400, body: ['Invalid or missing content range header.'] });
    expect(await put('bytes 0-8/100')).toEqual({ status: 400, body: ['Chunk size does not match content range.'] });
    expect(await put('bytes 95-104/100')).toEqual({ status: 400, body: ['End byte is greater than upload size.'] });
    const bad = multipart({ sha256: sha(randomBytes(3)) }, { name: 'chunk', data: chunk });
    expect((await put('bytes 0-9/100', bad)).status).toBe(400);
    expect((await call('GET', href)).body!.chunks).toEqual([]);
    expect((await call('DELETE', href)).status).toBe(204);
    expect((await call('GET', href)).status).toBe(404);
  });

  it('a commit with the wrong sha256 fails the task and keeps the upload', async () => {
    const data = randomBytes(64);
    const href = await createUpload(64);
    const m = multipart({}, { name: 'chunk', data });
    expect(
      (await call('PUT', href, { payload: m.payload, headers: { ...m.headers, 'content-range': 'bytes 0-63/64' } }))
        .status,
    ).toBe(200);
    const commit = await call('POST', `${href}commit/`, { payload: { sha256: sha(randomBytes(5)) } });
    await ctx.runTasks();
    const task = await ctx.task(String(commit.body!.task));
    expect(task.state).toBe('failed');
    expect(JSON.stringify(task.error)).toMatch(/checksum/);
    expect((await call('GET', href)).status).toBe(200);
    expect(await exists(mediaFile(sha(data)))).toBe(false);
  });

  it('lists uploads with size filters', async () => {
    await createUpload(12345);
    const r = await call('GET', `${API}uploads/?size__gt=12000&size__lt=13000`);
    expect(r.body).toMatchObject({ count: 1, results: [{ size: 12345 }] });
  });
});
