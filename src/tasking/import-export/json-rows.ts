import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { ValidationError } from '../../core/errors.js';

/**
 * Resource files of an export are JSON arrays written one element per line (`[`, rows joined by `,` and a
 * newline, `]`): valid JSON for any reader, and both written and read a batch at a time, so neither side
 * holds a whole resource list in memory (Pulp batches its exports and reads them with json_stream).
 */
export class JsonRowsWriter {
  private readonly out;
  private count = 0;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'wx' });
    this.out.write('[\n');
  }

  async write(rows: readonly unknown[]): Promise<void> {
    for (const row of rows) {
      const ok = this.out.write(`${this.count++ === 0 ? '' : ',\n'}${JSON.stringify(row)}`);
      if (!ok) await once(this.out, 'drain');
    }
  }

  get rows(): number {
    return this.count;
  }

  async close(): Promise<void> {
    this.out.write(`${this.count === 0 ? '' : '\n'}]\n`);
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/**
 * Reads a resource file written by JsonRowsWriter in batches of `size` rows. Anything else (another layout,
 * broken JSON, a row that is not an object) is refused with a ValidationError naming the file.
 */
export async function* readJsonRows(path: string, name: string, size = 500): AsyncGenerator<Record<string, unknown>[]> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const bad = (why: string) => new ValidationError([`Malformed import file ${name}: ${why}.`]);
  let state: 'start' | 'rows' | 'end' = 'start';
  let batch: Record<string, unknown>[] = [];
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (state === 'start') {
      if (line === '[]') state = 'end';
      else if (line === '[') state = 'rows';
      else throw bad('expected "["');
      continue;
    }
    if (state === 'end') throw bad('data after the end of the list');
    if (line === ']') {
      state = 'end';
      continue;
    }
    let row: unknown;
    try {
      row = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line);
    } catch {
      throw bad('a row is not valid JSON');
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw bad('a row is not an object');
    batch.push(row as Record<string, unknown>);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (state !== 'end') throw bad('the list is not closed');
  if (batch.length > 0) yield batch;
}
