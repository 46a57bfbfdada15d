import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import { call, createUser, grant } from './helpers.js';

let t: ApiWithTasks;
type User = Awaited<ReturnType<typeof createUser>>;
let creator: User;
let stranger: User;
let policyHref: string;

beforeAll(async () => {
  t = await createApiWithTasks();
  creator = await createUser(t.api, 'cond-creator');
  stranger = await createUser(t.api, 'cond-stranger');
  await grant(t.api, creator.id, 'file.filerepository_creator', null);
  const list = await call(t.api, t.api.adminAuth, 'GET', 'access_policies/?viewset_name=repositories/file/file');
  policyHref = list.json().results[0].pulp_href;
});

afterAll(async () => {
  await t.api.close();
});

/** Replaces the create statement of file repositories with one condition_expression. */
async function createPolicy(expression: string): Promise<void> {
  const res = await call(t.api, t.api.adminAuth, 'PATCH', policyHref, {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      { action: ['create'], principal: 'authenticated', effect: 'allow', condition_expression: [expression] },
    ],
  });
  expect(res.statusCode).toBe(200);
}

let n = 0;
const create = (user: User) => call(t.api, user.auth, 'POST', 'repositories/file/file/', { name: `cond-${n++}` });

describe('condition expressions in stored access policies', () => {
  it('evaluates or, and, not and parentheses over core conditions', async () => {
    await createPolicy('(has_model_perms:file.add_filerepository or False) and not False');
    expect((await create(creator)).statusCode).toBe(201);
    expect((await create(stranger)).statusCode).toBe(403);
    await createPolicy('not has_model_perms:file.add_filerepository');
    expect((await create(creator)).statusCode).toBe(403);
    expect((await create(stranger)).statusCode).toBe(201);
  });

  it('an unknown condition denies instead of failing, and does not spoil an or that holds otherwise', async () => {
    await createPolicy('no_such_condition:whatever');
    expect((await create(creator)).statusCode).toBe(403);
    await createPolicy('no_such_condition or has_model_perms:file.add_filerepository');
    expect((await create(creator)).statusCode).toBe(201);
    expect((await create(stranger)).statusCode).toBe(403);
  });

  it('an expression that does not parse denies (403, not 500); superusers are not affected', async () => {
    await createPolicy('has_model_perms:file.add_filerepository and (');
    expect((await create(creator)).statusCode).toBe(403);
    expect(
      (await call(t.api, t.api.adminAuth, 'POST', 'repositories/file/file/', { name: 'cond-admin' })).statusCode,
    ).toBe(201);
    const reset = await call(t.api, t.api.adminAuth, 'POST', `${policyHref}reset/`);
    expect(reset.statusCode).toBe(200);
    expect((await create(creator)).statusCode).toBe(201);
    expect((await create(stranger)).statusCode).toBe(403);
  });
});
