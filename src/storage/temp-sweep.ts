import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

import { type TempOwner, tempOwner } from '../core/temp-names.js';

const LEGACY_NAME = /^(dl|ondemand|upload)-[0-9a-f-]{16,}$/;

export interface SweepOptions {
  /** Whether the process (and thread) that owns a file may still be using it. */
  isOwnerAlive(owner: TempOwner): boolean;
  /**
   * Files of the names older versions gave (`dl-<hex>`, `ondemand-<hex>`, `upload-<uuid>`), which say no
   * owner, are removed once unmodified for this long: a file being written changes all the time. Other
   * unowned names are left alone: a plugin may keep a file there on purpose (a registry upload session).
   */
  unownedMaxAgeMs: number;
}

/**
 * Removes the temporary files in `dir` that nobody can be using any more: those whose owner is gone, and
 * unowned ones left untouched for long. Concurrent sweeps by several processes are harmless (removal of a
 * file already gone is a no-op). Returns the names removed.
 */
export async function sweepTempDir(dir: string, options: SweepOptions): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    const full = path.join(dir, name);
    const owner = tempOwner(name);
    if (owner) {
      if (options.isOwnerAlive(owner)) continue;
    } else {
      if (!LEGACY_NAME.test(name)) continue;
      const info = await stat(full).catch(() => null);
      if (!info?.isFile() || now - info.mtimeMs < options.unownedMaxAgeMs) continue;
    }
    // Recursive: exports and imports stage whole directories under owned names.
    await rm(full, { force: true, recursive: true });
    removed.push(name);
  }
  return removed;
}

/** Removes the files of one owner at once (a task thread that was terminated or died). */
export async function removeTempFilesOf(dir: string, matches: (owner: TempOwner) => boolean): Promise<string[]> {
  return sweepTempDir(dir, { isOwnerAlive: (owner) => !matches(owner), unownedMaxAgeMs: Infinity });
}
