import { randomUUID } from 'node:crypto';
import { mkdir, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';

import { sql } from 'kysely';

import {
  importArtifactFromFile,
  pipeToFile,
  sharedHashPool,
  type ArtifactRow,
  type Services,
} from '../../plugin-api/index.js';
import { blobUploadUnknown, digestInvalid, RegistryError, sizeInvalid } from './registry-errors.js';

type UploadServices = Pick<Services, 'db' | 'storage' | 'settings'>;

/** A claim on an upload older than this belongs to a process that died mid-request. */
const STALE_CLAIM_SECONDS = 600;
/** Uploads untouched for this long are abandoned: removed (rows and files) as new uploads start. */
const ABANDONED_UPLOAD_HOURS = 24;

export interface UploadRow {
  pulp_id: string;
  repository_id: string;
  size: number;
}

const uploadFile = (services: UploadServices, id: string) =>
  path.join(services.storage.tempDir(), `container-upload-${id}`);

/**
 * The digests of a received blob (Pulp's ALLOWED_CONTENT_CHECKSUMS, about 6.6 times the cost of a sha256) are
 * computed once the bytes are on disk, by the shared pool of hashing threads: hashing while receiving held the
 * event loop and throttled every upload to one core, while the pool hashes the layers a client pushes in
 * parallel beside the requests, reading them back from the page cache.
 */
async function digestsOf(services: UploadServices, file: string) {
  return sharedHashPool().hashFile(file, services.settings.ALLOWED_CONTENT_CHECKSUMS);
}

export async function createUpload(services: UploadServices, repositoryId: string): Promise<string> {
  await removeAbandonedUploads(services);
  const { rows } = await sql<{ pulp_id: string }>`
    INSERT INTO container_upload (repository_id) VALUES (${repositoryId}) RETURNING pulp_id`.execute(services.db);
  return rows[0]!.pulp_id;
}

export async function findUpload(db: Services['db'], repositoryId: string, id: string): Promise<UploadRow> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw blobUploadUnknown(id);
  const { rows } = await sql<{ pulp_id: string; repository_id: string; size: string }>`
    SELECT pulp_id, repository_id, size FROM container_upload
    WHERE pulp_id = ${id}::uuid AND repository_id = ${repositoryId}`.execute(db);
  const row = rows[0];
  if (!row) throw blobUploadUnknown(id);
  return { ...row, size: Number(row.size) };
}

/** Takes the upload for one writer, expecting it to hold `start` bytes; refuses a wrong offset. */
async function claim(db: Services['db'], upload: UploadRow, start: number): Promise<void> {
  const { rows } = await sql<{ size: string; busy: boolean }>`
    UPDATE container_upload SET busy_since = clock_timestamp(), pulp_last_updated = clock_timestamp()
    WHERE pulp_id = ${upload.pulp_id} AND size = ${start}
      AND (busy_since IS NULL OR busy_since < clock_timestamp() - make_interval(secs => ${STALE_CLAIM_SECONDS}))
    RETURNING size`.execute(db);
  if (rows.length > 0) return;
  const current = await sql<{ size: string; busy_since: Date | null }>`
    SELECT size, busy_since FROM container_upload WHERE pulp_id = ${upload.pulp_id}`.execute(db);
  const row = current.rows[0];
  if (!row) throw blobUploadUnknown(upload.pulp_id);
  if (Number(row.size) !== start)
    throw new RegistryError(
      'RANGE_INVALID',
      `The chunk starts at byte ${start}; the upload holds ${row.size} bytes.`,
      { uuid: upload.pulp_id },
      { status: 416 },
    );
  throw new RegistryError('BLOB_UPLOAD_INVALID', 'Another request is writing to this upload.', {
    uuid: upload.pulp_id,
  });
}

/**
 * Appends a request body to an upload at offset `start` (the upload's size, or 416). At most `length` bytes
 * when the client stated it (Content-Range); the total is capped by MAX_UPLOAD_SIZE. A failed append leaves
 * the upload as it was. Returns the new size.
 */
export async function appendToUpload(
  services: UploadServices,
  upload: UploadRow,
  body: Readable,
  start: number,
  length: number | null,
): Promise<number> {
  await claim(services.db, upload, start);
  const file = uploadFile(services, upload.pulp_id);
  const limit = services.settings.MAX_UPLOAD_SIZE;
  let received = 0;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        if (length !== null && received > length) cb(sizeInvalid('The chunk is longer than its Content-Range.'));
        else if (start + received > limit) cb(sizeInvalid(`The blob is larger than ${limit} bytes.`));
        else cb(null, chunk);
      },
    });
    await pipeToFile(body, file, [counter], { flags: start === 0 ? 'w' : 'a' });
    if (length !== null && received !== length)
      throw sizeInvalid(`The chunk holds ${received} bytes; its Content-Range announced ${length}.`);
  } catch (err) {
    await truncate(file, start).catch(() => undefined);
    await sql`UPDATE container_upload SET busy_since = NULL WHERE pulp_id = ${upload.pulp_id}`.execute(services.db);
    throw err;
  }
  const size = start + received;
  await sql`UPDATE container_upload SET size = ${size}, busy_since = NULL, pulp_last_updated = clock_timestamp()
    WHERE pulp_id = ${upload.pulp_id}`.execute(services.db);
  return size;
}

/**
 * Completes an upload (PUT ?digest=, with an optional last chunk): the bytes must hash to `digest`, else
 * DIGEST_INVALID and the upload is gone with its file. On success the file becomes an artifact.
 */
export async function completeUpload(
  services: UploadServices,
  upload: UploadRow,
  body: Readable | null,
  digest: string,
): Promise<ArtifactRow> {
  let size = upload.size;
  if (body) size = await appendToUpload(services, upload, body, upload.size, null);
  else await claim(services.db, upload, size);
  const file = uploadFile(services, upload.pulp_id);
  try {
    const computed = await digestsOf(services, file).catch(() => ({ size: 0, digests: { sha256: '' } }));
    if (`sha256:${computed.digests.sha256}` !== digest) throw digestInvalid(digest);
    return await importArtifactFromFile(services, file, { computed });
  } finally {
    await sql`DELETE FROM container_upload WHERE pulp_id = ${upload.pulp_id}`.execute(services.db);
    await rm(file, { force: true });
  }
}

/** Cancels an upload: its row and its bytes. */
export async function cancelUpload(services: UploadServices, upload: UploadRow): Promise<void> {
  await sql`DELETE FROM container_upload WHERE pulp_id = ${upload.pulp_id}`.execute(services.db);
  await rm(uploadFile(services, upload.pulp_id), { force: true });
}

/** A monolithic upload (POST ?digest= with the blob as body), streamed to a temporary file while hashing. */
export async function uploadWhole(services: UploadServices, body: Readable, digest: string): Promise<ArtifactRow> {
  const id = randomUUID();
  const file = path.join(services.storage.tempDir(), `container-blob-${id}`);
  const limit = services.settings.MAX_UPLOAD_SIZE;
  let received = 0;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const counting = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        if (received > limit) return cb(sizeInvalid(`The blob is larger than ${limit} bytes.`));
        cb(null, chunk);
      },
    });
    await pipeToFile(body, file, [counting]);
    const computed = await digestsOf(services, file);
    if (`sha256:${computed.digests.sha256}` !== digest) throw digestInvalid(digest);
    return await importArtifactFromFile(services, file, { computed });
  } finally {
    await rm(file, { force: true });
  }
}

async function removeAbandonedUploads(services: UploadServices): Promise<void> {
  const { rows } = await sql<{ pulp_id: string }>`
    DELETE FROM container_upload WHERE pulp_id IN (
      SELECT pulp_id FROM container_upload
      WHERE pulp_last_updated < clock_timestamp() - make_interval(hours => ${ABANDONED_UPLOAD_HOURS})
      LIMIT 100 FOR UPDATE SKIP LOCKED)
    RETURNING pulp_id`.execute(services.db);
  await Promise.all(rows.map((r) => rm(uploadFile(services, r.pulp_id), { force: true })));
}
