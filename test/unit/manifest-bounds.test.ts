import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_LINE_BYTES, readManifest } from '../../src/plugins/file/manifest.js';

const D = 'b'.repeat(64);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-manifest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function entries(name: string, content: string | Buffer): Promise<unknown[]> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  const out: unknown[] = [];
  for await (const e of readManifest(file)) out.push(e);
  return out;
}

describe('manifest reading is bounded', () => {
  it('reads lines split across chunks, CRLF endings and a last line without newline', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `dir/file-${i}.bin,${D},${i}`);
    const got = await entries('many', `${lines.join('\r\n')}`);
    expect(got).toHaveLength(5000);
    expect(got[4999]).toEqual({ relativePath: 'dir/file-4999.bin', digest: D, size: 4999, line: 5000 });
  });

  it('refuses an overlong line after reading only its start, naming the line', async () => {
    // 64 MiB of one line: before the bound, the whole line was held in memory.
    const huge = Buffer.alloc(64 * 1024 * 1024, 0x61);
    const content = Buffer.concat([Buffer.from(`ok.txt,${D},1\n`), huge, Buffer.from(`,${D},1\n`)]);
    const before = process.memoryUsage().rss;
    await expect(entries('huge', content)).rejects.toThrow(`Manifest line 2 is longer than ${MAX_LINE_BYTES} bytes.`);
    // The file content buffer itself is 64 MiB; the reader must not add another copy of the line.
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
  });

  it('refuses a line that is not valid UTF-8', async () => {
    const content = Buffer.concat([Buffer.from('a'), Buffer.from([0xff, 0xfe]), Buffer.from(`.txt,${D},1\n`)]);
    await expect(entries('utf8', content)).rejects.toThrow('Manifest line 1 is not valid UTF-8.');
  });
});
