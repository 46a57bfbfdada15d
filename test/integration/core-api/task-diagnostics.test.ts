import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { silentLogger } from '../../helpers/api.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import { loadRegistry } from '../../../src/cli/registry.js';

let h: ApiWithTasks;
let content: ContentApp;
const API = '/pulp/api/v3/';

async function dispatchCleanup(diagnostics?: string): Promise<string> {
  const res = await h.api.app.inject({
    method: 'POST',
    url: `${API}orphans/cleanup/`,
    payload: {},
    headers: { authorization: h.api.adminAuth, ...(diagnostics ? { 'x-task-diagnostics': diagnostics } : {}) },
  });
  expect(res.statusCode).toBe(202);
  const href = res.json().task as string;
  await h.runTasks();
  expect((await h.task(href)).state).toBe('completed');
  return href;
}

async function profileUrls(taskHref: string): Promise<Record<string, string>> {
  const res = await h.api.app.inject({
    method: 'GET',
    url: `${taskHref}profile_artifacts/`,
    headers: { authorization: h.api.adminAuth },
  });
  expect(res.statusCode).toBe(200);
  return res.json().urls;
}

beforeAll(async () => {
  h = await createApiWithTasks({ TASK_DIAGNOSTICS: ['memory', 'cpu'] });
  content = await startContentApp({
    settings: h.api.settings,
    db: h.api.database.db,
    logger: silentLogger,
    storage: h.api.services.storage,
    heartbeat: false,
    plugins: loadRegistry(h.api.settings),
  });
});
afterAll(async () => {
  await content.close();
  await h.api.close();
});

describe('X-Task-Diagnostics and profile_artifacts', () => {
  it('profiles only what was both requested and enabled, and links it through the artifact distribution', async () => {
    const href = await dispatchCleanup('memory, pyinstrument');
    const urls = await profileUrls(href);
    expect(Object.keys(urls)).toEqual(['memory_profile']);
    const url = urls.memory_profile as string;
    expect(url).toMatch(/^\/pulp\/content\/[0-9a-f]{64}\/[0-9a-f-]{36}\?expires=\d+&validate_token=/);
    const res = await fetch(`http://127.0.0.1:${content.port}${url}`);
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe('# Seconds\tMemory in MB');
    expect(lines[1]).toMatch(/^0\t\d+\.\d{2}$/);
    // The same path without its signature is refused by the distribution's content-redirect guard.
    const unsigned = await fetch(`http://127.0.0.1:${content.port}${url.split('?')[0]}`);
    expect(unsigned.status).toBe(403);
  });

  it('makes a CPU profile of our own only when it is asked for', async () => {
    const urls = await profileUrls(await dispatchCleanup('cpu'));
    expect(Object.keys(urls)).toEqual(['cpu_profile']);
    const res = await fetch(`http://127.0.0.1:${content.port}${urls.cpu_profile}`);
    const profile = await res.json();
    expect(Array.isArray(profile.nodes)).toBe(true);
    expect(typeof profile.startTime).toBe('number');
  });

  it('records nothing without the header', async () => {
    const href = await dispatchCleanup();
    expect(await profileUrls(href)).toEqual({});
    const row = await h.api.database.db
      .selectFrom('task')
      .select('profile_options')
      .where('pulp_id', '=', href.split('/').at(-2)!)
      .executeTakeFirstOrThrow();
    expect(row.profile_options).toBeNull();
  });

  it('lists the artifact distribution read-only under distributions/core/artifacts/', async () => {
    const res = await h.api.app.inject({
      method: 'GET',
      url: `${API}distributions/core/artifacts/`,
      headers: { authorization: h.api.adminAuth },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.count).toBe(1);
    expect(body.results[0].pulp_href).toMatch(/^\/pulp\/api\/v3\/distributions\/core\/artifacts\/[0-9a-f-]{36}\/$/);
    expect(body.results[0].content_guard).toMatch(/\/contentguards\/core\/content_redirect\//);
    const read = await h.api.app.inject({
      method: 'GET',
      url: body.results[0].pulp_href,
      headers: { authorization: h.api.adminAuth },
    });
    expect(read.json().base_path).toBe(body.results[0].base_path);
    const del = await h.api.app.inject({
      method: 'DELETE',
      url: body.results[0].pulp_href,
      headers: { authorization: h.api.adminAuth },
    });
    expect(del.statusCode).toBe(405);
  });
});
