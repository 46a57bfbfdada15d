/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// A worker killed with -9 in the middle of a real sync, with downloads in flight: the task fails once the
// other worker notices, nothing half-written is left in the database or the storage, what the dead process
// left in MEDIA_ROOT/tmp is removed at the next start, and the same sync then completes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../src/core/passwords.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../helpers/db.js';
import { type ServerProcess, startApiProcess } from '../helpers/processes.js';
import { startWorker, stopWorker, type WorkerProcess } from '../helpers/workers.js';

const TTL = 8;
const FILES = 40;
/** Files answered at once; the others send half their bytes and wait. */
const QUICK = 10;
const CONCURRENCY = 5;
const ADMIN = `Basic ${Buffer.from('admin:admin-password').toString('base64')}`;

let database: TestDatabase;
let home: string;
let api: ServerProcess;
let workers: WorkerProcess[] = [];
let upstream: Server;
let upstreamUrl: string;
let holding = true;
const held = new Set<ServerResponse>();
const waiting: (() => void)[] = [];
let fullAnswers = 0;

const files = Array.from({ length: FILES }, (_, i) => {
  const content = randomBytes(256 * 1024);
  return { path: `d/f${i}.bin`, content, sha256: createHash('sha256').update(content).digest('hex') };
});
const manifest = files.map((f) => `${f.path},${f.sha256},${f.content.length}\n`).join('');

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${api.port}${url}`, {
    method,
    headers: { authorization: ADMIN, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const taskRow = (id: string) =>
  database.db.selectFrom('task').selectAll().where('pulp_id', '=', id).executeTakeFirstOrThrow();
const tmpFiles = () => readdir(path.join(home, 'media', 'tmp')).catch((): string[] => []);

beforeAll(async () => {
  database = await createTestDatabase();
  home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-kill-sync-'));
  await database.db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword('admin-password', 1000), is_superuser: true })
    .execute();
  upstream = createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').slice(1));
    if (p === 'PULP_MANIFEST') return void res.writeHead(200).end(manifest);
    const i = files.findIndex((f) => f.path === p);
    const f = files[i];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': f.content.length });
    if (i < QUICK || !holding) {
      fullAnswers++;
      return void res.end(f.content);
    }
    res.write(f.content.subarray(0, f.content.length / 2));
    held.add(res);
    res.on('close', () => held.delete(res));
    waiting.push(() => res.end(f.content.subarray(f.content.length / 2)));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
  const env = { PULP_HOME: home };
  [api, ...workers] = await Promise.all([
    startApiProcess(database.url, { home, workerTtl: TTL }),
    ...['kill-w1', 'kill-w2'].map((name) => startWorker(database.db, database.url, { name, workerTtl: TTL, env })),
  ]);
}, 240_000);

afterAll(async () => {
  holding = false;
  for (const release of waiting.splice(0)) release();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
  await Promise.all([api?.stop(), ...workers.map((w) => stopWorker(w))]);
  await database?.drop();
  await rm(home, { recursive: true, force: true });
}, 60_000);

describe('kill -9 of a worker in the middle of a sync', { timeout: 240_000 }, () => {
  let repo: any;
  let leftInTmp: string[] = [];

  it('fails the task once the other worker notices, with no version and no artifact without its file', async () => {
    const remote = (
      await call('POST', '/pulp/api/v3/remotes/file/file/', {
        name: 'slow',
        url: `${upstreamUrl}PULP_MANIFEST`,
        download_concurrency: CONCURRENCY,
      })
    ).body;
    repo = (await call('POST', '/pulp/api/v3/repositories/file/file/', { name: 'killed', remote: remote.pulp_href }))
      .body;
    const sync = await call('POST', `${repo.pulp_href}sync/`, {});
    expect(sync.status).toBe(202);
    const taskId = String(sync.body.task).split('/').at(-2)!;
    // Downloads in flight: the quick files are done, as many slow ones as the concurrency allows are half sent.
    await waitFor(async () => fullAnswers >= QUICK && held.size >= CONCURRENCY && (await tmpFiles()).length > 0, {
      timeoutMs: 120_000,
      what: 'downloads in flight',
    });
    const running = await taskRow(taskId);
    expect(running.state).toBe('running');
    const owner = await database.db
      .selectFrom('app_status')
      .select('name')
      .where('pulp_id', '=', running.worker_id!)
      .executeTakeFirstOrThrow();
    const victim = workers.find((w) => w.name === owner.name)!;
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    workers = workers.filter((w) => w !== victim);
    leftInTmp = await tmpFiles();

    const failed = await waitFor(
      async () => {
        const t = await taskRow(taskId);
        return t.state === 'failed' ? t : null;
      },
      { timeoutMs: (TTL + TTL / 3) * 1000 + 60_000, what: 'the task to be failed' },
    );
    expect(String((failed.error as { description?: string }).description)).toMatch(/gone missing/);
    const reservations = await database.db
      .selectFrom('task_reservation')
      .select('task_id')
      .where('task_id', '=', taskId)
      .execute();
    expect(reservations).toEqual([]);
    const versions = await database.db
      .selectFrom('repository_version')
      .select(['number', 'complete'])
      .where('repository_id', '=', repo.pulp_href.split('/').at(-2))
      .where('complete', '=', true)
      .execute();
    expect(versions.map((v) => v.number)).toEqual([0]);
    expect((await call('GET', `${repo.pulp_href}`)).body.latest_version_href).toMatch(/\/versions\/0\/$/);
    // Every artifact row has its whole file: a crash may leave a file without a row, never the reverse.
    const artifacts = await database.db.selectFrom('artifact').select(['file', 'size', 'sha256']).execute();
    for (const a of artifacts) {
      const s = await stat(path.join(home, 'media', a.file));
      expect(s.size, a.file).toBe(Number(a.size));
      expect(files.some((f) => f.sha256 === a.sha256)).toBe(true);
    }
  });

  it('removes what the dead worker left in MEDIA_ROOT/tmp at the next start', async () => {
    expect(leftInTmp.length).toBeGreaterThan(0);
    workers.push(
      await startWorker(database.db, database.url, { name: 'kill-w3', workerTtl: TTL, env: { PULP_HOME: home } }),
    );
    await waitFor(async () => !(await tmpFiles()).some((f) => leftInTmp.includes(f)), {
      timeoutMs: 120_000,
      what: `the dead worker's temporary files (${leftInTmp.join(', ')}) to be removed`,
    });
  });

  it('then syncs the same remote completely', async () => {
    holding = false;
    for (const release of waiting.splice(0)) release();
    const sync = await call('POST', `${repo.pulp_href}sync/`, {});
    expect(sync.status).toBe(202);
    const task = await waitFor(
      async () => {
        const t = (await call('GET', sync.body.task)).body;
        return ['completed', 'failed'].includes(t.state) ? t : null;
      },
      { timeoutMs: 120_000, what: 'the second sync' },
    );
    expect(task.state, JSON.stringify(task.error)).toBe('completed');
    const listed = await call(
      'GET',
      `/pulp/api/v3/content/file/files/?repository_version=${repo.pulp_href}versions/1/`,
    );
    expect(listed.body.count).toBe(FILES);
    for (const f of files) {
      const a = await database.db
        .selectFrom('artifact')
        .select('file')
        .where('sha256', '=', f.sha256)
        .executeTakeFirst();
      expect(a, f.path).toBeDefined();
      expect((await stat(path.join(home, 'media', a!.file))).size).toBe(f.content.length);
    }
    expect(await tmpFiles()).toEqual([]);
  });
});
