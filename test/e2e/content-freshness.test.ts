/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// What the content app serves follows what the API and the tasks change, on every content process: real
// pulpcore-api, pulpcore-content (3 processes) and 2 pulpcore-worker processes on one database and MEDIA_ROOT.
// Every step first has each process answer (and cache) the current state, then changes it through the API, then
// checks the next answer of every process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../src/core/passwords.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../helpers/db.js';
import { FixtureServer, type GeneratedFile, generateRepository, manifestFor } from '../helpers/fixture-server.js';
import { fromEveryProcess, type ServerProcess, startApiProcess, startContentProcesses } from '../helpers/processes.js';
import { startWorker, stopWorker, type WorkerProcess } from '../helpers/workers.js';

const CONTENT_PROCESSES = 3;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', 'admin-password');
const ALICE = basic('alice', 'alice-password');

let database: TestDatabase;
let home: string;
let upstream: FixtureServer;
let api: ServerProcess;
let content: ServerProcess;
let workers: WorkerProcess[] = [];

async function call(method: string, url: string, body?: unknown, auth = ADMIN): Promise<{ status: number; body: any }> {
  const full = url.startsWith('http') ? url : `http://127.0.0.1:${api.port}${url}`;
  const res = await fetch(full, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Sends a request that dispatches a task and returns the finished task (which must have completed). */
async function task(method: string, url: string, body?: unknown): Promise<any> {
  const r = await call(method, url, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  const done = await waitFor(
    async () => {
      const t = (await call('GET', r.body.task)).body;
      return ['completed', 'failed', 'canceled'].includes(t.state) ? t : null;
    },
    { timeoutMs: 120_000, intervalMs: 100, what: `task of ${method} ${url}` },
  );
  expect(done.state, JSON.stringify(done.error)).toBe('completed');
  return done;
}

/** Every content process's answers to `p`, each as "process: status body". */
async function everyProcess(p: string, auth?: string): Promise<string[]> {
  const answers = await fromEveryProcess(content, p, auth ? { authorization: auth } : {});
  return [...answers].flatMap(([name, got]) => got.map((a) => `${name}: ${a.status} ${a.body.toString()}`));
}

function expectEverywhere(answers: string[], status: number, body?: Buffer): void {
  expect(answers.length).toBeGreaterThanOrEqual(CONTENT_PROCESSES);
  for (const a of answers) {
    const name = a.slice(0, a.indexOf(': '));
    const expected = `${name}: ${status} `;
    expect(a.slice(0, expected.length)).toBe(expected);
    if (body) expect(a).toBe(`${expected}${body.toString()}`);
  }
}

function publish(files: GeneratedFile[]): void {
  upstream.files.clear();
  for (const f of files) upstream.files.set(f.relativePath, f.content);
  upstream.files.set('PULP_MANIFEST', manifestFor(files));
}

beforeAll(async () => {
  database = await createTestDatabase();
  home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-freshness-'));
  await database.db
    .insertInto('auth_user')
    .values([
      { username: 'admin', password: await hashPassword('admin-password', 1000), is_superuser: true, is_staff: true },
      { username: 'alice', password: await hashPassword('alice-password', 1000), is_superuser: false },
    ])
    .execute();
  upstream = await new FixtureServer().start();
  const env = { PULP_HOME: home };
  [api, content, ...workers] = await Promise.all([
    startApiProcess(database.url, { home }),
    startContentProcesses(database.db, database.url, { home, processes: CONTENT_PROCESSES }),
    ...['fresh-w1', 'fresh-w2'].map((name) => startWorker(database.db, database.url, { name, env })),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([api?.stop(), content?.stop(), ...workers.map((w) => stopWorker(w))]);
  await upstream?.stop();
  await database?.drop();
  await rm(home, { recursive: true, force: true });
}, 60_000);

// Tasks and the processes' first requests can be slow on a loaded 2-core machine.
describe('content served through real processes', { timeout: 180_000 }, () => {
  const one = generateRepository(['a.txt', 'dir/b.txt']);
  const two = generateRepository(['a.txt', 'dir/b.txt']);
  const A = '/pulp/content/fresh/a.txt';
  let repo: any;
  let dist: string;
  let firstPublication: string;

  it('syncs, publishes and distributes; every process serves the synced file', async () => {
    publish(one.files);
    const remote = (
      await call('POST', '/pulp/api/v3/remotes/file/file/', { name: 'up', url: upstream.url('PULP_MANIFEST') })
    ).body;
    repo = (await call('POST', '/pulp/api/v3/repositories/file/file/', { name: 'fresh', remote: remote.pulp_href }))
      .body;
    await task('POST', `${repo.pulp_href}sync/`, {});
    firstPublication = (await task('POST', '/pulp/api/v3/publications/file/file/', { repository: repo.pulp_href }))
      .created_resources[0];
    dist = (
      await task('POST', '/pulp/api/v3/distributions/file/file/', {
        name: 'fresh',
        base_path: 'fresh',
        repository: repo.pulp_href,
      })
    ).created_resources[0];
    expectEverywhere(await everyProcess(A), 200, one.files[0]!.content);
  });

  it('a new version is not served until it is published, then the new publication is', async () => {
    publish(two.files);
    await task('POST', `${repo.pulp_href}sync/`, {});
    expectEverywhere(await everyProcess(A), 200, one.files[0]!.content);
    await task('POST', '/pulp/api/v3/publications/file/file/', { repository: repo.pulp_href });
    expectEverywhere(await everyProcess(A), 200, two.files[0]!.content);
  });

  it('a new version that autopublishes is served at once (a removed file is gone)', async () => {
    await task('PATCH', repo.pulp_href, { autopublish: true });
    const a = (await call('GET', `/pulp/api/v3/content/file/files/?relative_path=a.txt&sha256=${two.files[0]!.sha256}`))
      .body.results[0];
    await task('POST', `${repo.pulp_href}modify/`, { remove_content_units: [a.pulp_href] });
    expectEverywhere(await everyProcess(A), 404);
    expectEverywhere(await everyProcess('/pulp/content/fresh/dir/b.txt'), 200, two.files[1]!.content);
  });

  it('a distribution repointed to another publication serves it', async () => {
    await task('PATCH', dist, { repository: null, publication: firstPublication });
    expectEverywhere(await everyProcess(A), 200, one.files[0]!.content);
  });

  it('a guard added refuses anonymous requests, and a role removed refuses its user', async () => {
    const guard = (await call('POST', '/pulp/api/v3/contentguards/core/rbac/', { name: 'fresh-guard' })).body;
    await task('PATCH', dist, { content_guard: guard.pulp_href });
    expectEverywhere(await everyProcess(A), 403);
    expectEverywhere(await everyProcess(A, ALICE), 403);
    const add = await call('POST', `${guard.pulp_href}add_role/`, {
      role: 'core.rbaccontentguard_downloader',
      users: ['alice'],
    });
    expect(add.status).toBe(201);
    expectEverywhere(await everyProcess(A, ALICE), 200, one.files[0]!.content);
    const remove = await call('POST', `${guard.pulp_href}remove_role/`, {
      role: 'core.rbaccontentguard_downloader',
      users: ['alice'],
    });
    expect(remove.status).toBe(201);
    expectEverywhere(await everyProcess(A, ALICE), 403);
  });
});
