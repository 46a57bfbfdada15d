import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';

import { type RawBuilder, sql } from 'kysely';

import { MultiHasher, PulpError, storeArtifactFile, type Services } from '../../plugin-api/index.js';
import { manifestLine } from './manifest.js';

export class PublishError extends PulpError {}

const PAGE = 2000;

/**
 * Writes the PULP_MANIFEST of a version to a temporary file: one line per unit, newest content first (as
 * pulp_file orders it); on-demand units take their size from the remote artifact. Keyset pages keep memory
 * flat for large versions.
 */
async function writeVersionManifest(services: Services, repositoryId: string, number: number, tempPath: string) {
  const hasher = new MultiHasher(services.settings.ALLOWED_CONTENT_CHECKSUMS);
  const fh = await open(tempPath, 'w');
  try {
    let after: { created: string; id: string } | null = null;
    for (;;) {
      const cursor: RawBuilder<unknown> = after
        ? sql`AND (c.pulp_created, c.pulp_id) < (${after.created}::timestamptz, ${after.id}::uuid)`
        : sql``;
      const rows = await sql<{
        id: string;
        created: string;
        relative_path: string;
        digest: string;
        size: string | null;
      }>`
        SELECT c.pulp_id::text AS id, c.pulp_created::text AS created, f.relative_path, f.digest,
          COALESCE(a.size, (SELECT ra.size FROM remote_artifact ra WHERE ra.content_artifact_id = ca.pulp_id ORDER BY ra.pulp_created LIMIT 1)) AS size
        FROM repository_content rc JOIN content c ON c.pulp_id = rc.content_id
        JOIN file_content f ON f.content_id = c.pulp_id
        JOIN content_artifact ca ON ca.content_id = c.pulp_id
        LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
        WHERE rc.repository_id = ${repositoryId} AND rc.version_added <= ${number}
          AND (rc.version_removed IS NULL OR rc.version_removed > ${number}) ${cursor}
        ORDER BY c.pulp_created DESC, c.pulp_id DESC LIMIT ${PAGE}`.execute(services.db);
      if (rows.rows.length === 0) break;
      const text = rows.rows.map((r) => manifestLine(r.relative_path, r.digest, Number(r.size ?? 0))).join('');
      const buf = Buffer.from(text, 'utf8');
      hasher.update(buf);
      await fh.write(buf);
      const last: { created: string; id: string } = rows.rows[rows.rows.length - 1]!;
      after = { created: last.created, id: last.id };
      if (rows.rows.length < PAGE) break;
    }
  } finally {
    await fh.close();
  }
  return { path: tempPath, size: hasher.size, digests: hasher.digest() };
}

export interface PublishOptions {
  /** Manifest file name, or null to publish without one. */
  manifest: string | null;
  checkpoint?: boolean;
  /** A ready manifest file (a mirror sync publishes the upstream manifest as is). */
  manifestFile?: { path: string; size: number; digests: import('../../core/checksums.js').Digests };
}

/**
 * pulp_file's publish: a complete pass-through publication of the version, plus the manifest as published
 * metadata. Fails when the manifest name is also the path of a unit (or a directory of one).
 */
export async function publishVersion(services: Services, versionId: string, options: PublishOptions): Promise<string> {
  const v = await services.db
    .selectFrom('repository_version')
    .select(['repository_id', 'number'])
    .where('pulp_id', '=', versionId)
    .executeTakeFirstOrThrow();
  let artifactId: string | null = null;
  if (options.manifest !== null) {
    const clash = await sql<{ relative_path: string }>`
      SELECT f.relative_path FROM repository_content rc JOIN file_content f ON f.content_id = rc.content_id
      WHERE rc.repository_id = ${v.repository_id} AND rc.version_added <= ${v.number}
        AND (rc.version_removed IS NULL OR rc.version_removed > ${v.number})
        AND (f.relative_path = ${options.manifest} OR f.relative_path LIKE ${`${options.manifest.replace(/[\\%_]/g, (m) => `\\${m}`)}/%`})
      LIMIT 1`.execute(services.db);
    if (clash.rows[0]) {
      throw new PublishError(
        `The published manifest "${options.manifest}" collides with the content path "${clash.rows[0].relative_path}".`,
      );
    }
    const tempDir = services.storage.tempDir();
    await mkdir(tempDir, { recursive: true });
    const file =
      options.manifestFile ??
      (await writeVersionManifest(
        services,
        v.repository_id,
        v.number,
        path.join(tempDir, `manifest-${randomBytes(8).toString('hex')}`),
      ));
    try {
      artifactId = await storeArtifactFile(
        services.db,
        services.storage,
        file,
        services.settings.ALLOWED_CONTENT_CHECKSUMS,
      );
    } finally {
      await rm(file.path, { force: true });
    }
  }
  return services.db.transaction().execute(async (trx) => {
    const pub = await trx
      .insertInto('publication')
      .values({
        pulp_type: 'file.file',
        repository_version_id: versionId,
        pass_through: true,
        checkpoint: options.checkpoint ?? false,
        detail: JSON.stringify({ manifest: options.manifest }),
      })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    if (artifactId && options.manifest !== null) {
      await trx
        .insertInto('published_metadata')
        .values({ publication_id: pub.pulp_id, artifact_id: artifactId, relative_path: options.manifest })
        .execute();
    }
    await trx.updateTable('publication').set({ complete: true }).where('pulp_id', '=', pub.pulp_id).execute();
    return pub.pulp_id;
  });
}
