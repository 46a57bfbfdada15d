import type { Transaction } from 'kysely';

import type { ChecksumName } from '../core/settings.js';
import type { Database } from '../db/database.js';
import type { DB } from '../db/tables.js';

/** An artifact as the remote describes it: where to fetch it and what it must look like. */
export interface DeclarativeArtifact {
  url: string;
  relativePath: string;
  size: number | null;
  /** Expected digests; sha256 lets the pipeline reuse an artifact that is already stored. */
  digests: Partial<Record<ChecksumName, string>>;
  /** on_demand / streamed: record where to fetch it, download nothing. */
  deferred: boolean;
}

/** One upstream content unit (plugin-specific `unit`) and its single artifact. */
export interface DeclarativeContent<T> {
  unit: T;
  artifact: DeclarativeArtifact;
}

/**
 * What the pipeline needs to know about a content type. Natural keys are strings so that batches can be
 * matched in maps; `findExisting` and `insertDetails` run one query per batch, never one per unit.
 */
export interface ContentTypeAdapter<T> {
  pulpType: string;
  naturalKey(unit: T): string;
  /** Natural key -> content id for the units of the batch that already exist. */
  findExisting(db: Database | Transaction<DB>, units: T[]): Promise<Map<string, string>>;
  /**
   * Inserts the detail rows of new units whose `content` rows exist already (same transaction). Returns the
   * natural keys that another process inserted first (unique violation avoided with ON CONFLICT): the pipeline
   * drops its own content rows for those and uses the existing units.
   */
  insertDetails(trx: Transaction<DB>, rows: { contentId: string; unit: T }[]): Promise<Set<string>>;
}
