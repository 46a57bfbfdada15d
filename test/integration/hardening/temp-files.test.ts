import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTempSweeper } from '../../../src/cli/temp-files.js';
import { ownedTempName, tempOwner } from '../../../src/core/temp-names.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../../helpers/db.js';

let database: TestDatabase;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-sweep-'));
});
afterAll(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('temporary file names', () => {
  it('name the owning process, thread and host', () => {
    const name = ownedTempName('dl');
    expect(name).toMatch(new RegExp(`^dl-${process.pid}\\.0@`));
    expect(tempOwner(name)).toEqual({ pid: process.pid, threadId: 0, host: hostname() });
    expect(tempOwner('dl-0123abcd')).toBeNull();
  });
});

describe('the temporary file sweep', () => {
  it('removes what gone processes left and keeps what live ones write', async () => {
    const tmp = path.join(dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const gone = await deadPid();
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const hex = 'ab'.repeat(12);
    const me = hostname();
    const files = {
      goneLocal: `dl-${gone}.0@${me}-${hex}`,
      goneThread: `ondemand-${gone}.3@${me}-${hex}`,
      liveLocal: `dl-${live.pid}.0@${me}-${hex}`,
      mine: ownedTempName('upload'),
      // Another host sharing MEDIA_ROOT: alive while it heartbeats in app_status.
      otherLive: `dl-4242.0@other-host-${hex}`,
      otherGone: `dl-4343.0@other-host-${hex}`,
      unownedOld: 'dl-0123456789abcdef01234567',
      unownedNew: 'manifest-89abcdef',
      // A plugin's own file (a registry upload session): never swept, however old.
      pluginOld: 'container-upload-1234',
    };
    for (const name of Object.values(files)) await writeFile(path.join(tmp, name), 'x');
    const old = new Date(Date.now() - 3 * 3600_000);
    await utimes(path.join(tmp, files.unownedOld), old, old);
    await utimes(path.join(tmp, files.pluginOld), old, old);
    await database.db
      .insertInto('app_status')
      .values([
        { name: '4242@other-host', app_type: 'worker', versions: '{}', pid: 4242, hostname: 'other-host' },
        {
          name: '4343@other-host',
          app_type: 'worker',
          versions: '{}',
          pid: 4343,
          hostname: 'other-host',
          stopped_at: new Date().toISOString(),
        },
      ])
      .execute();
    try {
      const stop = startTempSweeper({ dir: tmp, db: database.db, logger: pino({ level: 'silent' }) });
      const left = await waitFor(
        async () => {
          const names = await readdir(tmp);
          const gone = [files.goneLocal, files.goneThread, files.otherGone, files.unownedOld];
          return gone.some((n) => names.includes(n)) ? null : names;
        },
        { what: 'the sweep' },
      );
      stop();
      expect(left.sort()).toEqual(
        [files.liveLocal, files.mine, files.otherLive, files.unownedNew, files.pluginOld].sort(),
      );
    } finally {
      live.kill('SIGKILL');
    }
  });
});
