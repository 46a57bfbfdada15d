/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApi, type TestApi } from '../../helpers/api.js';

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');

let api: TestApi;
let dir: string;
let gnupghome: string;
let fingerprint: string;

async function manager(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/pulpcore-manager.js', ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        PULP_HOME: api.settings.PULP_HOME,
        PULP_DATABASE_URL: api.database.url,
        GNUPGHOME: gnupghome,
      },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function script(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

beforeAll(async () => {
  api = await createTestApi();
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-signing-'));
  gnupghome = path.join(dir, 'gnupg');
  await exec('mkdir', ['-m', '700', gnupghome]);
  await exec('gpg', [
    '--batch',
    '--homedir',
    gnupghome,
    '--passphrase',
    '',
    '--quick-gen-key',
    'Pulp Test <signing@example.invalid>',
    'ed25519',
    'sign',
    'never',
  ]);
  const listing = (await exec('gpg', ['--batch', '--homedir', gnupghome, '--with-colons', '--list-keys'])).stdout;
  fingerprint = listing
    .split('\n')
    .find((l) => l.startsWith('fpr:'))!
    .split(':')[9]!;
}, 120_000);
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

describe('signing services', () => {
  it('are added by pulpcore-manager after a test signature verifies, and listed read-only', async () => {
    const sign = await script(
      'sign.sh',
      `gpg --batch --homedir "${gnupghome}" --yes --armor --detach-sign --local-user "$PULP_SIGNING_KEY_FINGERPRINT" --output "$1.asc" "$1" || exit 1
printf '{"file": "%s", "signature": "%s"}' "$1" "$1.asc"`,
    );
    const added = await manager(['add-signing-service', 'gpg-sign', sign, fingerprint]);
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain(`Successfully added signing service gpg-sign for key ${fingerprint}.`);
    const list = await api.app.inject({
      method: 'GET',
      url: '/pulp/api/v3/signing-services/?name=gpg-sign',
      headers: { authorization: api.adminAuth },
    });
    expect(list.statusCode).toBe(200);
    const [service] = list.json().results as any[];
    expect(service).toMatchObject({ name: 'gpg-sign', pubkey_fingerprint: fingerprint, script: sign });
    expect(service.public_key).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    expect(service.pulp_href).toMatch(/^\/pulp\/api\/v3\/signing-services\/[0-9a-f-]{36}\/$/);
    const read = await api.app.inject({
      method: 'GET',
      url: service.pulp_href,
      headers: { authorization: api.adminAuth },
    });
    expect(read.json().name).toBe('gpg-sign');
    const post = await api.app.inject({
      method: 'POST',
      url: '/pulp/api/v3/signing-services/',
      payload: { name: 'x' },
      headers: { authorization: api.adminAuth },
    });
    expect(post.statusCode).toBe(405);

    const again = await manager(['add-signing-service', 'gpg-sign', sign, fingerprint]);
    expect(again.code).toBe(1);
    const removed = await manager(['remove-signing-service', 'gpg-sign']);
    expect(removed.stdout).toContain("Signing service 'gpg-sign' has been successfully removed.");
    expect((await manager(['remove-signing-service', 'gpg-sign'])).stderr).toContain('does not exists');
  }, 120_000);

  it('refuses a script whose signature does not verify, an unknown key, and a missing script', async () => {
    const liar = await script(
      'liar.sh',
      `echo forged > "$1.asc"; printf '{"file": "%s", "signature": "%s"}' "$1" "$1.asc"`,
    );
    const bad = await manager(['add-signing-service', 'liar', liar, fingerprint]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('could not be verified');
    const notJson = await script('text.sh', 'echo signed');
    expect((await manager(['add-signing-service', 'text', notJson, fingerprint])).stderr).toContain('valid JSON');
    expect((await manager(['add-signing-service', 'nokey', liar, 'DEADBEEF'])).stderr).toContain(
      'There are 0 keys matching the key id.',
    );
    expect((await manager(['add-signing-service', 'noscript', path.join(dir, 'none.sh'), fingerprint])).code).toBe(1);
    const rows = await api.database.db.selectFrom('signing_service').select('name').execute();
    expect(rows).toEqual([]);
    expect(await readFile(liar, 'utf8')).toContain('forged');
  }, 120_000);
});
