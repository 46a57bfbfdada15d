import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';

import { sql } from 'kysely';

import { MultiHasher } from '../../core/checksums.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { ownedTempName } from '../../core/temp-names.js';
import { PULP_VERSION } from '../../core/version.js';
import { createInitialVersion, createRepositoryVersion, versionHref } from '../../plugin-api/repository-versions.js';
import { findResourceType, resourceTypesOf, typedPrn } from '../../plugin-api/resource-types.js';
import type { TaskContext } from '../../plugin-api/tasks.js';
import { allowedPath } from '../../storage/allowed-paths.js';
import { artifactPath } from '../../storage/artifact-path.js';
import { ARTIFACT_FILE, CA_FILE, REPO_FILE, VERSIONS_FILE } from './export-content.js';
import { type ArchiveSource, checkToc, readArchive, readSmallFile } from './import-archive.js';
import { type ContentIds, importContentArtifacts, importContentFile } from './import-content.js';
import { readJsonRows } from './json-rows.js';
import { importHref } from './records.js';

export const PULP_IMPORT_TASK = 'pulpcore.app.tasks.importer.pulp_import';
export const IMPORT_VERSION_TASK = 'pulpcore.app.tasks.importer.import_repository_version';
/** The group progress report the repository version imports advance, one each. */
const REPO_VERSIONS_CODE = 'import.repo.versions';
/** Artifacts of the export already stored here (a resumed import, or content a sync brought). */
export const PRESENT_CODE = 'import.artifacts.present';

const CHECKSUMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
const ARTIFACT_MEMBER = /^artifact\/([0-9a-f]{2})\/([0-9a-f]{62})$/;

async function source(ctx: TaskContext, tarPath: string, tocPath: string | null): Promise<ArchiveSource> {
  const allowed = ctx.services.settings.ALLOWED_IMPORT_PATHS;
  const given = tocPath ?? tarPath;
  if (!(await allowedPath(given, allowed)))
    throw new ValidationError({ [tocPath ? 'toc' : 'path']: [`'${given}' is not an allowed import path`] });
  if (!tocPath) return { files: [tarPath] };
  const progress = await ctx.progress('Validating Chunks', 'validate.chunks');
  const s = await checkToc(tocPath, progress);
  await progress.done();
  return s;
}

/** Pulp's _check_versions: every component of the export installed here, with the same X.Y version. */
async function checkVersions(file: string): Promise<void> {
  let list: unknown;
  const text = await readSmallFile(file);
  try {
    list = JSON.parse(text);
  } catch {
    throw new ValidationError([`Malformed import file ${VERSIONS_FILE}.`]);
  }
  if (!Array.isArray(list)) throw new ValidationError([`Malformed import file ${VERSIONS_FILE}.`]);
  const installed = new Set(['core', ...resourceTypesOf('repository').map((t) => t.pulpType.split('.')[0]!)]);
  const errors: string[] = [];
  for (const c of list as { component?: unknown; version?: unknown }[]) {
    const component = String(c.component);
    if (!installed.has(component)) errors.push(`Export uses ${component} which is not installed.`);
    else if (String(c.version).split('.').slice(0, 2).join('.') !== PULP_VERSION.split('.').slice(0, 2).join('.'))
      errors.push(
        `Export version ${String(c.version)} of ${component} incompatible with installed version ${PULP_VERSION}.`,
      );
  }
  if (errors.length > 0) throw new ValidationError([errors.join(' ')]);
}

interface Staged {
  size: number;
  digests: Record<string, string>;
  /** The staged copy, or null when the artifact is already stored here (only hashed, never copied). */
  file: string | null;
}

/**
 * Whether an artifact is already stored here whole: its row, and its file of the row's size. A resumed
 * import (or one whose artifacts a sync already brought) neither copies nor rewrites those.
 */
async function isStored(ctx: TaskContext, sha256: string, size: number): Promise<boolean> {
  const row = await ctx.services.db
    .selectFrom('artifact')
    .select(['file', 'size'])
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  if (!row || Number(row.size) !== size) return false;
  return (await ctx.services.storage.size(row.file)) === size;
}

/**
 * Reads the whole archive once into `staging`: artifacts (each hashed while copied; its member name must
 * be its own sha256) and the top-level resource files. An artifact already stored here is only hashed, so
 * the archive is checked whole while nothing already imported is copied again. Repository folders are
 * only read through, so that a bad member anywhere refuses the import before the database is touched.
 */
async function stage(ctx: TaskContext, src: ArchiveSource, staging: string): Promise<Map<string, Staged>> {
  const staged = new Map<string, Staged>();
  const checksums = ctx.services.settings.ALLOWED_CONTENT_CHECKSUMS;
  const pending = new Map<string, { hasher: MultiHasher; file: string | null }>();
  await mkdir(path.join(staging, 'artifact'));
  await readArchive(
    src,
    async (name, size) => {
      const m = ARTIFACT_MEMBER.exec(name);
      if (m) {
        const sha256 = `${m[1]}${m[2]}`;
        if (pending.has(sha256)) throw new ValidationError([`Duplicate tar member ${name}.`]);
        const hasher = new MultiHasher(checksums);
        const file = (await isStored(ctx, sha256, size)) ? null : path.join(staging, 'artifact', sha256);
        pending.set(sha256, { hasher, file });
        const hash = new Transform({
          transform(chunk: Buffer, _e, cb) {
            hasher.update(chunk);
            cb(null, chunk);
          },
        });
        return { write: file, hash };
      }
      if (name === ARTIFACT_FILE || name === REPO_FILE || name === VERSIONS_FILE)
        return { write: path.join(staging, name) };
      if (/^repository-[^/]+_\d+\/[^/]+$/.test(name)) return 'skip';
      throw new ValidationError([`Unexpected tar member ${JSON.stringify(name)}.`]);
    },
    ctx.signal,
  );
  for (const [sha256, p] of pending) {
    const d = p.hasher.digest() as Record<string, string>;
    if (d.sha256 !== sha256)
      throw new ValidationError([
        `Artifact artifact/${sha256.slice(0, 2)}/${sha256.slice(2)} does not match its checksum.`,
      ]);
    staged.set(sha256, { size: p.hasher.size, digests: d, file: p.file });
  }
  for (const required of [VERSIONS_FILE, ARTIFACT_FILE, REPO_FILE])
    if (!(await stat(path.join(staging, required)).catch(() => null)))
      throw new ValidationError([`The export has no ${required}.`]);
  return staged;
}

/** Checks the artifact resource rows against what was staged, before any is stored. */
async function checkArtifactRows(staging: string, staged: Map<string, Staged>): Promise<void> {
  for await (const batch of readJsonRows(path.join(staging, ARTIFACT_FILE), ARTIFACT_FILE)) {
    for (const row of batch) {
      const s = staged.get(String(row.sha256));
      if (!s) throw new ValidationError([`Artifact ${String(row.sha256)} is listed but not in the export.`]);
      if (Number(row.size) !== s.size)
        throw new ValidationError([`Artifact ${String(row.sha256)} has the wrong size.`]);
      for (const c of CHECKSUMS)
        if (row[c] && s.digests[c] && row[c] !== s.digests[c])
          throw new ValidationError([`Artifact ${String(row.sha256)} does not match its ${c}.`]);
    }
  }
}

/**
 * Stores the staged artifacts, file first and row second (a crash between leaves a file without a row,
 * which the next run links again, never a row without its file). Each save is a link of a whole staged
 * file, so no artifact is ever half-written. Those already stored count under `import.artifacts.present`.
 */
async function storeArtifacts(ctx: TaskContext, staged: Map<string, Staged>): Promise<void> {
  const { db, storage } = ctx.services;
  const progress = await ctx.progress('Importing Artifacts', 'import.artifacts', { total: staged.size });
  const present = [...staged.values()].filter((s) => s.file === null).length;
  const already = await ctx.progress('Artifacts already present', PRESENT_CODE, { total: present });
  for (const [sha256, s] of staged) {
    ctx.signal.throwIfAborted();
    if (s.file === null) {
      already.increment();
      progress.increment();
      continue;
    }
    const name = artifactPath(sha256);
    // A file of the wrong size at the artifact's name (damaged storage) would be kept by the save: replace it.
    const existing = await storage.size(name);
    if (existing !== null && existing !== s.size) await storage.delete(name);
    await storage.saveFromFile(s.file, name);
    await db
      .insertInto('artifact')
      .values({
        file: name,
        size: s.size,
        sha256,
        md5: s.digests.md5 ?? null,
        sha1: s.digests.sha1 ?? null,
        sha224: s.digests.sha224 ?? null,
        sha384: s.digests.sha384 ?? null,
        sha512: s.digests.sha512 ?? null,
      })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
    progress.increment();
  }
  await already.done();
  await progress.done();
}

async function importGroup(ctx: TaskContext): Promise<string | null> {
  const row = await ctx.services.db
    .selectFrom('task')
    .select('task_group_id')
    .where('pulp_id', '=', ctx.taskId)
    .executeTakeFirst();
  return row?.task_group_id ?? null;
}

/**
 * `pulpcore.app.tasks.importer.pulp_import`. Args: `importer_pk`, `path`, `toc`, `create_repositories`.
 * Validates the chunks (toc), stages and checks the whole archive, stores the artifacts not already stored
 * (so running an interrupted import again resumes it: stored artifacts are kept, units found by their natural
 * key are reused, and a version with the same content is not created twice), then dispatches one
 * `import_repository_version` per exported repository into the task group (exclusive on the destination
 * repository and an `import-worker-<n>` slot, as Pulp limits import parallelism).
 */
export async function pulpImport(ctx: TaskContext): Promise<null> {
  const { db, storage, apiPrefix } = ctx.services;
  const importerId = String(ctx.args.importer_pk);
  const group = await importGroup(ctx);
  try {
    const importer = await db
      .selectFrom('importer')
      .select(['pulp_id', 'repo_mapping'])
      .where('pulp_id', '=', importerId)
      .executeTakeFirst();
    if (!importer) throw new NotFoundError('No PulpImporter matches the given query.');
    const toc = (ctx.args.toc as string | null | undefined) || null;
    const tarPath = toc ?? String(ctx.args.path);
    const src = await source(ctx, tarPath, toc);
    const imp = await db
      .insertInto('import')
      .values({ importer_id: importerId, task_id: ctx.taskId, params: JSON.stringify({ path: tarPath }) })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await ctx.addCreatedResource(importHref(apiPrefix, importerId, imp.pulp_id));
    const staging = path.join(storage.tempDir(), ownedTempName('import'));
    await mkdir(staging, { recursive: true });
    try {
      const staged = await stage(ctx, src, staging);
      await checkVersions(path.join(staging, VERSIONS_FILE));
      await checkArtifactRows(staging, staged);
      const repos: Record<string, unknown>[] = [];
      for await (const batch of readJsonRows(path.join(staging, REPO_FILE), REPO_FILE)) repos.push(...batch);
      for (const r of repos)
        if (typeof r.name !== 'string' || !findResourceType('repository', String(r.pulp_type)))
          throw new ValidationError([`Repository ${String(r.name)} has an unknown type ${String(r.pulp_type)}.`]);
      await storeArtifacts(ctx, staged);
      const workers = await sql<{ n: number }>`SELECT count(*)::int AS n FROM app_status
        WHERE app_type = 'worker' AND stopped_at IS NULL`.execute(db);
      const slots = Math.max(1, workers.rows[0]?.n ?? 1);
      if (group)
        await db
          .insertInto('group_progress_report')
          .values({
            task_group_id: group,
            message: 'Importing repository versions',
            code: REPO_VERSIONS_CODE,
            total: repos.length,
          })
          .onConflict((oc) => oc.columns(['task_group_id', 'code']).doUpdateSet({ total: repos.length, done: 0 }))
          .execute();
      for (const [index, r] of repos.entries()) {
        const destName = importer.repo_mapping[String(r.name)] ?? String(r.name);
        const dest = await db
          .selectFrom('repository')
          .select(['pulp_id', 'pulp_type'])
          .where('name', '=', destName)
          .executeTakeFirst();
        if (!dest && !ctx.args.create_repositories) {
          ctx.logger.warn({ repository: r.name }, 'Could not find destination repo; skipping');
          continue;
        }
        await ctx.dispatch(
          IMPORT_VERSION_TASK,
          {
            importer_pk: importerId,
            src_repo_name: r.name,
            src_repo_type: r.pulp_type,
            dest_repo_name: destName,
            dest_repo_pk: dest?.pulp_id ?? '',
            tar_path: tarPath,
            toc_path: toc,
          },
          {
            exclusiveResources: [
              `import-worker-${index % slots}`,
              ...(dest ? [typedPrn(dest.pulp_type, 'repository', dest.pulp_id)] : []),
            ],
            taskGroup: group,
          },
        );
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  } finally {
    if (group)
      await db.updateTable('task_group').set({ all_tasks_dispatched: true }).where('pulp_id', '=', group).execute();
  }
  return null;
}

/**
 * `pulpcore.app.tasks.importer.import_repository_version`. Reads the archive again for the folder of its
 * repository (`repository-<name>_<n>/`), creates the destination repository when asked to, imports the
 * content and its artifacts, and makes the destination's new version hold exactly the exported content.
 */
export async function importRepositoryVersion(ctx: TaskContext): Promise<null> {
  const { db, storage, apiPrefix } = ctx.services;
  const srcName = String(ctx.args.src_repo_name);
  const toc = (ctx.args.toc_path as string | null | undefined) || null;
  const src = await source(ctx, String(ctx.args.tar_path), toc);
  const progress = await ctx.progress(
    `Importing content for ${String(ctx.args.dest_repo_name)}`,
    'import.repo.version.content',
  );
  const staging = path.join(storage.tempDir(), ownedTempName('import'));
  await mkdir(staging, { recursive: true });
  try {
    const prefix = `repository-${srcName}_`;
    let folder: string | null = null;
    await readArchive(
      src,
      async (name) => {
        if (name === REPO_FILE) return { write: path.join(staging, REPO_FILE) };
        const slash = name.indexOf('/');
        const top = slash < 0 ? name : name.slice(0, slash);
        if (!name.startsWith(prefix) || !/^\d+$/.test(top.slice(prefix.length)) || slash < 0) return 'skip';
        if (folder !== top) {
          folder = top;
          await rm(path.join(staging, 'version'), { recursive: true, force: true });
          await mkdir(path.join(staging, 'version'));
        }
        return { write: path.join(staging, 'version', name.slice(slash + 1)) };
      },
      ctx.signal,
    );
    if (!folder) throw new ValidationError([`No RepositoryVersion found for ${srcName}`]);
    let destId = (ctx.args.dest_repo_pk as string | undefined) ?? '';
    if (!destId) destId = await createDestination(ctx, staging, srcName, String(ctx.args.dest_repo_name));
    const ids: ContentIds = new Map();
    for (const type of resourceTypesOf('content')) {
      if (!type.exportable) continue;
      const file = path.join(staging, 'version', `${type.exportable.resourceName}.json`);
      if (!(await stat(file).catch(() => null))) continue;
      await importContentFile(db, type.pulpType, type.exportable, file, ids);
    }
    await importContentArtifacts(db, path.join(staging, 'version', CA_FILE), ids);
    const version = await createRepositoryVersion(
      db,
      destId,
      { removeAll: true, add: [...new Set(ids.values())] },
      { apiPrefix },
    );
    if (version) await ctx.addCreatedResource(version.href);
    progress.setTotal(ids.size);
    progress.increment(ids.size);
    await progress.done();
    await sql`UPDATE group_progress_report SET done = done + 1, pulp_last_updated = clock_timestamp()
      WHERE code = ${REPO_VERSIONS_CODE}
        AND task_group_id = (SELECT task_group_id FROM task WHERE pulp_id = ${ctx.taskId})`.execute(db);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return null;
}

/** A repository of the exported type and fields under the destination name (create_repositories). */
async function createDestination(
  ctx: TaskContext,
  staging: string,
  srcName: string,
  destName: string,
): Promise<string> {
  const { db, apiPrefix } = ctx.services;
  let row: Record<string, unknown> | undefined;
  for await (const batch of readJsonRows(path.join(staging, REPO_FILE), REPO_FILE)) {
    row = batch.find((r) => r.name === srcName) ?? row;
  }
  if (!row) throw new ValidationError([`Repository ${srcName} is not described in the export.`]);
  const pulpType = String(row.pulp_type);
  if (!findResourceType('repository', pulpType)) throw new ValidationError([`Unknown repository type ${pulpType}.`]);
  const id = await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('repository')
      .select('pulp_id')
      .where('name', '=', destName)
      .executeTakeFirst();
    if (existing) return existing.pulp_id;
    const r = await trx
      .insertInto('repository')
      .values({
        pulp_type: pulpType,
        name: destName,
        description: typeof row.description === 'string' ? row.description : null,
        retain_repo_versions: typeof row.retain_repo_versions === 'number' ? row.retain_repo_versions : null,
        detail: JSON.stringify(row.detail && typeof row.detail === 'object' ? row.detail : {}),
      })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await createInitialVersion(trx, r.pulp_id);
    return r.pulp_id;
  });
  await ctx.addCreatedResource(versionHref(apiPrefix, pulpType, id, 0).replace(/versions\/0\/$/, ''));
  return id;
}
