import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { type Digests, MultiHasher } from '../core/checksums.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../core/ids.js';
import { ownedTempName } from '../core/temp-names.js';
import type { Services } from './operations.js';

type UploadServices = Pick<Services, 'db' | 'storage' | 'settings'>;

/** The id of an upload named by its href or PRN in a request's `upload` field, or Pulp's 400. */
export function uploadIdOf(value: unknown): string {
  const v = String(value);
  const id = parsePrn(v)?.pk ?? /\/uploads\/([0-9a-f-]{36})\/$/.exec(hrefPath(v) ?? '')?.[1] ?? '';
  if (!isUuid(id)) throw new ValidationError({ upload: ['Invalid hyperlink - Object does not exist.'] });
  return id;
}

/** Storage name of a chunk: `upload/<uuid>` (Pulp's CHUNKED_UPLOAD_DIR). */
export function chunkStorageName(): string {
  return `upload/${randomUUID()}`;
}

export interface AssembledUpload {
  /** Temporary file on the storage's volume; the caller imports or removes it. */
  path: string;
  size: number;
  digests: Digests;
}

/**
 * Concatenates an upload's chunks in offset order into a temporary file, hashing with every allowed
 * algorithm on the way. Fails when the chunks do not cover the upload exactly (a gap, an overlap or a
 * missing tail).
 */
export async function assembleUpload(
  services: UploadServices,
  uploadId: string,
  signal?: AbortSignal,
): Promise<AssembledUpload> {
  const upload = await services.db
    .selectFrom('upload')
    .select(['pulp_id', 'size'])
    .where('pulp_id', '=', uploadId)
    .executeTakeFirst();
  if (!upload) throw new NotFoundError('No Upload matches the given query.');
  const chunks = await services.db
    .selectFrom('upload_chunk')
    .select(['offset', 'size', 'file'])
    .where('upload_id', '=', uploadId)
    .orderBy('offset')
    .execute();
  let expected = 0;
  for (const c of chunks) {
    if (Number(c.offset) !== expected)
      throw new ValidationError([`The upload is incomplete or its chunks overlap at byte ${expected}.`]);
    expected += Number(c.size);
  }
  if (expected !== Number(upload.size))
    throw new ValidationError([`The upload is incomplete: ${expected} of ${upload.size} bytes were uploaded.`]);

  const dir = services.storage.tempDir();
  await mkdir(dir, { recursive: true });
  const dest = path.join(dir, ownedTempName('upload'));
  const hasher = new MultiHasher(services.settings.ALLOWED_CONTENT_CHECKSUMS);
  const out = createWriteStream(dest);
  try {
    for (const c of chunks) {
      signal?.throwIfAborted();
      const hashing = new Writable({
        write(chunk: Buffer, _enc, cb) {
          hasher.update(chunk);
          if (out.write(chunk)) cb();
          else out.once('drain', () => cb());
        },
      });
      await pipeline(services.storage.createReadStream(c.file), hashing, { signal });
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (err) {
    out.destroy();
    await rm(dest, { force: true });
    throw err;
  }
  return { path: dest, size: hasher.size, digests: hasher.digest() };
}

/** Deletes an upload: its rows first (so nobody can use it any more), then its chunk files. */
export async function deleteUpload(services: UploadServices, uploadId: string): Promise<boolean> {
  const chunks = await services.db.transaction().execute(async (trx) => {
    const files = await trx.selectFrom('upload_chunk').select('file').where('upload_id', '=', uploadId).execute();
    const r = await trx.deleteFrom('upload').where('pulp_id', '=', uploadId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0 ? files : null;
  });
  if (!chunks) return false;
  await Promise.all(chunks.map((c) => services.storage.delete(c.file)));
  return true;
}
