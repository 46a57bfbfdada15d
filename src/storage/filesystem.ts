import { createReadStream } from 'node:fs';
import { link, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { UnsafePathError } from '../core/errors.js';
import type { Storage } from './storage.js';

/** Filesystem storage rooted at MEDIA_ROOT; no name can escape the root. */
export class FileSystemStorage implements Storage {
  private readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  localPath(name: string): string {
    const full = path.resolve(this.root, name);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw new UnsafePathError({ path: [`Storage name escapes the storage root: ${JSON.stringify(name)}`] });
    }
    return full;
  }

  createReadStream(name: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.localPath(name), range ? { start: range.start, end: range.end } : undefined);
  }

  async size(name: string): Promise<number | null> {
    try {
      return (await stat(this.localPath(name))).size;
    } catch {
      return null;
    }
  }

  async saveFromFile(tempPath: string, name: string): Promise<void> {
    const dest = this.localPath(name);
    await mkdir(path.dirname(dest), { recursive: true });
    // link() fails when the destination exists, so a concurrent save of the same digest keeps the first file.
    try {
      await link(tempPath, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EXDEV') {
        await rename(tempPath, dest);
        return;
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await unlink(tempPath).catch(() => undefined);
  }

  async delete(name: string): Promise<void> {
    await rm(this.localPath(name), { force: true });
  }

  tempDir(): string {
    return path.join(this.root, 'tmp');
  }
}
