import {
  createRepositoryVersion,
  Downloader,
  PulpError,
  runSyncPipeline,
  selectRepositoryVersions,
  serializeRepositoryVersion,
  type DeclarativeContent,
  type TaskContext,
} from '../../plugin-api/index.js';
import { packageContentAdapter } from './content-adapter.js';
import { emptyCoreMetadata } from './core-metadata.js';
import { finalizePythonVersion } from './finalize.js';
import { IndexError } from './index-errors.js';
import { DEFAULT_FILE_HOSTS, type LinkPolicy } from './link-policy.js';
import type { NewPackage } from './package-rows.js';
import { pythonRepository } from './repositories.js';
import { downloaderFetcher } from './remote-fetcher.js';
import { RemoteFilter, type RemoteFilterOptions } from './remote-filters.js';
import { RequirementError } from './requirement.js';
import {
  indexRoot,
  listProjects,
  readProject,
  type IndexFetcher,
  type ReleaseFile,
  type UpstreamProject,
} from './upstream-index.js';

export class SyncError extends PulpError {}

/** Test hook: shorter retry backoff (Pulp has no such setting). */
export const syncTuning = { retryBaseMs: 1000 };

interface SyncArgs {
  remote_pk: string;
  repository_pk: string;
  mirror?: boolean;
}

/** The remote's filter fields from its detail, with pulp_python's defaults. */
export function filterOptions(detail: Record<string, unknown>): RemoteFilterOptions {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    includes: list(detail.includes),
    excludes: list(detail.excludes),
    prereleases: detail.prereleases === true,
    package_types: list(detail.package_types),
    keep_latest_packages: Number(detail.keep_latest_packages ?? 0) || 0,
    exclude_platforms: list(detail.exclude_platforms),
  };
}

/** The unit a file of an upstream project becomes (pulp_python's parse_metadata: the project info, this version). */
export function unitOf(project: UpstreamProject, version: string, file: ReleaseFile): NewPackage {
  const info = project.info ?? { ...emptyCoreMetadata(), name: project.name };
  return {
    ...info,
    name: info.name || project.name,
    version,
    requires_python: file.requiresPython ?? (project.info ? info.requires_python : ''),
    filename: file.filename,
    packagetype: file.packagetype,
    python_version: file.pythonVersion,
    sha256: file.sha256,
    // PEP 658 metadata files are not synced (one artifact per unit), so none is announced.
    metadata_sha256: null,
    size: file.size ?? 0,
    yanked: file.yanked,
    yanked_reason: file.yankedReason,
  };
}

/**
 * Projects read `window` at a time in order (the index answers in parallel while the pipeline consumes), each
 * yielded with its selected releases. A project that cannot be read fails the whole sync, naming it.
 */
async function* readProjects(
  fetcher: IndexFetcher,
  root: string,
  names: string[],
  filter: RemoteFilter,
  policy: LinkPolicy,
  window: number,
  signal: AbortSignal,
): AsyncGenerator<{ project: UpstreamProject; releases: Map<string, ReleaseFile[]> }> {
  const pending: Array<Promise<UpstreamProject>> = [];
  let next = 0;
  // A static index (simple pages only) answers the JSON API with 404 for every project: once the first
  // project came from its simple page, the others are read from theirs alone (half the requests).
  let json: boolean | undefined;
  const fill = () => {
    while (pending.length < window && next < names.length) {
      const p = readProject(fetcher, root, names[next++] as string, policy, signal, { json });
      p.catch(() => undefined);
      pending.push(p);
      if (json === undefined) break;
    }
  };
  fill();
  while (pending.length > 0) {
    const project = await (pending.shift() as Promise<UpstreamProject>);
    if (json === undefined) json = project.source === 'json';
    fill();
    yield { project, releases: filter.selectReleases(project.name, project.releases) };
  }
}

/**
 * `pulp_python.app.tasks.sync.sync(remote_pk, repository_pk, mirror)`: what pulp_python asks of bandersnatch.
 * With includes, exactly those projects are read (`pypi/<name>/json` plus `simple/<name>/`); without, the
 * project list comes from XML-RPC `list_packages_with_serial`, else from `simple/`. A plain static PEP
 * 503/691 index syncs too (project pages only). The remote's filters select releases and files; the pipeline
 * stores units (immediate: downloads the files; on_demand/streamed: remote artifacts only). A project that
 * cannot be fetched fails the task with its name (Pulp logs it and completes without it).
 */
export async function synchronize(ctx: TaskContext): Promise<unknown> {
  const args = ctx.args as unknown as SyncArgs;
  const { db, storage, settings, apiPrefix } = ctx.services;
  const remote = await db.selectFrom('remote').selectAll().where('pulp_id', '=', args.remote_pk).executeTakeFirst();
  if (!remote) throw new SyncError('The remote no longer exists.');
  const repo = await db
    .selectFrom('repository')
    .select(['pulp_id'])
    .where('pulp_id', '=', args.repository_pk)
    .executeTakeFirst();
  if (!repo) throw new SyncError('The repository no longer exists.');
  if (!remote.url) throw new SyncError('A remote must have a url specified to synchronize.');
  let filter: RemoteFilter;
  try {
    filter = new RemoteFilter(filterOptions(remote.detail ?? {}));
  } catch (err) {
    if (err instanceof RequirementError) throw new SyncError(`Invalid remote filter: ${err.message}`);
    throw err;
  }
  const deferred = remote.policy !== 'immediate';
  const downloader = new Downloader(remote, {
    tempDir: storage.tempDir(),
    checksums: settings.ALLOWED_CONTENT_CHECKSUMS,
    retryBaseMs: syncTuning.retryBaseMs,
  });
  const fetcher = downloaderFetcher(downloader);
  const root = indexRoot(remote.url);
  const policy: LinkPolicy = { fileHosts: DEFAULT_FILE_HOSTS };
  try {
    const metadata = await ctx.progress('Fetching Project Metadata', 'sync.fetching.project');
    let names = filter.includedProjects();
    if (!names) {
      try {
        names = [...(await listProjects(fetcher, root, ctx.signal)).keys()].filter((n) => filter.allowsProject(n));
      } catch (err) {
        if (err instanceof IndexError) throw new SyncError(`Could not list the projects of ${root}: ${err.message}`);
        throw err;
      }
    } else {
      names = names.filter((n) => filter.allowsProject(n));
    }
    metadata.setTotal(names.length);
    const downloading = await ctx.progress('Downloading Artifacts', 'sync.downloading.artifacts');
    const associating = await ctx.progress('Associating Content', 'associating.content');
    const window = Math.max(2, downloader.concurrency);
    const signal = ctx.signal;
    async function* declarative(): AsyncGenerator<DeclarativeContent<NewPackage>> {
      try {
        for await (const { project, releases } of readProjects(fetcher, root, names!, filter, policy, window, signal)) {
          metadata.increment();
          for (const [version, files] of releases) {
            for (const file of files) {
              yield {
                unit: unitOf(project, version, file),
                artifact: {
                  url: file.url,
                  relativePath: file.filename,
                  size: file.size,
                  digests: { sha256: file.sha256 },
                  deferred,
                },
              };
            }
          }
        }
      } catch (err) {
        if (err instanceof IndexError) throw new SyncError(err.message, { cause: err });
        throw err;
      }
    }
    const seen = new Set<string>();
    const pipelineStart = performance.now();
    await runSyncPipeline(declarative(), {
      db,
      storage,
      downloader,
      adapter: packageContentAdapter,
      remoteId: remote.pulp_id,
      checksums: settings.ALLOWED_CONTENT_CHECKSUMS,
      signal: ctx.signal,
      onDownloaded: () => downloading.increment(),
      onContent: (ids) => {
        for (const id of ids) seen.add(id);
      },
    });
    await metadata.done();
    await downloading.done();
    const versionStart = performance.now();
    const version = await createRepositoryVersion(
      db,
      repo.pulp_id,
      args.mirror === true ? { add: [...seen], removeAll: true } : { add: [...seen] },
      { finalize: finalizePythonVersion, apiPrefix },
    );
    ctx.logger.info(
      {
        projects: names.length,
        units: seen.size,
        pipelineMs: Math.round(versionStart - pipelineStart),
        versionMs: Math.round(performance.now() - versionStart),
      },
      'python sync pipeline finished',
    );
    associating.increment(seen.size);
    await associating.done();
    if (!version) return null;
    await ctx.addCreatedResource(version.href);
    await pythonRepository.resourceType.afterVersion?.(ctx, repo.pulp_id, version);
    const row = await selectRepositoryVersions(db).where('v.pulp_id', '=', version.pulp_id).executeTakeFirstOrThrow();
    return serializeRepositoryVersion(apiPrefix, row);
  } finally {
    await downloader.close();
  }
}
