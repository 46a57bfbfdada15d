import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';

import { verifyPassword } from '../../src/core/passwords.js';
import { openApiProblems } from '../helpers/openapi-strict.js';

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const TIMEOUT = 180_000;

let emptyDbUrl: string;
let emptyDbName: string;
let home: string;

async function manager(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    PULP_HOME: home,
    PULP_DATABASE_URL: emptyDbUrl,
    ...env,
  };
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/pulpcore-manager.js', ...args], {
      cwd: ROOT,
      env: childEnv,
      timeout: TIMEOUT,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function adminHash(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: emptyDbUrl });
  await client.connect();
  try {
    const r = await client.query<{ password: string }>("SELECT password FROM auth_user WHERE username = 'admin'");
    return r.rows[0]?.password;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-manager-'));
  // An empty database (not the migrated template): `migrate` must build the schema from nothing.
  const serverUrl = inject('serverUrl');
  emptyDbName = `m_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${emptyDbName}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${emptyDbName}`;
  emptyDbUrl = u.href;
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: inject('serverUrl') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${emptyDbName} WITH (FORCE)`);
  await admin.end();
  await rm(home, { recursive: true, force: true });
});

describe('pulpcore-manager', () => {
  it(
    'check reports missing migrations, migrate applies them from an empty database, then check passes',
    async () => {
      const before = await manager(['check']);
      expect(before.code).toBe(1);
      expect(before.stderr).toContain('0001_core');
      const migrated = await manager(['migrate']);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toContain('0001_core');
      expect(migrated.stdout).toContain('file/0001_initial');
      const again = await manager(['migrate']);
      expect(again.stdout).toContain('No migrations to apply.');
      const after = await manager(['check']);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toContain('no issues');
    },
    TIMEOUT,
  );

  it(
    'reset-admin-password sets a given or a random password',
    async () => {
      const given = await manager(['reset-admin-password', '--password', 'first-secret']);
      expect(given.code, given.stderr).toBe(0);
      expect(await verifyPassword('first-secret', (await adminHash()) ?? '')).toBe(true);
      const random = await manager(['reset-admin-password', '--random']);
      expect(random.code, random.stderr).toBe(0);
      const password = /to: (\S+)/.exec(random.stdout)?.[1] ?? '';
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(await verifyPassword(password, (await adminHash()) ?? '')).toBe(true);
      const neither = await manager(['reset-admin-password']);
      expect(neither.code).toBe(2);
    },
    TIMEOUT,
  );

  it(
    'openapi writes the document offline, valid for strict clients',
    async () => {
      const file = path.join(home, 'api.json');
      const res = await manager(['openapi', '--file', file, '--component', 'core']);
      expect(res.code, res.stderr).toBe(0);
      const doc = JSON.parse(await readFile(file, 'utf8'));
      expect(doc.servers).toEqual([{ url: 'http://localhost:24817/' }]);
      expect(doc.paths['/pulp/api/v3/status/'].get.operationId).toBe('status_read');
      expect(openApiProblems(doc)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'stops with one clear message naming an invalid setting, without a stack trace',
    async () => {
      const res = await manager(['check'], { PULP_API_ROOT: 'pulp', PULP_WORKERS: '-1' });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('API_ROOT (from PULP_API_ROOT)');
      expect(res.stderr).toContain('WORKERS (from PULP_WORKERS)');
      expect(res.stderr).not.toMatch(/\n\s+at /);
    },
    TIMEOUT,
  );

  it(
    'collectstatic copies the browsable API assets into STATIC_ROOT',
    async () => {
      const root = path.join(home, 'collected');
      const res = await manager(['collectstatic'], { PULP_STATIC_ROOT: root });
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(root);
      const css = await readFile(path.join(root, 'browsable-api', 'browsable.css'), 'utf8');
      expect(css).toContain('.api-form');
    },
    TIMEOUT,
  );
});
