import { rm } from 'node:fs/promises';

import {
  createRepositoryVersion,
  Downloader,
  latestVersionNumber,
  PulpError,
  runSyncPipeline,
  selectRepositoryVersions,
  serializeRepositoryVersion,
  type DeclarativeContent,
  type DownloadResult,
  type TaskContext,
} from '../../plugin-api/index.js';
import { type AcsSources, loadAcsSources } from './acs-sources.js';
import { fileContentAdapter, type FileUnit } from './content-adapter.js';
import { finalizeFileVersion } from './finalize.js';
import { entryUrl, ManifestError, readManifest, validateManifest } from './manifest.js';
import { publishVersion } from './publish.js';
import { shouldSkipSync, type SyncDetails } from './sync-optimization.js';

export class SyncError extends PulpError {}

export interface SyncArgs {
  remote_pk: string;
  repository_pk: string;
  mirror?: boolean;
  optimize?: boolean;
  /** The manifest to sync instead of the remote's URL (an ACS refresh syncs each path's listing). */
  url?: string | null;
}

/** Test hook: shorter retry backoff. Settings cannot carry it (Pulp has no such setting). */
export const syncTuning = { retryBaseMs: 1000 };

/**
 * `pulp_file.app.tasks.synchronizing.synchronize`: fetch the remote's PULP_MANIFEST, validate every line,
 * run the pipeline (immediate downloads, or remote artifacts only for on_demand/streamed), create the new
 * version (mirror: exactly the manifest's units) and, for mirror, a publication serving the upstream manifest
 * as is; autopublish publishes any new version. Any failure leaves no version and no temporary file.
 */
export async function synchronize(ctx: TaskContext): Promise<unknown> {
  const args = ctx.args as unknown as SyncArgs;
  const { db, storage, settings, apiPrefix } = ctx.services;
  const remote = await db.selectFrom('remote').selectAll().where('pulp_id', '=', args.remote_pk).executeTakeFirst();
  if (!remote) throw new SyncError('The remote no longer exists.');
  const repo = await db
    .selectFrom('repository')
    .selectAll()
    .where('pulp_id', '=', args.repository_pk)
    .executeTakeFirst();
  if (!repo) throw new SyncError('The repository no longer exists.');
  if (!remote.url) throw new SyncError('A remote must have a url specified to synchronize.');
  const url = args.url || remote.url;
  const mirror = args.mirror === true;
  const deferred = remote.policy !== 'immediate';
  const downloader = new Downloader(remote, {
    tempDir: storage.tempDir(),
    checksums: settings.ALLOWED_CONTENT_CHECKSUMS,
    retryBaseMs: syncTuning.retryBaseMs,
  });
  let manifest: DownloadResult | null = null;
  let acs: AcsSources | null = null;
  try {
    const metadata = await ctx.progress('Downloading Metadata Files', 'sync.downloading.metadata');
    manifest = await downloader.download(url, {}, ctx.signal);
    metadata.increment();
    await metadata.done();

    const latest = (await latestVersionNumber(db, repo.pulp_id)) ?? 0;
    const details: SyncDetails = {
      remote_pk: remote.pulp_id,
      url,
      download_policy: remote.policy,
      mirror,
      most_recent_version: latest,
      manifest_checksum: manifest.digests.sha256,
    };
    const previous = (repo.detail as { last_sync_details?: SyncDetails }).last_sync_details;
    if (args.optimize !== false && (await shouldSkipSync(db, repo.pulp_id, previous, details))) {
      const skipped = await ctx.progress('Skipping Sync (no change from previous sync)', 'sync.was_skipped', {
        total: 1,
      });
      skipped.increment();
      await skipped.done();
      return null;
    }

    let total: number;
    try {
      total = await validateManifest(manifest.path);
    } catch (err) {
      if (err instanceof ManifestError) throw new SyncError(`${err.message} (manifest ${url})`, { cause: err });
      throw err;
    }
    const parsing = await ctx.progress('Parsing Metadata Lines', 'sync.parsing.metadata', { total });
    const downloading = await ctx.progress('Downloading Artifacts', 'sync.downloading.artifacts');
    const associating = await ctx.progress('Associating Content', 'associating.content');
    const manifestPath = manifest.path;
    const remoteUrl = url;
    async function* declarative(): AsyncGenerator<DeclarativeContent<FileUnit>> {
      for await (const entry of readManifest(manifestPath)) {
        parsing.increment();
        yield {
          unit: { relativePath: entry.relativePath, digest: entry.digest },
          artifact: {
            url: entryUrl(remoteUrl, entry.relativePath),
            relativePath: entry.relativePath,
            size: entry.size,
            digests: { sha256: entry.digest },
            deferred,
          },
        };
      }
    }
    // Files to download may come from an alternate content source first (nothing to download when deferred).
    if (!deferred) acs = await loadAcsSources(ctx.services, { retryBaseMs: syncTuning.retryBaseMs });
    const pipelineStart = performance.now();
    // Ids only (about 40 bytes each): 100,000 units stay a few MB while the units themselves stream.
    const seen = new Set<string>();
    await runSyncPipeline(declarative(), {
      db,
      storage,
      downloader,
      adapter: fileContentAdapter,
      remoteId: remote.pulp_id,
      checksums: settings.ALLOWED_CONTENT_CHECKSUMS,
      signal: ctx.signal,
      onDownloaded: () => downloading.increment(),
      alternateSources: acs ? (shas) => acs!.lookup(shas) : undefined,
      onAlternateFailed: (failedUrl, err) =>
        ctx.logger.warn(
          { url: failedUrl, err: err instanceof Error ? err.message : String(err) },
          'alternate content source download failed, using the remote',
        ),
      onContent: (ids) => {
        for (const id of ids) seen.add(id);
      },
    });
    await parsing.done();
    await downloading.done();
    const versionStart = performance.now();

    const version = await createRepositoryVersion(
      db,
      repo.pulp_id,
      mirror ? { add: [...seen], removeAll: true } : { add: [...seen] },
      // Every unit comes from this pipeline as file.file, so no content-type check (it would bind 100,000 ids).
      { finalize: finalizeFileVersion, apiPrefix },
    );
    ctx.logger.info(
      {
        units: seen.size,
        pipelineMs: Math.round(versionStart - pipelineStart),
        versionMs: Math.round(performance.now() - versionStart),
      },
      'sync pipeline finished',
    );
    associating.increment(version ? await addedCount(ctx, repo.pulp_id, version.number) : 0);
    await associating.done();

    await db
      .updateTable('repository')
      .set({
        detail: JSON.stringify({
          ...repo.detail,
          last_sync_details: { ...details, most_recent_version: version?.number ?? latest },
        }),
      })
      .where('pulp_id', '=', repo.pulp_id)
      .execute();
    if (!version) return null;
    await ctx.addCreatedResource(version.href);
    const autopublish = (repo.detail as { autopublish?: boolean }).autopublish === true;
    if (mirror) {
      const name = new URL(url).pathname.split('/').pop() || 'PULP_MANIFEST';
      const file = manifest;
      manifest = null;
      const pubId = await publishVersion(ctx.services, version.pulp_id, { manifest: name, manifestFile: file });
      await ctx.addCreatedResource(`${apiPrefix}publications/file/file/${pubId}/`);
    } else if (autopublish) {
      const name = (repo.detail as { manifest?: string | null }).manifest;
      const pubId = await publishVersion(ctx.services, version.pulp_id, {
        manifest: name === undefined ? 'PULP_MANIFEST' : name,
      });
      await ctx.addCreatedResource(`${apiPrefix}publications/file/file/${pubId}/`);
    }
    // An ACS path's hidden repository has no visible versions: no result to show then.
    const row = await selectRepositoryVersions(db).where('v.pulp_id', '=', version.pulp_id).executeTakeFirst();
    return row ? serializeRepositoryVersion(apiPrefix, row) : null;
  } finally {
    if (manifest) await rm(manifest.path, { force: true });
    await downloader.close();
    await acs?.close();
  }
}

async function addedCount(ctx: TaskContext, repositoryId: string, number: number): Promise<number> {
  const row = await ctx.services.db
    .selectFrom('repository_content')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('repository_id', '=', repositoryId)
    .where('version_added', '=', number)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
