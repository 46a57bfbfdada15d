// What plugins use of the layers below plugin-api, re-exported so that a plugin imports plugin-api only.
import type { Kysely, Transaction } from 'kysely';

import type { Database } from '../db/database.js';
import type { DB } from '../db/tables.js';

export { boundedLines } from '../core/bounded-lines.js';
export * from '../core/checksums.js';
export * from '../core/errors.js';
export * from '../core/ids.js';
export * from '../core/safe-path.js';
export { pipeToFile, type PipeToFileOptions } from '../core/pipe-to-file.js';
export { extraSetting } from '../core/settings.js';
export type { ChecksumName, Settings } from '../core/settings.js';
export type { Database } from '../db/database.js';
export type * from '../db/tables.js';
export { contentChangeTrigger } from '../db/content-change-triggers.js';
export { isForeignKeyViolation, isUniqueViolation } from '../db/pg-errors.js';
export * from '../download/config.js';
export { Downloader, type DownloaderOptions, type DownloadResult } from '../download/downloader.js';
export * from '../download/http-client.js';
export {
  checkLiteralHost,
  guardedLookup,
  isNonPublicAddress,
  processAddressPolicy,
} from '../download/address-policy.js';
export { HashPool, sharedHashPool } from '../download/hash-pool.js';
export * from '../sync/index.js';
export type { Storage } from '../storage/storage.js';
export { artifactPath } from '../storage/artifact-path.js';

/**
 * The database typed with a plugin's own tables besides core's (`pluginDb<{ python_package: ... }>(db)`):
 * the same connection pool, so plugin writes join core's transactions.
 */
export function pluginDb<T>(db: Database): Kysely<DB & T> {
  return db as unknown as Kysely<DB & T>;
}

/** A transaction typed with a plugin's own tables. */
export function pluginTrx<T>(trx: Transaction<DB>): Transaction<DB & T> {
  return trx as unknown as Transaction<DB & T>;
}
