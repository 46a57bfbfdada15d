import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';

import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';

import { DIGEST_PREFERENCE, type Digests, MultiHasher } from '../core/checksums.js';
import { DigestMismatchError, SizeMismatchError, ValidationError } from '../core/errors.js';
import { formatTimestamp } from '../core/ids.js';
import type { ChecksumName } from '../core/settings.js';
import type { ArtifactTable, DB } from '../db/tables.js';
import { artifactPath } from '../storage/artifact-path.js';
import type { Services } from './operations.js';

type Db = Kysely<DB> | Transaction<DB>;
export type ArtifactRow = Selectable<ArtifactTable>;

/**
 * First key of the advisory lock (two-int form) that serialises work on one digest: importing an artifact
 * and orphan cleanup removing it. The second key is hashtext(sha256).
 */
export const ARTIFACT_LOCK_CLASS = 710_301;

export const ALL_CHECKSUMS: readonly ChecksumName[] = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

/** What a file is expected to be: checked after hashing, before anything is stored. */
export interface ExpectedFile {
  size?: number | null;
  digests?: Partial<Record<ChecksumName, string | null | undefined>>;
}

export interface ImportArtifactOptions {
  expected?: ExpectedFile;
  /** Size and digests already computed while the file was written (skips reading it again). */
  computed?: { size: number; digests: Digests };
  signal?: AbortSignal;
}

/** Size and every allowed digest of a file, read once in 1 MiB chunks. */
export async function hashFile(
  path: string,
  algorithms: readonly ChecksumName[],
  signal?: AbortSignal,
): Promise<{ size: number; digests: Digests }> {
  const hasher = new MultiHasher(algorithms);
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024, signal });
  for await (const chunk of stream) hasher.update(chunk as Buffer);
  return { size: hasher.size, digests: hasher.digest() };
}

/**
 * Checks a file's size and digests against expectations. An expected digest of an algorithm outside
 * ALLOWED_CONTENT_CHECKSUMS is refused (Pulp's UnsupportedDigestValidationError).
 */
export function verifyExpected(
  actual: { size: number; digests: Digests },
  expected: ExpectedFile | undefined,
  allowed: readonly ChecksumName[],
): void {
  if (!expected) return;
  if (expected.size !== undefined && expected.size !== null && expected.size !== actual.size) {
    throw new SizeMismatchError(`Downloaded file has size ${actual.size}, expected ${expected.size}.`);
  }
  for (const name of ALL_CHECKSUMS) {
    const want = expected.digests?.[name];
    if (want === undefined || want === null || want === '') continue;
    if (!allowed.includes(name)) {
      throw new DigestMismatchError(`Checksum algorithm ${name} is forbidden for this Pulp instance.`);
    }
    if (want.toLowerCase() !== actual.digests[name])
      throw new DigestMismatchError(`The ${name} checksum did not match.`);
  }
}

/**
 * The artifact matching any of the given digests, tried in Pulp's order (sha256, sha512, sha384, sha224,
 * sha1, md5) among the allowed algorithms; null when none matches.
 */
export async function findArtifactByDigests(
  db: Db,
  digests: Partial<Record<ChecksumName, string | null | undefined>>,
  allowed: readonly ChecksumName[] = ALL_CHECKSUMS,
): Promise<ArtifactRow | null> {
  for (const name of DIGEST_PREFERENCE) {
    const value = digests[name];
    if (!value || !allowed.includes(name)) continue;
    const row = await db.selectFrom('artifact').selectAll().where(name, '=', value.toLowerCase()).executeTakeFirst();
    if (row) return row;
  }
  return null;
}

/** Bumps `timestamp_of_interest` of a reused artifact (orphan-cleanup protection); skips rows locked by others. */
export async function touchArtifacts(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`UPDATE artifact SET timestamp_of_interest = clock_timestamp() WHERE pulp_id IN (
      SELECT pulp_id FROM artifact WHERE pulp_id = ANY(${ids}::uuid[])
        AND timestamp_of_interest < clock_timestamp() - interval '1 hour'
      ORDER BY pulp_id FOR NO KEY UPDATE SKIP LOCKED)`.execute(db);
}

/**
 * Turns a finished temporary file (on the storage's volume, see `storage.tempDir()`) into an artifact:
 * hashes it with every ALLOWED_CONTENT_CHECKSUMS algorithm (unless `computed` is given), verifies
 * `expected`, then dedups by sha256. A new artifact's file is moved to `artifact/<2>/<62>` before its row is
 * inserted (a crash leaves at most an unreferenced file, never a row without a file); an existing artifact
 * whose file is missing gets this file (self-repair); a concurrent import of the same bytes is resolved by
 * the unique sha256 and an advisory lock on the digest (shared with orphan cleanup).
 * On success the temporary file is consumed; on a mismatch it is left for the caller, and nothing is stored.
 */
export async function importArtifactFromFile(
  services: Pick<Services, 'db' | 'storage' | 'settings'>,
  tempPath: string,
  options: ImportArtifactOptions = {},
): Promise<ArtifactRow> {
  const allowed = services.settings.ALLOWED_CONTENT_CHECKSUMS;
  const actual = options.computed ?? (await hashFile(tempPath, allowed, options.signal));
  verifyExpected(actual, options.expected, allowed);
  const sha256 = actual.digests.sha256;
  const name = artifactPath(sha256);
  const { db, storage } = services;
  // The digest lock makes check, save and insert one step against orphan cleanup and other importers.

  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${ARTIFACT_LOCK_CLASS}::int, hashtext(${sha256}))`.execute(trx);
    const existing = await trx.selectFrom('artifact').selectAll().where('sha256', '=', sha256).executeTakeFirst();
    if (existing) {
      if ((await storage.size(existing.file)) === null) await storage.saveFromFile(tempPath, existing.file);
      else await rm(tempPath, { force: true });
      await touchArtifacts(trx, [existing.pulp_id]);
      return existing;
    }
    await storage.saveFromFile(tempPath, name);
    const values: Record<string, unknown> = {};
    for (const c of ALL_CHECKSUMS) values[c] = allowed.includes(c) ? (actual.digests[c] ?? null) : null;
    const inserted = await sql<ArtifactRow>`INSERT INTO artifact (file, size, md5, sha1, sha224, sha256, sha384, sha512)
        VALUES (${name}, ${actual.size}, ${values.md5}, ${values.sha1}, ${values.sha224}, ${sha256}, ${values.sha384}, ${values.sha512})
        ON CONFLICT (sha256) DO NOTHING RETURNING *`.execute(trx);
    const row = inserted.rows[0];
    if (row) return row;
    // Inserted by a path that does not take the lock (bulk sync saves): read the winner.
    const winner = await trx.selectFrom('artifact').selectAll().where('sha256', '=', sha256).executeTakeFirstOrThrow();
    await touchArtifacts(trx, [winner.pulp_id]);
    return winner;
  });
}

/** `ArtifactResponse`: common fields, `file`, `size` and the six digests (forbidden ones null). */
export function serializeArtifact(apiPrefix: string, row: ArtifactRow): Record<string, unknown> {
  return {
    pulp_href: `${apiPrefix}artifacts/${row.pulp_id}/`,
    prn: `prn:core.artifact:${row.pulp_id}`,
    pulp_created: formatTimestamp(row.pulp_created),
    pulp_last_updated: formatTimestamp(row.pulp_last_updated),
    file: row.file,
    size: Number(row.size),
    md5: row.md5,
    sha1: row.sha1,
    sha224: row.sha224,
    sha256: row.sha256,
    sha384: row.sha384,
    sha512: row.sha512,
  };
}

/** Resolves an artifact href or PRN to its row; a field error on `field` when it does not exist. */
export async function artifactFromReference(db: Db, field: string, reference: string): Promise<ArtifactRow> {
  const m =
    /artifacts\/([0-9a-f-]{36})\/?$/i.exec(reference) ?? /^prn:core\.artifact:([0-9a-f-]{36})$/i.exec(reference);
  const id = m?.[1];
  const row = id ? await db.selectFrom('artifact').selectAll().where('pulp_id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  return row;
}
