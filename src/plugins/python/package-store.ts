import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { sql } from 'kysely';

import { importArtifactFromFile, ValidationError, type Services } from '../../plugin-api/index.js';
import { extractPackageMetadata, PackageError } from './package-metadata.js';
import type { PythonPackageRow } from './package-row.js';
import { insertPackageRow, PACKAGE_TYPE, packageBySha256 } from './package-rows.js';

export type StoreServices = Pick<Services, 'db' | 'storage' | 'settings'>;

export interface StoredPackage {
  contentId: string;
  /** False when a package with the same sha256 already existed (Pulp returns the existing unit). */
  created: boolean;
  row: PythonPackageRow;
}

/**
 * Turn a finished temporary file, uploaded or downloaded as `filename`, into a python.python unit: read and
 * check its metadata (nothing is stored when that fails), import the artifact (checking `expectedSha256`),
 * store a wheel's METADATA as the `<filename>.metadata` artifact (PEP 658), then insert the content, its
 * detail row and its content artifacts in one transaction. The temporary file is consumed or removed.
 */
export async function storePackageFile(
  services: StoreServices,
  tempPath: string,
  filename: string,
  options: { expectedSha256?: string; signal?: AbortSignal } = {},
): Promise<StoredPackage> {
  let extracted;
  try {
    extracted = await extractPackageMetadata(tempPath, filename);
  } catch (err) {
    await rm(tempPath, { force: true });
    if (err instanceof PackageError) throw new ValidationError([err.message], { cause: err });
    throw err;
  }
  let artifact;
  try {
    artifact = await importArtifactFromFile(services, tempPath, {
      expected: options.expectedSha256 ? { digests: { sha256: options.expectedSha256 } } : undefined,
      signal: options.signal,
    });
  } finally {
    await rm(tempPath, { force: true });
  }
  const existing = await packageBySha256(services.db as never, artifact.sha256);
  if (existing) return { contentId: existing.content_id, created: false, row: existing };
  let metadataArtifactId: string | null = null;
  if (extracted.metadataFile) {
    const metaTemp = path.join(services.storage.tempDir(), `${randomUUID()}.metadata`);
    await writeFile(metaTemp, extracted.metadataFile);
    try {
      metadataArtifactId = (await importArtifactFromFile(services, metaTemp, { signal: options.signal })).pulp_id;
    } finally {
      await rm(metaTemp, { force: true });
    }
  }
  const { metadata } = extracted;
  try {
    const contentId = await services.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pulp_id: string }>`INSERT INTO content (pulp_type) VALUES (${PACKAGE_TYPE})
        RETURNING pulp_id`.execute(trx);
      const id = (rows[0] as { pulp_id: string }).pulp_id;
      await insertPackageRow(trx as never, id, {
        ...metadata,
        sha256: artifact.sha256,
        size: Number(artifact.size),
        yanked: false,
        yanked_reason: null,
      });
      await trx
        .insertInto('content_artifact')
        .values({ content_id: id, artifact_id: artifact.pulp_id, relative_path: filename })
        .execute();
      if (metadataArtifactId) {
        await trx
          .insertInto('content_artifact')
          .values({ content_id: id, artifact_id: metadataArtifactId, relative_path: `${filename}.metadata` })
          .execute();
      }
      return id;
    });
    const row = (await packageBySha256(services.db as never, artifact.sha256)) as PythonPackageRow;
    return { contentId, created: true, row };
  } catch (err) {
    // Another upload of the same bytes won the unique sha256: theirs is the unit.
    if ((err as { code?: string }).code === '23505') {
      const winner = await packageBySha256(services.db as never, artifact.sha256);
      if (winner) return { contentId: winner.content_id, created: false, row: winner };
    }
    throw err;
  }
}
