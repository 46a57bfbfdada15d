import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { ACCESS_POLICY_TTL_MS } from '../../../src/plugin-api/access-policy-cache.js';
import { createTestApi, type TestApi } from '../../helpers/api.js';
import { call, createUser } from '../rbac/helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

// Another process changing a policy (here: the table written directly, as this process's cache does not hear
// of it) takes effect once the cached row expires, not later.
it('sees a policy changed elsewhere within the cache lifetime', async () => {
  const u = await createUser(api, 'cache-user');
  expect((await call(api, u.auth, 'GET', 'tasks/')).statusCode).toBe(200);
  await sql`UPDATE core_accesspolicy SET statements = '[{"action":["list"],"principal":"admin","effect":"allow"}]'::jsonb,
            customized = true WHERE viewset_name = 'tasks'`.execute(api.database.db);
  await new Promise((r) => setTimeout(r, ACCESS_POLICY_TTL_MS + 100));
  expect((await call(api, u.auth, 'GET', 'tasks/')).statusCode).toBe(403);
});
