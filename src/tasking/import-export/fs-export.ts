import { copyFile, link, lstat, mkdir, readdir, rm, stat, symlink } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import { type RawBuilder, sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { relativePathProblem } from '../../core/safe-path.js';
import type { TaskContext } from '../../plugin-api/tasks.js';
import { allowedPath } from '../../storage/allowed-paths.js';
import { exportHref, FILESYSTEM_EXPORTER } from './records.js';

export const FS_PUBLICATION_EXPORT_TASK = 'pulpcore.app.tasks.export.fs_publication_export';
export const FS_REPO_VERSION_EXPORT_TASK = 'pulpcore.app.tasks.export.fs_repo_version_export';

const BATCH = 1000;

interface Exporter {
  pulp_id: string;
  path: string;
  method: 'write' | 'hardlink' | 'symlink';
}

interface Placement {
  relative_path: string;
  file: string | null;
  key: string;
}

async function loadExporter(ctx: TaskContext): Promise<Exporter> {
  const row = await ctx.services.db
    .selectFrom('exporter')
    .select(['pulp_id', 'path', 'method'])
    .where('pulp_id', '=', String(ctx.args.exporter_pk))
    .where('pulp_type', '=', FILESYSTEM_EXPORTER)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No FilesystemExporter matches the given query.');
  if (!(await allowedPath(row.path, ctx.services.settings.ALLOWED_EXPORT_PATHS)))
    throw new ValidationError({ path: [`Path '${row.path}' is not an allowed export path`] });
  return row;
}

/** Pulp's _export_location_is_clean: a missing directory or an empty one. */
async function isClean(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => null);
  if (!info) return true;
  if (!info.isDirectory()) return false;
  return (await readdir(dir)).length === 0;
}

async function recordExport(
  ctx: TaskContext,
  exporter: Exporter,
  params: Record<string, unknown>,
  resource: { repository_version_id?: string; publication_id?: string },
): Promise<void> {
  const id = await ctx.services.db.transaction().execute(async (trx) => {
    const exp = await trx
      .insertInto('export')
      .values({ exporter_id: exporter.pulp_id, task_id: ctx.taskId, params: JSON.stringify(params) })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('exported_resource')
      .values({
        export_id: exp.pulp_id,
        repository_version_id: resource.repository_version_id ?? null,
        publication_id: resource.publication_id ?? null,
      })
      .execute();
    return exp.pulp_id;
  });
  await ctx.addCreatedResource(exportHref(ctx.services.apiPrefix, FILESYSTEM_EXPORTER, exporter.pulp_id, id));
}

async function placeOne(ctx: TaskContext, exporter: Exporter, method: Exporter['method'], p: Placement, file: string) {
  const problem = relativePathProblem(p.relative_path);
  if (problem) throw new ValidationError({ relative_path: [`${problem} Got ${JSON.stringify(p.relative_path)}.`] });
  const dest = path.join(exporter.path, p.relative_path);
  await mkdir(path.dirname(dest), { recursive: true });
  const { storage } = ctx.services;
  const src = storage.localPath(file);
  if (method !== 'write') {
    if (!src) throw new ValidationError(['Only write is supported for non-filesystem storage.']);
    if (await lstat(dest).catch(() => null)) await rm(dest, { force: true });
    if (method === 'symlink') await symlink(src, dest);
    else await link(src, dest);
    return;
  }
  if (src) await copyFile(src, dest);
  else await pipeline(storage.createReadStream(file), createWriteStream(dest), { signal: ctx.signal });
}

/**
 * Places the files selected by `query` (pages of {relative_path, file, key}) below the exporter's path with
 * its method. A hard link across file systems falls back to a copy, as in Pulp. A file without an artifact
 * (on-demand content) fails the export: "Cannot export artifacts that haven't been downloaded."
 */
async function exportFiles(
  ctx: TaskContext,
  exporter: Exporter,
  query: (after: string) => RawBuilder<Placement>,
): Promise<void> {
  if (!(await isClean(exporter.path)))
    throw new ValidationError(['Cannot export to directories that contain existing data.']);
  const { db, storage } = ctx.services;
  await mkdir(exporter.path, { recursive: true });
  let method = exporter.method;
  if (method === 'hardlink') {
    const media = storage.localPath('artifact');
    const [a, b] = await Promise.all([stat(exporter.path), media ? stat(path.dirname(media)) : null]);
    if (b && a.dev !== b.dev) {
      ctx.logger.info('Hard link cannot be created, file will be copied.');
      method = 'write';
    }
  }
  const progress = await ctx.progress('Exporting files', 'export.files');
  let after = '';
  for (;;) {
    const page = await query(after).execute(db);
    if (page.rows.length === 0) break;
    after = page.rows[page.rows.length - 1]!.key;
    for (const p of page.rows) {
      ctx.signal.throwIfAborted();
      if (!p.file) throw new ValidationError(["Cannot export artifacts that haven't been downloaded."]);
      await placeOne(ctx, exporter, method, p, p.file);
      progress.increment();
    }
  }
  await progress.done();
}

/** SQL: artifact ids of a version (to skip what the start version already had). */
const artifactsOfVersion = (versionId: string) => sql`SELECT ca.artifact_id FROM repository_version v
  JOIN repository_content rc ON rc.repository_id = v.repository_id AND rc.version_added <= v.number
    AND (rc.version_removed IS NULL OR rc.version_removed > v.number)
  JOIN content_artifact ca ON ca.content_id = rc.content_id
  WHERE v.pulp_id = ${versionId}::uuid AND ca.artifact_id IS NOT NULL`;

function startFilter(start: string | null): RawBuilder<boolean> {
  return start
    ? sql<boolean>`(ca.artifact_id IS NULL OR ca.artifact_id NOT IN (${artifactsOfVersion(start)}))`
    : sql<boolean>`true`;
}

/** `pulpcore.app.tasks.export.fs_repo_version_export`: `exporter_pk`, `repo_version_pk`, `start_repo_version_pk`. */
export async function fsRepoVersionExport(ctx: TaskContext): Promise<null> {
  const exporter = await loadExporter(ctx);
  const versionId = String(ctx.args.repo_version_pk);
  const start = (ctx.args.start_repo_version_pk as string | null | undefined) ?? null;
  await recordExport(
    ctx,
    exporter,
    { repository_version: versionId, ...(start ? { start_repository_version: start } : {}) },
    { repository_version_id: versionId },
  );
  await exportFiles(
    ctx,
    exporter,
    (after) => sql<Placement>`SELECT ca.relative_path, a.file, ca.pulp_id::text AS key
      FROM repository_version v
      JOIN repository_content rc ON rc.repository_id = v.repository_id AND rc.version_added <= v.number
        AND (rc.version_removed IS NULL OR rc.version_removed > v.number)
      JOIN content_artifact ca ON ca.content_id = rc.content_id
      LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
      WHERE v.pulp_id = ${versionId}::uuid AND ${startFilter(start)} AND ca.pulp_id::text > ${after}
      ORDER BY ca.pulp_id::text LIMIT ${BATCH}`,
  );
  return null;
}

/**
 * `pulpcore.app.tasks.export.fs_publication_export`: `exporter_pk`, `publication_pk`, `start_repo_version_pk`.
 * The published artifacts and metadata at their published paths (a pass-through publication adds its
 * version's content artifacts); with a start version, only what it did not have (metadata always).
 */
export async function fsPublicationExport(ctx: TaskContext): Promise<null> {
  const exporter = await loadExporter(ctx);
  const publicationId = String(ctx.args.publication_pk);
  const start = (ctx.args.start_repo_version_pk as string | null | undefined) ?? null;
  const pub = await ctx.services.db
    .selectFrom('publication')
    .select(['pulp_id', 'pass_through', 'repository_version_id'])
    .where('pulp_id', '=', publicationId)
    .executeTakeFirst();
  if (!pub) throw new NotFoundError('No Publication matches the given query.');
  await recordExport(
    ctx,
    exporter,
    { publication: publicationId, ...(start ? { start_repository_version: start } : {}) },
    { publication_id: publicationId },
  );
  const passThrough = pub.pass_through
    ? sql`UNION ALL SELECT ca.relative_path, a.file, 'c' || ca.pulp_id::text AS key FROM repository_version v
        JOIN repository_content rc ON rc.repository_id = v.repository_id AND rc.version_added <= v.number
          AND (rc.version_removed IS NULL OR rc.version_removed > v.number)
        JOIN content_artifact ca ON ca.content_id = rc.content_id
        LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
        WHERE v.pulp_id = ${pub.repository_version_id}::uuid AND ${startFilter(start)}
          AND NOT EXISTS (SELECT 1 FROM published_artifact pa WHERE pa.publication_id = ${publicationId}::uuid
            AND pa.relative_path = ca.relative_path)`
    : sql``;
  await exportFiles(
    ctx,
    exporter,
    (after) => sql<Placement>`SELECT * FROM (
        SELECT pa.relative_path, a.file, 'a' || pa.pulp_id::text AS key FROM published_artifact pa
        JOIN content_artifact ca ON ca.pulp_id = pa.content_artifact_id
        LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
        WHERE pa.publication_id = ${publicationId}::uuid AND ${startFilter(start)}
        UNION ALL SELECT pm.relative_path, a.file, 'm' || pm.pulp_id::text AS key FROM published_metadata pm
        JOIN artifact a ON a.pulp_id = pm.artifact_id WHERE pm.publication_id = ${publicationId}::uuid
        ${passThrough}
      ) files WHERE key > ${after} ORDER BY key LIMIT ${BATCH}`,
  );
  return null;
}
