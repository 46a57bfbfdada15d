import { Type, type TSchema } from '@sinclair/typebox';

import { defineRemoteType } from '../../plugin-api/index.js';

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const patterns = (description: string) =>
  Type.Optional(nullable(Type.Array(Type.String({ maxLength: 255 }), { description })));

/** Signatures from a sigstore are not synced: the field is accepted only empty, so nothing is silently ignored. */
function sigstoreOff(merged: Record<string, unknown>): Record<string, string[]> | undefined {
  const sigstore = merged.sigstore;
  if (sigstore === undefined || sigstore === null || sigstore === '') return undefined;
  return { sigstore: ['Syncing signatures from a sigstore is not supported.'] };
}

/**
 * `remotes/container/container/`: a registry repository to sync (pulp_container 2.26's ContainerRemote):
 * `upstream_name` and the tag filters `include_tags`/`exclude_tags` (`*` and `?` wildcards).
 */
export const containerRemote = defineRemoteType({
  app: 'container',
  type: 'container',
  model: 'ContainerRemote',
  fields: {
    upstream_name: Type.String({ minLength: 1, description: 'Name of the upstream repository' }),
    include_tags: patterns('Tags to include (wildcards * and ?); all when null.'),
    exclude_tags: patterns('Tags to exclude (wildcards * and ?).'),
    sigstore: Type.Optional(nullable(Type.String({ description: 'Not supported: must stay empty.' }))),
  },
  validate: sigstoreOff,
});

/**
 * `remotes/container/pull-through/`: a registry a pull-through distribution caches from, on demand only, with
 * repository-name filters `includes`/`excludes`.
 */
export const pullThroughRemote = defineRemoteType({
  app: 'container',
  type: 'pull-through',
  model: 'ContainerPullThroughRemote',
  policies: ['on_demand'],
  defaultPolicy: 'on_demand',
  fields: {
    includes: patterns('Repository names to cache (wildcards * and ?); all when null.'),
    excludes: patterns('Repository names never to cache (wildcards * and ?).'),
  },
});
