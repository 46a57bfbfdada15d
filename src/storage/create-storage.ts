import type { Settings } from '../core/settings.js';
import { FileSystemStorage } from './filesystem.js';
import type { Storage } from './storage.js';

/**
 * Builds the storage a process uses, from its settings. Only the entry points (`src/cli/`) call this, once
 * per process (or task thread), and pass the instance down; nothing below builds its own.
 */
export function createStorage(settings: Settings): Storage {
  return new FileSystemStorage(settings.MEDIA_ROOT);
}
