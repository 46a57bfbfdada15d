/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { createServer, type Server } from 'node:http';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncTuning } from '../../../src/plugins/python/sync-task.js';
import { buildWheel } from '../../helpers/python-packages.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

// Packages and indexes a client or an upstream may send: each is refused with a reason, and nothing is stored.

const API = '/pulp/api/v3/';
let t: ApiWithTasks;
let server: Server;
let base = '';
/** Paths of the hostile index: path -> [content type, body]. */
const pages = new Map<string, [string, string | Buffer]>();

async function call(method: string, url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method: method as 'GET',
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

async function upload(filename: string, bytes: Buffer) {
  const boundary = '----pulptsbad';
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await t.api.app.inject({
    method: 'POST',
    url: `${API}content/python/packages/upload/`,
    payload,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

async function stored(): Promise<{ packages: number; artifacts: number }> {
  const p = await sql<{ n: number }>`SELECT count(*)::int AS n FROM python_package_content`.execute(t.api.database.db);
  const a = await sql<{ n: number }>`SELECT count(*)::int AS n FROM artifact`.execute(t.api.database.db);
  return { packages: p.rows[0]!.n, artifacts: a.rows[0]!.n };
}

async function syncFrom(name: string, includes: string[]): Promise<any> {
  const remote = (
    await call('POST', `${API}remotes/python/python/`, { name, url: base, includes, policy: 'immediate' })
  ).body;
  const repo = (await call('POST', `${API}repositories/python/python/`, { name, remote: remote.pulp_href })).body;
  const reply = await call('POST', `${repo.pulp_href}sync/`, {});
  expect(reply.status).toBe(202);
  await t.runTasks();
  return t.task(reply.body.task);
}

beforeAll(async () => {
  syncTuning.retryBaseMs = 1;
  t = await createApiWithTasks();
  server = createServer((req, res) => {
    const hit = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!hit) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': hit[0] }).end(hit[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
  await t?.api.close();
});

describe('bad packages on upload', () => {
  it.each([
    [
      'missing metadata',
      buildWheel({ name: 'bad-a', version: '1.0' }, { 'bad_a-1.0.dist-info/METADATA': null }),
      /no \.dist-info\/METADATA/,
    ],
    [
      'malformed metadata',
      buildWheel(
        { name: 'bad-b', version: '1.0' },
        { 'bad_b-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: bad-b\n' },
      ),
      /Version/,
    ],
    [
      'a filename that names another project',
      { ...buildWheel({ name: 'bad-c', version: '1.0' }), filename: 'other-1.0-py3-none-any.whl' },
      /names project other but the metadata says bad-c/,
    ],
    [
      'a filename with another version',
      { ...buildWheel({ name: 'bad-d', version: '1.0' }), filename: 'bad_d-2.0-py3-none-any.whl' },
      /version 2\.0 but the metadata says 1\.0/,
    ],
    ['a member path climbing out', buildWheel({ name: 'bad-e', version: '1.0' }, { '../evil.py': 'x' }), /\.\./],
    [
      'an archive bomb (a METADATA inflating past the limit)',
      buildWheel(
        { name: 'bad-f', version: '1.0' },
        { 'bad_f-1.0.dist-info/METADATA': Buffer.alloc(40 * 1024 * 1024, 65) },
      ),
      /larger|limit|too large|exceeds/i,
    ],
    [
      'a file that is no archive',
      { filename: 'bad_g-1.0.tar.gz', bytes: Buffer.from('not a tarball') },
      /bad_g-1\.0\.tar\.gz/,
    ],
    [
      'an extension that is no distribution',
      { filename: 'bad_h-1.0.rpm', bytes: Buffer.from('x') },
      /not a valid python extension/,
    ],
  ])('refuses %s with a reason and stores nothing', async (_what, dist, reason) => {
    const before = await stored();
    const res = await upload(dist.filename, dist.bytes);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(reason);
    expect(await stored()).toEqual(before);
  });
});

describe('bad upstream indexes on sync', () => {
  const good = buildWheel({ name: 'idx-ok', version: '1.0' });

  it('fails when a file does not match the digest its index gives, storing nothing', async () => {
    pages.set('/simple/idx-ok/', [
      'text/html',
      `<a href="../../files/${good.filename}#sha256=${'0'.repeat(64)}">${good.filename}</a>`,
    ]);
    pages.set(`/files/${good.filename}`, ['application/octet-stream', good.bytes]);
    const before = await stored();
    const task = await syncFrom('digest', ['idx-ok']);
    expect(task.state).toBe('failed');
    expect(task.error.description).toMatch(/sha256/);
    expect((await stored()).packages).toBe(before.packages);
  });

  it.each([
    ['a link outside the index host', 'http://198.51.100.7/files/x-1.0.tar.gz', /outside the index host/],
    ['a link climbing above the index root with ..', '../../../../etc/x-1.0.tar.gz', /climbs out|\.\./],
  ])('fails on %s, naming the project', async (_what, href, reason) => {
    const name = `idx-${Math.random().toString(36).slice(2, 8)}`;
    pages.set(`/sub/simple/${name}/`, ['text/html', `<a href="${href}#sha256=${'1'.repeat(64)}">x-1.0.tar.gz</a>`]);
    const remoteBase = base;
    base = `${remoteBase}sub/`;
    try {
      const before = await stored();
      const task = await syncFrom(name, [name]);
      expect(task.state).toBe('failed');
      expect(task.error.description).toMatch(reason);
      expect(task.error.description).toContain(name);
      expect(await stored()).toEqual(before);
    } finally {
      base = remoteBase;
    }
  });
});
