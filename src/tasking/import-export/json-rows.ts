import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';

import { boundedLines } from '../../core/bounded-lines.js';
import { ValidationError } from '../../core/errors.js';

/**
 * Longest row line read, in bytes: a row is one database record (the largest, a package's metadata with its
 * long description, stays far below it). A longer line is refused after its first MAX_ROW_BYTES, so a hostile
 * or broken export cannot take a worker's memory with one line.
 */
export const MAX_ROW_BYTES = 32 * 1024 * 1024;

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
  const bad = (why: string) => new ValidationError([`Malformed import file ${name}: ${why}.`]);
  const chunks = createReadStream(path) as AsyncIterable<Buffer>;
  const lines = boundedLines(chunks, MAX_ROW_BYTES, (n) => bad(`line ${n} is longer than ${MAX_ROW_BYTES} bytes`));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let state: 'start' | 'rows' | 'end' = 'start';
  let batch: Record<string, unknown>[] = [];
  for await (const bytes of lines) {
    let line: string;
    try {
      line = decoder.decode(bytes).trim();
    } catch {
      throw bad('a row is not valid UTF-8');
    }
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
