/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { silentLogger } from '../../helpers/api.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import { loadRegistry } from '../../../src/cli/registry.js';

let h: ApiWithTasks;
let content: ContentApp;
const API = '/pulp/api/v3/';
let base = '';

async function call(method: 'GET' | 'POST', url: string, payload?: unknown) {
  const res = await h.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: h.api.adminAuth },
  });
  return res.json<Record<string, any>>();
}

async function done(href: string): Promise<Record<string, any>> {
  await h.runTasks();
  const task = await h.task(href);
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task;
}

async function addFile(repo: string, name: string, text: string): Promise<void> {
  const artifact = await h.api.app.inject({
    method: 'POST',
    url: `${API}artifacts/`,
    headers: { authorization: h.api.adminAuth, 'content-type': 'multipart/form-data; boundary=XyZ' },
    payload: `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n${text}\r\n--XyZ--\r\n`,
  });
  const t = await call('POST', `${API}content/file/files/`, {
    relative_path: name,
    artifact: artifact.json().pulp_href,
    repository: repo,
  });
  await done(t.task);
}

/** A checkpoint publication of the latest version, with its creation time set to `at`. */
async function checkpoint(repo: string, at: string): Promise<void> {
  const task = await done(
    (await call('POST', `${API}publications/file/file/`, { repository: repo, checkpoint: true })).task,
  );
  const id = (task.created_resources as string[])
    .find((r) => r.includes('/publications/'))!
    .split('/')
    .at(-2)!;
  await sql`UPDATE publication SET pulp_created = ${at}::timestamptz WHERE pulp_id = ${id}`.execute(h.api.database.db);
}

const get = (path: string) => fetch(`${base}${path}`, { redirect: 'manual' });

beforeAll(async () => {
  h = await createApiWithTasks();
  content = await startContentApp({
    settings: h.api.settings,
    db: h.api.database.db,
    logger: silentLogger,
    storage: h.api.services.storage,
    heartbeat: false,
    plugins: loadRegistry(h.api.settings),
  });
  base = `http://127.0.0.1:${content.port}/pulp/content/`;
  const repo = (await call('POST', `${API}repositories/file/file/`, { name: 'cp' })).pulp_href as string;
  await addFile(repo, 'data.txt', 'first');
  await checkpoint(repo, '2024-01-01T10:00:00.250Z');
  await addFile(repo, 'data.txt', 'second');
  await checkpoint(repo, '2024-06-01T12:30:00.500Z');
  await done(
    (
      await call('POST', `${API}distributions/file/file/`, {
        name: 'cp',
        base_path: 'cp',
        repository: repo,
        checkpoint: true,
      })
    ).task,
  );
});
afterAll(async () => {
  await content.close();
  await h.api.close();
});

describe('checkpoint distributions', () => {
  it('list the checkpoints at the base path', async () => {
    const res = await get('cp/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('href="./20240101T100000Z/"');
    expect(html).toContain('href="./20240601T123000Z/"');
    expect((await get('cp')).status).toBe(301);
  });

  it('serve each checkpoint at its own timestamp', async () => {
    expect(await (await get('cp/20240101T100000Z/data.txt')).text()).toBe('first');
    expect(await (await get('cp/20240601T123000Z/data.txt')).text()).toBe('second');
    const root = await get('cp/20240601T123000Z/');
    expect(await root.text()).toContain('data.txt');
  });

  it('redirect a timestamp between checkpoints to the earlier one, and add the slash of a timestamp root', async () => {
    const between = await get('cp/20240301T000000Z/data.txt');
    expect(between.status).toBe(301);
    expect(between.headers.get('location')).toBe('/pulp/content/cp/20240101T100000Z/data.txt');
    const now = await get(
      `cp/${new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}Z$/, 'Z')}/`,
    );
    expect(now.status).toBe(301);
    expect(now.headers.get('location')).toBe('/pulp/content/cp/20240601T123000Z/');
    const bare = await get('cp/20240101T100000Z');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/pulp/content/cp/20240101T100000Z/');
  });

  it('answer 404 for a future timestamp, one before every checkpoint, and a malformed one', async () => {
    expect((await get('cp/29990101T000000Z/data.txt')).status).toBe(404);
    expect((await get('cp/20200101T000000Z/data.txt')).status).toBe(404);
    expect((await get('cp/20241332T000000Z/data.txt')).status).toBe(404);
    expect((await get('cp/latest/data.txt')).status).toBe(404);
  });
});
