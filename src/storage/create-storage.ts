import { ConfigurationError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { FileSystemStorage } from './filesystem.js';
import { parseS3Options, S3_BACKEND } from './s3-options.js';
import type { Storage } from './storage.js';

/** Backend names of the filesystem storage (Pulp's own and Django's). */
const FILESYSTEM_BACKENDS = new Set([
  'pulpcore.app.models.storage.FileSystem',
  'django.core.files.storage.FileSystemStorage',
]);

/**
 * Builds the storage a process uses from `STORAGES.default`, checking its options (a bad setting stops the
 * process at start with every problem listed). Only the entry points (`src/cli/`) call this, once per process
 * (or task thread), and pass the instance down; nothing below builds its own. The S3 client (about 27 MB of
 * memory) is loaded only by processes configured for S3.
 */
export async function createStorage(settings: Settings): Promise<Storage> {
  const { BACKEND, OPTIONS } = settings.STORAGES.default;
  if (FILESYSTEM_BACKENDS.has(BACKEND)) return new FileSystemStorage(settings.MEDIA_ROOT);
  // MEDIA_ROOT keeps the local working files (downloads being verified, upload chunks before commit).
  if (BACKEND === S3_BACKEND) {
    const options = parseS3Options(OPTIONS);
    const { S3Storage } = await import('./s3.js');
    return new S3Storage(options, settings.MEDIA_ROOT);
  }
  throw new ConfigurationError(
    `Invalid settings:\n  - STORAGES.default.BACKEND: unsupported storage backend ${JSON.stringify(BACKEND)} (use ${[...FILESYSTEM_BACKENDS][0]} or ${S3_BACKEND})`,
  );
}
