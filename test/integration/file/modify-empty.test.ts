import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
let t: ApiWithTasks;

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

beforeAll(async () => {
  t = await createApiWithTasks();
});
afterAll(async () => {
  await t.api.close();
});

describe('modify without changes', () => {
  it('completes without creating a version and leaves the repository as it was', async () => {
    const repo = (await call('POST', `${API}repositories/file/file/`, { name: 'empty-modify' })).body;
    const reply = await call('POST', `${repo.pulp_href}modify/`, {});
    expect(reply.status).toBe(202);
    await t.runTasks();
    const task = await t.task(reply.body.task);
    expect(task.state).toBe('completed');
    expect(task.created_resources).toEqual([]);
    const after = (await call('GET', repo.pulp_href)).body;
    expect(after.latest_version_href).toBe(`${repo.pulp_href}versions/0/`);
    expect((await call('GET', `${repo.pulp_href}versions/`)).body.count).toBe(1);
  });

  it('fails the task when the repository was deleted before it ran', async () => {
    const repo = (await call('POST', `${API}repositories/file/file/`, { name: 'gone-before-modify' })).body;
    const modify = await call('POST', `${repo.pulp_href}modify/`, {});
    // Delete the row under the queued task: the modify task must notice the repository is gone.
    await t.api.services.db
      .deleteFrom('repository_version')
      .where('repository_id', '=', repo.pulp_href.split('/').at(-2))
      .execute();
    await t.api.services.db.deleteFrom('repository').where('pulp_id', '=', repo.pulp_href.split('/').at(-2)).execute();
    await t.runTasks();
    const task = await t.task(modify.body.task);
    expect(task.state).toBe('failed');
    expect((task.error as { description: string }).description).toBe('No Repository matches the given query.');
  });
});
