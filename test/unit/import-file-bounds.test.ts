import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { boundedLines } from '../../src/core/bounded-lines.js';
import { checkToc, MAX_SMALL_FILE_BYTES } from '../../src/tasking/import-export/import-archive.js';
import { MAX_ROW_BYTES, readJsonRows } from '../../src/tasking/import-export/json-rows.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-import-bounds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rows(name: string, content: string | Buffer): Promise<unknown[]> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  const out: unknown[] = [];
  for await (const batch of readJsonRows(file, name)) out.push(...batch);
  return out;
}

describe('bounded lines', () => {
  async function* chunks(...parts: string[]) {
    for (const p of parts) yield Buffer.from(p);
  }
  const collect = async (it: AsyncIterable<Buffer>) => {
    const out: string[] = [];
    for await (const b of it) out.push(b.toString());
    return out;
  };
  const tooLong = (n: number) => new Error(`line ${n} too long`);

  it('splits across chunks and keeps a last line without newline', async () => {
    expect(await collect(boundedLines(chunks('ab', 'c\nde', 'f\n\ng'), 3, tooLong))).toEqual(['abc', 'def', '', 'g']);
  });

  it('refuses a line over the bound, within one chunk or across several', async () => {
    await expect(collect(boundedLines(chunks('ok\nabcd\n'), 3, tooLong))).rejects.toThrow('line 2 too long');
    await expect(collect(boundedLines(chunks('ab', 'cd', 'ef'), 3, tooLong))).rejects.toThrow('line 1 too long');
  });
});

describe('import files are bounded', () => {
  it('reads the rows an export writes', async () => {
    expect(await rows('ok.json', '[\n{"a": 1},\n{"b": "\u00e9"}\n]\n')).toEqual([{ a: 1 }, { b: '\u00e9' }]);
  });

  it('refuses an overlong row line by its number (readline held it whole)', async () => {
    const huge = Buffer.concat([
      Buffer.from('[\n{"a": "'),
      Buffer.alloc(MAX_ROW_BYTES + 1024, 0x61),
      Buffer.from('"}\n]\n'),
    ]);
    await expect(rows('huge.json', huge)).rejects.toThrow(
      `Malformed import file huge.json: line 2 is longer than ${MAX_ROW_BYTES} bytes.`,
    );
  });

  it('refuses a row that is not valid UTF-8', async () => {
    const bad = Buffer.concat([Buffer.from('[\n{"a": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n]\n')]);
    await expect(rows('bad.json', bad)).rejects.toThrow('Malformed import file bad.json: a row is not valid UTF-8.');
  });

  it('refuses a table of contents larger than any export has, before reading it', async () => {
    const toc = path.join(dir, 'big-toc.json');
    await writeFile(toc, Buffer.alloc(MAX_SMALL_FILE_BYTES + 1, 0x20));
    await expect(checkToc(toc)).rejects.toThrow(`big-toc.json is larger than ${MAX_SMALL_FILE_BYTES} bytes.`);
  });
});
