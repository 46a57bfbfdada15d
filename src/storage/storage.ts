import type { Readable } from 'node:stream';

/** Where artifacts and published files live. Names are storage-relative (`artifact/ab/cdef...`). */
export interface Storage {
  /** Absolute filesystem path of a name, for backends that have one (lets the content app use sendfile). */
  localPath(name: string): string | null;
  /** Reads a whole object or the inclusive byte range [start, end]. */
  createReadStream(name: string, range?: { start: number; end: number }): Readable;
  /** Size in bytes, or null when the object is missing. */
  size(name: string): Promise<number | null>;
  /**
   * Moves a finished temporary file (on the same volume) to `name`. When `name` already exists, the
   * existing object is kept (same digest, same bytes) and the temporary file is removed.
   */
  saveFromFile(tempPath: string, name: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** Local directory for temporary files (for the filesystem backend on its volume, so saves are renames). */
  tempDir(): string;
  /** Object stores only: a time-limited URL that lets a client GET the object directly. */
  presignedUrl?(name: string, options?: PresignOptions): Promise<string>;
}

export interface PresignOptions {
  /** Content-Type the object store should answer with. */
  contentType?: string;
  /** File name for the answer's Content-Disposition. */
  filename?: string;
}
