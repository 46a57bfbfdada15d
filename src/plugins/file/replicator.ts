import type { ReplicatorDefinition, UpstreamApi, UpstreamDistribution } from '../../plugin-api/index.js';
import { SYNC_TASK } from './repositories.js';

/** The manifest an upstream file distribution serves: its publication's, else its repository's. */
async function manifestOf(upstream: UpstreamApi, d: UpstreamDistribution): Promise<string | null> {
  let href: string | null = null;
  if (d.repository) href = d.repository;
  else if (d.publication) href = d.publication;
  else if (d.repository_version) href = d.repository_version.split('versions/')[0] ?? null;
  if (!href) return null;
  const manifest = (await upstream.get(href)).manifest;
  return typeof manifest === 'string' && manifest !== '' ? manifest : null;
}

/**
 * pulp_file's replicator: the local file remote syncs the PULP_MANIFEST the upstream distribution serves, the
 * local repository keeps that manifest's name and never autopublishes (a mirror sync publishes the upstream's
 * manifest as it is).
 */
export const fileReplicator: ReplicatorDefinition = {
  distributionType: 'file.file',
  remoteType: 'file.file',
  repositoryType: 'file.file',
  upstreamEndpoint: 'distributions/file/file/',
  syncTask: SYNC_TASK,
  async remoteUrl(upstream, d) {
    const manifest = await manifestOf(upstream, d);
    return manifest ? `${d.base_url}${manifest}` : null;
  },
  repositoryDetail: (url) => ({ manifest: url.split('/').pop() || 'PULP_MANIFEST', autopublish: false }),
  syncArgs: ({ remote, repository }) => ({ remote_pk: remote, repository_pk: repository, mirror: true }),
};
