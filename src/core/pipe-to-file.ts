import { type WriteStream, createWriteStream } from 'node:fs';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface PipeToFileOptions {
  /** `fs.open` flags: `w` (the default), `a` to append, `wx` to refuse an existing file. */
  flags?: string;
  signal?: AbortSignal;
}

/**
 * Streams `source` (through `transforms`) into `file`, and on failure returns only once the file is closed.
 * A source that fails at once rejects a plain pipeline before the write stream's open() has run; a caller
 * that then removes the file would leave behind the one that open() creates a moment later.
 */
export async function pipeToFile(
  source: Readable | NodeJS.ReadableStream,
  file: string,
  transforms: Transform[] = [],
  options: PipeToFileOptions = {},
): Promise<void> {
  const out: WriteStream = createWriteStream(file, { flags: options.flags ?? 'w' });
  const streams: (NodeJS.ReadableStream | NodeJS.WritableStream)[] = [source, ...transforms, out];
  try {
    await pipeline(streams, { signal: options.signal });
  } catch (err) {
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    throw err;
  }
}
