import { RemoteFetchError } from '../../plugin-api/index.js';
import { ensureTag, manifestClosure } from './content-store.js';
import { isValidDigest } from './names.js';
import { mayFetchThrough } from './pull-through.js';
import { RegistryError } from './registry-errors.js';
import type { RegistryContext } from './registry-http.js';
import type { PullSource } from './registry-pull.js';
import { clientForRemote, loadRemote } from './remote-client.js';
import { REPOSITORY_TYPE } from './resource-names.js';
import type { ServedManifest } from './repository-content.js';
import { UpstreamImporter } from './upstream-import.js';
import { applyVersionChange } from './version-change.js';

function upstreamError(err: unknown): RegistryError {
  if (err instanceof RemoteFetchError) {
    if (err.status === 429) return new RegistryError('TOOMANYREQUESTS', 'The upstream registry throttles requests.');
    if (err.status === undefined)
      return new RegistryError('GATEWAY_TIMEOUT', 'Response from the upstream timed out.', {}, { cause: err });
  }
  return new RegistryError('BAD_GATEWAY', 'Invalid response received from the upstream.', {}, { cause: err });
}

/**
 * Pull-through: a manifest the distribution does not hold yet, fetched from its remote, stored with on-demand
 * blobs (the content app fetches them when asked), and added to the repository (tagged when asked by tag).
 * Undefined when the distribution is not a pull-through one, the caller may not fetch new content, or the
 * upstream does not have it.
 */
export async function fetchThrough(
  ctx: RegistryContext,
  source: PullSource,
  reference: string,
  kind: 'tag' | 'digest',
): Promise<ServedManifest | undefined> {
  const through = source.pullThrough;
  if (!through || !('latest' in source.scope)) return undefined;
  const { services } = ctx.registry;
  const pt = {
    pulp_id: through.pullThroughId,
    base_path: '',
    remote_id: null,
    private: false,
    namespace_id: through.namespaceId,
  };
  if (
    !(await mayFetchThrough(
      services,
      ctx.caller.user,
      { pulp_id: source.distributionId, namespace_id: through.namespaceId },
      pt,
    ))
  )
    return undefined;
  const remote = await loadRemote(services.db, through.remoteId);
  if (!remote) return undefined;
  const connection = clientForRemote(remote);
  try {
    let fetched;
    try {
      fetched = await connection.client.getManifest(reference);
    } catch (err) {
      throw upstreamError(err);
    }
    if (!fetched) return undefined;
    const importer = new UpstreamImporter(services, {
      client: connection.client,
      remoteId: remote.pulp_id,
      policy: 'on_demand',
      concurrency: remote.download_concurrency ?? 10,
      logger: services.logger,
    });
    const expected =
      kind === 'digest' ? reference : fetched.digest && isValidDigest(fetched.digest) ? fetched.digest : undefined;
    const { id, parsed } = await importer.store(fetched, expected).catch((err: unknown) => {
      throw err instanceof RegistryError ? err : upstreamError(err);
    });
    const add = await manifestClosure(services.db, [id]);
    if (kind === 'tag') add.push(await ensureTag(services.db, reference, id));
    await applyVersionChange(ctx, REPOSITORY_TYPE, source.scope.repositoryId, add, []);
    return { content_id: id, digest: parsed.digest, media_type: parsed.mediaType, data: parsed.bytes };
  } finally {
    await connection.close();
  }
}
