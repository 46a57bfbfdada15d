import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';

import { type RawBuilder, sql } from 'kysely';

import { Downloader } from '../../download/downloader.js';
import type { ProgressReporter, TaskContext } from '../../plugin-api/tasks.js';

/** Pulp repairs at most this many artifacts at once. */
const REPAIR_CONCURRENCY = 5;
const BATCH = 1000;

interface StoredArtifact {
  pulp_id: string;
  file: string;
  sha256: string;
  size: string | number;
}

interface Reports {
  missing: ProgressReporter;
  corrupted: ProgressReporter;
  repaired: ProgressReporter;
}

async function sha256OfStored(ctx: TaskContext, name: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of ctx.services.storage.createReadStream(name)) {
    ctx.signal.throwIfAborted();
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Tries every remote artifact of the content artifacts using this artifact, in turn; the first download whose
 * size and sha256 match replaces the stored file. False when no source worked.
 */
async function redownload(ctx: TaskContext, artifact: StoredArtifact): Promise<boolean> {
  const { db, storage, settings } = ctx.services;
  const sources = await db
    .selectFrom('remote_artifact as ra')
    .innerJoin('content_artifact as ca', 'ca.pulp_id', 'ra.content_artifact_id')
    .innerJoin('remote as r', 'r.pulp_id', 'ra.remote_id')
    .selectAll('r')
    .select('ra.url as artifact_url')
    .where('ca.artifact_id', '=', artifact.pulp_id)
    .execute();
  for (const source of sources) {
    const downloader = new Downloader(source, {
      tempDir: storage.tempDir(),
      checksums: settings.ALLOWED_CONTENT_CHECKSUMS,
    });
    try {
      const result = await downloader.download(
        source.artifact_url,
        { size: Number(artifact.size), digests: { sha256: artifact.sha256 } },
        ctx.signal,
      );
      try {
        // Saving never overwrites (a concurrent save of one digest keeps the first file): drop the bad one first.
        await storage.delete(artifact.file);
        await storage.saveFromFile(result.path, artifact.file);
      } finally {
        await rm(result.path, { force: true });
      }
      return true;
    } catch (err) {
      ctx.signal.throwIfAborted();
      ctx.logger.warn({ err, artifact: artifact.pulp_id, url: source.artifact_url }, 'repair download failed');
    } finally {
      await downloader.close();
    }
  }
  return false;
}

async function checkOne(ctx: TaskContext, artifact: StoredArtifact, verify: boolean, reports: Reports): Promise<void> {
  const { storage } = ctx.services;
  const size = await storage.size(artifact.file);
  let bad: 'missing' | 'corrupted' | null = null;
  if (size === null) bad = 'missing';
  else if (verify && (size !== Number(artifact.size) || (await sha256OfStored(ctx, artifact.file)) !== artifact.sha256))
    bad = 'corrupted';
  if (!bad) return;
  reports[bad].increment();
  if (await redownload(ctx, artifact)) {
    reports.repaired.increment();
    return;
  }
  if (bad === 'corrupted') {
    // A corrupt file must not be served; the row stays, as in Pulp, so a later sync or upload can restore it.
    await storage.delete(artifact.file);
    ctx.logger.warn({ artifact: artifact.pulp_id, file: artifact.file }, 'deleted corrupted artifact file');
  }
}

/**
 * Pulp's repair (`pulpcore.app.tasks.repository._repair_artifacts_for_content`): every stored artifact of the
 * content selected by `contentCondition` (on alias `ca`) is checked for a missing file and, with
 * `verify_checksums`, a wrong size or sha256; a bad one is downloaded again from its remote artifacts, else a
 * corrupt file is deleted. Progress: `repair.missing`, `repair.corrupted`, `repair.repaired`.
 */
export async function repairArtifacts(
  ctx: TaskContext,
  contentCondition: RawBuilder<boolean>,
  verify: boolean,
): Promise<void> {
  const { db } = ctx.services;
  const total = await sql<{ n: number }>`SELECT count(DISTINCT ca.artifact_id)::int AS n FROM content_artifact ca
    WHERE ca.artifact_id IS NOT NULL AND ${contentCondition}`.execute(db);
  const n = total.rows[0]?.n ?? 0;
  const reports: Reports = {
    missing: await ctx.progress('Identify missing units', 'repair.missing', { total: n }),
    corrupted: await ctx.progress('Identify corrupted units', 'repair.corrupted', { total: verify ? n : 0 }),
    repaired: await ctx.progress('Repair corrupted units', 'repair.repaired'),
  };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    ctx.signal.throwIfAborted();
    const batch = await sql<StoredArtifact>`SELECT a.pulp_id, a.file, a.sha256, a.size FROM artifact a
      WHERE a.pulp_id > ${after}::uuid AND EXISTS (SELECT 1 FROM content_artifact ca
        WHERE ca.artifact_id = a.pulp_id AND ${contentCondition})
      ORDER BY a.pulp_id LIMIT ${BATCH}`.execute(db);
    if (batch.rows.length === 0) break;
    after = batch.rows[batch.rows.length - 1]!.pulp_id;
    let next = 0;
    const lane = async () => {
      while (next < batch.rows.length) {
        const artifact = batch.rows[next++]!;
        await checkOne(ctx, artifact, verify, reports);
      }
    };
    await Promise.all(Array.from({ length: REPAIR_CONCURRENCY }, lane));
  }
  await Promise.all([reports.missing.done(), reports.corrupted.done(), reports.repaired.done()]);
}

/** `pulpcore.app.tasks.repository.repair_all_artifacts`. Args: `verify_checksums` (default true). */
export async function repairAllArtifacts(ctx: TaskContext): Promise<null> {
  await repairArtifacts(ctx, sql<boolean>`true`, ctx.args.verify_checksums !== false);
  return null;
}

/** `pulpcore.app.tasks.repository.repair_version`. Args: `repository_pk`, `number`, `verify_checksums`. */
export async function repairVersion(ctx: TaskContext): Promise<null> {
  const repositoryId = String(ctx.args.repository_pk);
  const number = Number(ctx.args.number);
  await repairArtifacts(
    ctx,
    sql<boolean>`EXISTS (SELECT 1 FROM repository_content rc WHERE rc.content_id = ca.content_id
      AND rc.repository_id = ${repositoryId}::uuid AND rc.version_added <= ${number}
      AND (rc.version_removed IS NULL OR rc.version_removed > ${number}))`,
    ctx.args.verify_checksums !== false,
  );
  return null;
}
