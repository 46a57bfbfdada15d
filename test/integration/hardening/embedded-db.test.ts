// The embedded PostgreSQL's superuser: a random password made at the first start, kept in an owner-only file
// and never the old fixed one; a cluster from the fixed-password days gets a random one at its next start.
// Started as root from folders the postgres user cannot enter, binaries and data go where it can.
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { packagedNative, postgresBinaries, serverUser } from '../../../src/db/embedded-binaries.js';
import { readEmbeddedCredentials } from '../../../src/db/embedded-credentials.js';
import { joinEmbeddedPostgres, startEmbeddedPostgres } from '../../../src/db/embedded.js';
import { freePort } from '../../helpers/global-setup.js';

const isRoot = process.getuid?.() === 0;
const cleanup: string[] = [];

afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

async function canLogIn(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

describe('embedded PostgreSQL superuser', () => {
  it('gets a random password at the first start, kept owner-only, reused later, never the fixed one', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-embedded-'));
    cleanup.push(home);
    const credentialsFile = path.join(home, 'db.credentials.json');
    const port = await freePort();
    const logged: string[] = [];
    const first = await startEmbeddedPostgres({
      dataDir: path.join(home, 'db'),
      credentialsFile,
      port,
      onLog: (l) => logged.push(l),
    });
    try {
      const credentials = await readEmbeddedCredentials(credentialsFile);
      expect(credentials?.password).toMatch(/^[\w-]{40,}$/);
      expect(credentials?.port).toBe(port);
      expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
      expect(first.url).toContain(encodeURIComponent(credentials!.password));
      expect(logged.join('')).not.toContain(credentials!.password);
      expect(await canLogIn(port, 'pulp')).toBe(false);
      expect(await canLogIn(port, 'postgres')).toBe(false);
      expect(await canLogIn(port, credentials!.password)).toBe(true);
      // Another process of the same PULP_HOME joins through the file.
      expect(await joinEmbeddedPostgres(credentialsFile)).toBe(first.url);
    } finally {
      await first.stop();
    }
    expect(await joinEmbeddedPostgres(credentialsFile)).toBeNull();

    // A cluster made when the password was fixed (no credentials file): a random one replaces it.
    const again = await startEmbeddedPostgres({ dataDir: path.join(home, 'db'), credentialsFile, port });
    const admin = new pg.Client({ connectionString: again.url.replace(/\/pulp$/, '/postgres') });
    await admin.connect();
    await admin.query(`ALTER ROLE postgres PASSWORD 'pulp'`);
    await admin.end();
    await again.stop();
    await rm(credentialsFile);
    const upgraded = await startEmbeddedPostgres({ dataDir: path.join(home, 'db'), credentialsFile, port });
    try {
      const credentials = await readEmbeddedCredentials(credentialsFile);
      expect(credentials?.password).not.toBe('pulp');
      expect(await canLogIn(port, 'pulp')).toBe(false);
      expect(await canLogIn(port, credentials!.password)).toBe(true);
    } finally {
      await upgraded.stop();
    }
  });

  it.skipIf(!isRoot)('as root, keeps data the postgres user cannot reach in a folder it can, found again', async () => {
    const privateDir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-private-'));
    cleanup.push(privateDir);
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    const home = path.join(privateDir, 'home');
    const credentialsFile = path.join(home, 'db.credentials.json');
    const port = await freePort();
    const server = await startEmbeddedPostgres({ dataDir: path.join(home, 'db'), credentialsFile, port });
    cleanup.push(path.dirname(server.dataDir));
    try {
      expect(server.dataDir.startsWith('/var/lib/pulp-ts/')).toBe(true);
      expect(await readFile(path.join(home, 'db.location'), 'utf8')).toContain(server.dataDir);
      expect((await readEmbeddedCredentials(credentialsFile))?.dataDir).toBe(server.dataDir);
    } finally {
      await server.stop();
    }
    const second = await startEmbeddedPostgres({ dataDir: path.join(home, 'db'), credentialsFile, port });
    await second.stop();
    expect(second.dataDir).toBe(server.dataDir);
  });

  it.skipIf(!isRoot)('as root, runs binaries the postgres user cannot reach from a copy it can', async () => {
    const privateDir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-private-bin-'));
    cleanup.push(privateDir);
    const packaged = packagedNative();
    const nativeCopy = path.join(privateDir, 'native');
    await cp(packaged.dir, nativeCopy, { recursive: true, verbatimSymlinks: true });
    const user = serverUser()!;
    const blocked = spawnSync(path.join(nativeCopy, 'bin', 'postgres'), ['--version'], {
      uid: user.uid,
      gid: user.gid,
    });
    expect(blocked.error?.message ?? '').toMatch(/EACCES/);
    const reachableRoot = await mkdtemp(path.join(tmpdir(), 'pulp-ts-reachable-'));
    cleanup.push(reachableRoot);
    const binaries = await postgresBinaries(user, { dir: nativeCopy, version: 'test' }, reachableRoot);
    expect(binaries.postgres.startsWith(reachableRoot)).toBe(true);
    const ran = spawnSync(binaries.postgres, ['--version'], { uid: user.uid, gid: user.gid, encoding: 'utf8' });
    expect(ran.stdout).toMatch(/postgres \(PostgreSQL\) \d+/);
  });
});
