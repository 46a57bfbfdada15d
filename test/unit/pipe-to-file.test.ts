import { existsSync, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pipeToFile } from '../../src/core/pipe-to-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-pipe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A source already failed: the pipeline rejects on the next tick, while open() is still in the thread pool. */
const failingAtOnce = () => {
  const source = new Readable({ read() {} });
  source.destroy(new Error('the source failed'));
  return source;
};

/** Fails a copy at once, removes the target as every caller does, and counts the files that appear later. */
async function leftAfterFailures(copy: (file: string) => Promise<void>): Promise<number> {
  const files = Array.from({ length: 100 }, (_, i) => path.join(dir, `f${i}-${Math.random()}`));
  for (const file of files) {
    await expect(copy(file)).rejects.toThrow('the source failed');
    await rm(file, { force: true });
  }
  await sleep(50);
  const left = files.filter((f) => existsSync(f)).length;
  for (const f of files) await rm(f, { force: true });
  return left;
}

describe('pipeToFile', () => {
  it('has closed the file when it rejects, so removing it afterwards leaves nothing behind', async () => {
    expect(await leftAfterFailures((file) => pipeToFile(failingAtOnce(), file))).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('is needed: a plain pipeline rejects before open() has created the file', async () => {
    // The control: proves the race exists on this Node, so the test above can fail.
    let left = 0;
    for (let batch = 0; batch < 5 && left === 0; batch++)
      left = await leftAfterFailures((file) => pipeline(failingAtOnce(), createWriteStream(file)));
    expect(left).toBeGreaterThan(0);
  });

  it('copies the bytes through the transforms and honours the flags', async () => {
    const file = path.join(dir, 'ok');
    await pipeToFile(Readable.from([Buffer.from('ab')]), file);
    await pipeToFile(Readable.from([Buffer.from('cd')]), file, [], { flags: 'a' });
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(file, 'utf8')).toBe('abcd');
    await expect(pipeToFile(Readable.from([Buffer.from('x')]), file, [], { flags: 'wx' })).rejects.toThrow(/EEXIST/);
    await rm(file);
  });
});
