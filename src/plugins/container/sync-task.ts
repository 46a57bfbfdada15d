import { PulpError, type TaskContext } from '../../plugin-api/index.js';
import { clientForRemote, loadRemote } from './remote-client.js';
import { REMOTE_TYPE } from './resource-names.js';
import { syncRepository } from './sync.js';

/** Pulp's name of the sync task (pulp_container/app/tasks/synchronize.py). */
export const SYNC_TASK = 'pulp_container.app.tasks.synchronize.synchronize';

export class ContainerSyncError extends PulpError {}

interface SyncArgs {
  remote_pk: string;
  repository_pk: string;
  mirror?: boolean;
  signed_only?: boolean;
}

/**
 * `synchronize`: the remote's tags (filtered by include_tags/exclude_tags) with their manifests, children
 * and blobs, downloaded now (`immediate`) or when first pulled (`on_demand`, `streamed`); one new version.
 */
export async function synchronize(ctx: TaskContext): Promise<void> {
  const args = ctx.args as unknown as SyncArgs;
  const remote = await loadRemote(ctx.services.db, args.remote_pk);
  if (!remote || remote.pulp_type !== REMOTE_TYPE) throw new ContainerSyncError('The remote no longer exists.');
  if (args.signed_only) throw new ContainerSyncError('Syncing only signed content is not supported.');
  const detail = remote.detail as { include_tags?: string[] | null; exclude_tags?: string[] | null };
  const upstream = clientForRemote(remote, { signal: ctx.signal });
  const client = upstream.client;
  const tags = await ctx.progress('Processing Tags', 'sync.processing.tag');
  const manifests = await ctx.progress('Downloading tag list', 'sync.downloading.manifest');
  const blobs = await ctx.progress('Downloading Artifacts', 'sync.downloading.artifacts');
  const counters = { tag: tags, manifest: manifests, blob: blobs };
  try {
    const version = await syncRepository(ctx.services, {
      client,
      repositoryId: args.repository_pk,
      remoteId: remote.pulp_id,
      policy: remote.policy,
      includeTags: detail.include_tags ?? null,
      excludeTags: detail.exclude_tags ?? null,
      mirror: args.mirror === true,
      concurrency: remote.download_concurrency ?? 10,
      signal: ctx.signal,
      logger: ctx.logger,
      onProgress: (event) => counters[event].increment(),
    });
    for (const p of [tags, manifests, blobs]) await p.done();
    if (version) await ctx.addCreatedResource(version.href);
  } catch (err) {
    for (const p of [tags, manifests, blobs]) await p.done('failed');
    throw err;
  } finally {
    await upstream.close();
  }
}
