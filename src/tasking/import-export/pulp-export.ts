import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

import { sql } from 'kysely';
import tarStream from 'tar-stream';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { ownedTempName } from '../../core/temp-names.js';
import { PULP_VERSION } from '../../core/version.js';
import type { TaskContext } from '../../plugin-api/tasks.js';
import { allowedPath } from '../../storage/allowed-paths.js';
import { ChunkedHashingWriter } from './chunked-writer.js';
import {
  ARTIFACT_FILE,
  checkExportable,
  type ExportedVersion,
  REPO_FILE,
  versionArtifactIds,
  versionContentCount,
  versionFolder,
  VERSIONS_FILE,
  writeVersionResources,
} from './export-content.js';
import { JsonRowsWriter } from './json-rows.js';
import { exportHref, PULP_EXPORTER } from './records.js';

export const PULP_EXPORT_TASK = 'pulpcore.app.tasks.export.pulp_export';

const BATCH = 1000;

/** `export-<uuid>-<YYYYmmdd_HHMM>.tar` in the exporter's path (PulpExport.export_tarfile_path, UTC). */
function tarfilePath(dir: string, id: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}_${p(now.getUTCHours())}${p(now.getUTCMinutes())}`;
  return path.normalize(`${dir}/export-${id}-${stamp}.tar`);
}

async function versionsOf(ctx: TaskContext, ids: string[]): Promise<ExportedVersion[]> {
  if (ids.length === 0) return [];
  const rows = await ctx.services.db
    .selectFrom('repository_version as v')
    .innerJoin('repository as r', 'r.pulp_id', 'v.repository_id')
    .select(['v.pulp_id', 'v.repository_id', 'r.name', 'r.pulp_type', 'v.number'])
    .where('v.pulp_id', 'in', ids)
    .execute();
  return rows.map((r) => ({
    versionId: r.pulp_id,
    repositoryId: r.repository_id,
    repositoryName: r.name,
    repositoryType: r.pulp_type,
    number: r.number,
  }));
}

/** The latest complete version of each of the exporter's repositories (Pulp's default `versions`). */
async function latestVersions(ctx: TaskContext, exporterId: string): Promise<string[]> {
  const rows = await sql<{ pulp_id: string }>`SELECT DISTINCT ON (v.repository_id) v.pulp_id::text
    FROM exporter_repository er JOIN repository_version v ON v.repository_id = er.repository_id AND v.complete
    WHERE er.exporter_id = ${exporterId}::uuid ORDER BY v.repository_id, v.number DESC`.execute(ctx.services.db);
  return rows.rows.map((r) => r.pulp_id);
}

/** Adds a file entry whose bytes come from a stream of known size; waits until the tar has taken them. */
async function addEntry(pack: tarStream.Pack, name: string, size: number, source: Readable): Promise<void> {
  const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date(), type: 'file' });
  await pipeline(source, entry);
}

async function addLocalFile(pack: tarStream.Pack, name: string, file: string): Promise<void> {
  const { size } = await stat(file);
  await addEntry(pack, name, size, createReadStream(file));
}

async function addJson(pack: tarStream.Pack, name: string, value: unknown): Promise<void> {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  await new Promise<void>((resolve, reject) => {
    pack.entry({ name, size: body.length, mode: 0o644, mtime: new Date() }, body, (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

interface Plan {
  exporter: { pulp_id: string; name: string; path: string; last_export_id: string | null };
  ending: ExportedVersion[];
  starting: Map<string, ExportedVersion> | null;
}

async function plan(ctx: TaskContext): Promise<Plan> {
  const { db } = ctx.services;
  const exporterId = String(ctx.args.exporter_pk);
  const exporter = await db
    .selectFrom('exporter')
    .select(['pulp_id', 'name', 'path', 'last_export_id'])
    .where('pulp_id', '=', exporterId)
    .where('pulp_type', '=', PULP_EXPORTER)
    .executeTakeFirst();
  if (!exporter) throw new NotFoundError('No PulpExporter matches the given query.');
  const given = ctx.args.versions as string[] | undefined;
  const ending = await versionsOf(ctx, given ?? (await latestVersions(ctx, exporterId)));
  const params = (ctx.args.params ?? {}) as Record<string, unknown>;
  const full = params.full === undefined ? true : params.full === true || params.full === 'true';
  const startIds = (ctx.args.start_versions as string[] | undefined) ?? [];
  let starting: Map<string, ExportedVersion> | null = null;
  if (!full && (startIds.length > 0 || exporter.last_export_id)) {
    const ids =
      startIds.length > 0
        ? startIds
        : (
            await db
              .selectFrom('exported_resource')
              .select('repository_version_id')
              .where('export_id', '=', exporter.last_export_id!)
              .where('repository_version_id', 'is not', null)
              .execute()
          ).map((r) => r.repository_version_id!);
    starting = new Map((await versionsOf(ctx, ids)).map((v) => [v.repositoryId, v]));
  }
  for (const v of ending) await checkExportable(db, v);
  return { exporter, ending, starting };
}

/**
 * Fills a temporary table with the artifacts to export: every artifact of the ending versions, minus (for
 * an incremental export) those of the matching starting version of the same repository. One connection, so
 * the table is visible to the pages read after it.
 */
interface ArtifactRow {
  pulp_id: string;
  file: string;
  size: string;
  md5: string | null;
  sha1: string | null;
  sha224: string | null;
  sha256: string;
  sha384: string | null;
  sha512: string | null;
}
type ArtifactPage = (after: string) => Promise<ArtifactRow[]>;

interface ArtifactSet {
  page: ArtifactPage;
  count: number;
  size: number;
}

async function withArtifactSet<T>(ctx: TaskContext, p: Plan, fn: (set: ArtifactSet) => Promise<T>): Promise<T> {
  return ctx.services.db.connection().execute(async (conn) => {
    await sql`CREATE TEMP TABLE IF NOT EXISTS pulp_export_artifact (artifact_id uuid PRIMARY KEY)`.execute(conn);
    await sql`TRUNCATE pulp_export_artifact`.execute(conn);
    try {
      for (const v of p.ending) {
        const start = p.starting?.get(v.repositoryId);
        const chosen = start
          ? sql`${versionArtifactIds(v)} EXCEPT ${versionArtifactIds(start)}`
          : versionArtifactIds(v);
        await sql`INSERT INTO pulp_export_artifact ${chosen} ON CONFLICT DO NOTHING`.execute(conn);
      }
      const totals = await sql<{ n: number; size: string }>`SELECT count(*)::int AS n,
        coalesce(sum(a.size), 0)::text AS size FROM pulp_export_artifact x JOIN artifact a ON a.pulp_id = x.artifact_id`.execute(
        conn,
      );
      const page: ArtifactPage = async (after) => {
        const r = await sql<ArtifactRow>`SELECT a.pulp_id::text, a.file, a.size::text, a.md5, a.sha1, a.sha224,
          a.sha256, a.sha384, a.sha512 FROM pulp_export_artifact x JOIN artifact a ON a.pulp_id = x.artifact_id
          WHERE a.pulp_id > ${after}::uuid ORDER BY a.pulp_id LIMIT ${BATCH}`.execute(conn);
        return r.rows;
      };
      return await fn({ page, count: totals.rows[0]?.n ?? 0, size: Number(totals.rows[0]?.size ?? 0) });
    } finally {
      await sql`DROP TABLE IF EXISTS pulp_export_artifact`.execute(conn);
    }
  });
}

/** Writes the whole export into the tar stream, in Pulp's layout (pulpcore/app/importexport.py). */
async function writeExport(ctx: TaskContext, p: Plan, pack: tarStream.Pack, staging: string): Promise<void> {
  const { db, storage } = ctx.services;
  const repoTypes = [...new Set(p.ending.map((v) => v.repositoryType.split('.')[0]!))];
  await addJson(pack, VERSIONS_FILE, [
    { component: 'core', version: PULP_VERSION },
    ...repoTypes.filter((c) => c !== 'core').map((component) => ({ component, version: PULP_VERSION })),
  ]);
  await withArtifactSet(ctx, p, async ({ page, count }) => {
    const progress = await ctx.progress('Exporting Artifacts', 'export.artifacts', { total: count });
    const resource = new JsonRowsWriter(path.join(staging, ARTIFACT_FILE));
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await page(after);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.pulp_id;
      for (const a of rows) {
        ctx.signal.throwIfAborted();
        await addEntry(pack, a.file, Number(a.size), storage.createReadStream(a.file));
        progress.increment();
      }
      await resource.write(rows.map(({ pulp_id: _id, ...a }) => ({ ...a, size: Number(a.size) })));
    }
    await resource.close();
    await progress.done();
    await addLocalFile(pack, ARTIFACT_FILE, resource.path);
  });
  const repos = new JsonRowsWriter(path.join(staging, REPO_FILE));
  const rows = await db
    .selectFrom('exporter_repository as er')
    .innerJoin('repository as r', 'r.pulp_id', 'er.repository_id')
    .select(['r.name', 'r.pulp_type', 'r.description', 'r.retain_repo_versions', 'r.user_hidden', 'r.detail'])
    .where('er.exporter_id', '=', p.exporter.pulp_id)
    .orderBy('r.name')
    .execute();
  await repos.write(rows);
  await repos.close();
  await addLocalFile(pack, REPO_FILE, repos.path);
  for (const v of p.ending) {
    const folder = versionFolder(v.repositoryName, v.number);
    const dir = path.join(staging, folder);
    await mkdir(dir);
    for (const name of await writeVersionResources(db, v, dir)) {
      await addLocalFile(pack, `${folder}/${name}`, path.join(dir, name));
    }
    const n = await versionContentCount(db, v);
    const progress = await ctx.progress(
      `Exporting content for ${v.repositoryType.split('.')[0]} repository-version ${v.repositoryName}/${v.number}`,
      'export.repo.version.content',
      { total: n },
    );
    progress.increment(n);
    await progress.done();
  }
}

async function removeOutputs(dir: string, base: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (n === base || n.startsWith(`${base}.`)) await rm(path.join(dir, n), { force: true });
}

async function dryRun(ctx: TaskContext, p: Plan): Promise<Record<string, unknown>> {
  return withArtifactSet(ctx, p, async ({ count, size }) => {
    const progress = await ctx.progress('Exporting Artifacts', 'export.artifacts', { total: count });
    await progress.done('skipped');
    return {
      dry_run: true,
      artifacts: count,
      artifacts_size: size,
      repository_versions: p.ending.map((v) => ({ repository: v.repositoryName, number: v.number })),
    };
  });
}

/**
 * `pulpcore.app.tasks.export.pulp_export`. Args: `exporter_pk`, `params` (the request as sent), and what
 * the API resolved from it: `versions`, `start_versions` (version ids) and `chunk_size` (bytes). Streams the
 * tar through a crc32-hashing chunk writer (memory stays flat whatever the export's size), then writes the
 * `-toc.json` beside it. A failed export removes its files and never becomes the exporter's `last_export`.
 */
export async function pulpExport(ctx: TaskContext): Promise<unknown> {
  const { db, settings } = ctx.services;
  const p = await plan(ctx);
  if (!(await allowedPath(p.exporter.path, settings.ALLOWED_EXPORT_PATHS)))
    throw new ValidationError({ path: [`Path '${p.exporter.path}' is not an allowed export path`] });
  const params = (ctx.args.params ?? {}) as Record<string, unknown>;
  if (params.dry_run === true || params.dry_run === 'true') return dryRun(ctx, p);
  const chunkSize = Number(ctx.args.chunk_size ?? 0);
  const exp = await db
    .insertInto('export')
    .values({ exporter_id: p.exporter.pulp_id, task_id: ctx.taskId, params: JSON.stringify(params) })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  await ctx.addCreatedResource(exportHref(ctx.services.apiPrefix, PULP_EXPORTER, p.exporter.pulp_id, exp.pulp_id));
  const tarPath = tarfilePath(p.exporter.path, exp.pulp_id);
  await mkdir(p.exporter.path, { recursive: true, mode: 0o775 });
  const staging = path.join(ctx.services.storage.tempDir(), ownedTempName('export'));
  await mkdir(staging, { recursive: true });
  const writer = new ChunkedHashingWriter(tarPath, chunkSize);
  try {
    const pack = tarStream.pack();
    const written = pipeline(pack, writer);
    try {
      await writeExport(ctx, p, pack, staging);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
      await written.catch(() => undefined);
      throw err;
    }
    await written;
  } catch (err) {
    await removeOutputs(path.dirname(tarPath), path.basename(tarPath));
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const files = Object.fromEntries(writer.results);
  const tocPath = tarPath.replace(/\.tar$/, '-toc.json');
  const toc = {
    meta: { checksum_type: 'crc32', ...(chunkSize > 0 ? { chunk_size: chunkSize } : {}) },
    files: Object.fromEntries([...writer.results].map(([f, crc]) => [path.basename(f), crc])),
  };
  await writeFile(tocPath, JSON.stringify(toc));
  const tocHash = createHash('sha256').update(JSON.stringify(toc)).digest('hex');
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('export')
      .set({
        output_file_info: JSON.stringify({ ...files, [tocPath]: tocHash }),
        toc_info: JSON.stringify({ file: tocPath, sha256: tocHash }),
        pulp_last_updated: sql<string>`clock_timestamp()`,
      })
      .where('pulp_id', '=', exp.pulp_id)
      .execute();
    if (p.ending.length > 0)
      await trx
        .insertInto('exported_resource')
        .values(p.ending.map((v) => ({ export_id: exp.pulp_id, repository_version_id: v.versionId })))
        .execute();
    await trx
      .updateTable('exporter')
      .set({ last_export_id: exp.pulp_id, pulp_last_updated: sql<string>`clock_timestamp()` })
      .where('pulp_id', '=', p.exporter.pulp_id)
      .execute();
  });
  return null;
}
