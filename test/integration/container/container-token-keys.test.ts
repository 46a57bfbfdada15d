import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { migrate } from '../../../src/db/migrate.js';
import { buildRegistry } from '../../../src/plugin-api/registry.js';
import { builtinPlugins } from '../../../src/plugins/builtin.js';
import * as m0001 from '../../../src/plugins/container/migrations/0001_initial.js';
import { generateKeyPairPem, libtrustKeyId, loadTokenKeys } from '../../../src/plugins/container/token-keys.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

const unconfigured = { TOKEN_SIGNATURE_ALGORITHM: 'ES256', PRIVATE_KEY_PATH: null, PUBLIC_KEY_PATH: null };

describe('token server key pair', () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    const installed = buildRegistry(
      builtinPlugins,
      builtinPlugins.map((p) => p.name),
    );
    // The container plugin is not built in yet: its migration is applied here by hand.
    await migrate(t.db, { ...installed.migrations, 'container/0001_initial': m0001 });
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-keys-'));
  });
  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is generated once for the installation: concurrent first starts agree on one stored pair', async () => {
    const pairs = await Promise.all(Array.from({ length: 5 }, () => loadTokenKeys(unconfigured, t.db)));
    expect(new Set(pairs.map((p) => p.kid)).size).toBe(1);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM container_token_key`.execute(t.db);
    expect(rows[0]?.n).toBe(1);
    expect((await loadTokenKeys(unconfigured, t.db)).kid).toBe(pairs[0]?.kid);
  });

  it('comes from PRIVATE_KEY_PATH and PUBLIC_KEY_PATH when they are set, both or none', async () => {
    const pem = generateKeyPairPem('ES256');
    await writeFile(path.join(dir, 'private.pem'), pem.privatePem);
    await writeFile(path.join(dir, 'public.pem'), pem.publicPem);
    const configured = {
      TOKEN_SIGNATURE_ALGORITHM: 'ES256',
      PRIVATE_KEY_PATH: path.join(dir, 'private.pem'),
      PUBLIC_KEY_PATH: path.join(dir, 'public.pem'),
    };
    const pair = await loadTokenKeys(configured, t.db);
    expect(pair.kid).toBe(libtrustKeyId(pair.publicKey));
    expect(pair.kid).not.toBe((await loadTokenKeys(unconfigured, t.db)).kid);
    await expect(loadTokenKeys({ ...configured, PUBLIC_KEY_PATH: null }, t.db)).rejects.toThrow(/set together/);
    await expect(loadTokenKeys({ ...unconfigured, TOKEN_SIGNATURE_ALGORITHM: 'HS256' }, t.db)).rejects.toThrow(
      /not one of/,
    );
  });
});
