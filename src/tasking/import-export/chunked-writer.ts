import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';

/**
 * Writes one stream into `base` or, with a chunk size, into `base.0000`, `base.0001`, ... of at most `chunkSize`
 * bytes each (Pulp's HashingFileWriter, suffix length 4), keeping the crc32 of every file as Pulp reports it:
 * lowercase hex without leading zeros (Python's `hex(crc)[2:]`). Nothing is buffered beyond one write.
 */
export class ChunkedHashingWriter extends Writable {
  /** Path -> crc32 hex of every finished file, in the order written. */
  readonly results = new Map<string, string>();
  private file: WriteStream | null = null;
  private filePath = '';
  private crc = 0;
  private written = 0;
  private index = 0;

  constructor(
    private readonly base: string,
    private readonly chunkSize: number,
  ) {
    super();
  }

  private async open(): Promise<void> {
    await this.closeFile();
    this.filePath = this.chunkSize > 0 ? `${this.base}.${String(this.index++).padStart(4, '0')}` : this.base;
    this.file = createWriteStream(this.filePath, { flags: 'wx' });
    await once(this.file, 'open');
    this.crc = 0;
    this.written = 0;
  }

  private async closeFile(): Promise<void> {
    if (!this.file) return;
    const f = this.file;
    this.file = null;
    await new Promise<void>((resolve, reject) => f.end((err?: Error | null) => (err ? reject(err) : resolve())));
    this.results.set(this.filePath, (this.crc >>> 0).toString(16));
  }

  private async put(data: Buffer): Promise<void> {
    if (!this.file) await this.open();
    this.crc = crc32(data, this.crc);
    this.written += data.length;
    if (!this.file!.write(data)) await once(this.file!, 'drain');
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    (async () => {
      let data = chunk;
      while (data.length > 0) {
        if (this.chunkSize > 0 && this.file && this.written >= this.chunkSize) await this.open();
        const room = this.chunkSize > 0 ? this.chunkSize - (this.file ? this.written : 0) : data.length;
        const piece = data.subarray(0, room);
        await this.put(piece);
        data = data.subarray(piece.length);
      }
    })().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeFile().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const f = this.file;
    this.file = null;
    if (f) f.destroy();
    callback(error);
  }
}
