/*
 * Replication from an upstream Pulp (pulpcore's `replicate/` of an upstream pulp): core lists the upstream's
 * distributions of each type some installed plugin replicates, and for each creates or updates a local remote,
 * repository and distribution of the same name, then syncs the repository in mirror mode. What differs per
 * type (where the remote must point, the repository's own fields, the sync task) is the plugin's replicator,
 * declared in its definition (`replicators`), as pulp plugins declare theirs in `app/replica.py`.
 */

/** A distribution as the upstream's list serializes it (Pulp's distribution fields). */
export interface UpstreamDistribution {
  name: string;
  base_path: string;
  /** Where the upstream serves it: absolute, or a path when the upstream has no CONTENT_ORIGIN. */
  base_url: string;
  repository?: string | null;
  publication?: string | null;
  repository_version?: string | null;
  pulp_labels?: Record<string, string | null>;
  [field: string]: unknown;
}

/** Read access to the upstream Pulp's REST API, with the upstream pulp's credentials and TLS settings. */
export interface UpstreamApi {
  /**
   * GETs a JSON object: an href as the upstream answers them (`/pulp/api/v3/...`), an absolute URL, or a path
   * below the upstream's API prefix (`distributions/file/file/`). Throws a readable error naming the URL.
   */
  get(hrefOrPath: string): Promise<Record<string, unknown>>;
}

/** One distribution type a plugin replicates. */
export interface ReplicatorDefinition {
  /** Local and upstream distribution type, e.g. `file.file`. */
  distributionType: string;
  /** Type of the remote and of the repository created for each upstream distribution. */
  remoteType: string;
  repositoryType: string;
  /** The upstream's list of these distributions, below its API prefix: `distributions/file/file/`. */
  upstreamEndpoint: string;
  /** Dotted name of the plugin's sync task, dispatched for each replicated repository. */
  syncTask: string;
  /**
   * The URL the local remote syncs from, or null when the upstream distribution serves nothing (it is then
   * left out, and removed locally as any distribution the upstream no longer has). A path is resolved
   * against the upstream pulp's `base_url`.
   */
  remoteUrl(upstream: UpstreamApi, distribution: UpstreamDistribution): Promise<string | null>;
  /** The repository type's own fields (its `detail`) for a remote URL; replication keeps them so. */
  repositoryDetail?(remoteUrl: string): Record<string, unknown>;
  /** The sync task's arguments: mirror the upstream exactly. */
  syncArgs(ids: { remote: string; repository: string }): Record<string, unknown>;
}

/** A replicator with the plugin that declares it (the upstream must have the same plugin installed). */
export interface RegisteredReplicator extends ReplicatorDefinition {
  plugin: string;
}

let registered: RegisteredReplicator[] = [];

/**
 * Records the replicators of the installed plugins, in plugin order; called by `buildRegistry`, so that API
 * and worker processes see the same set. A later registry replaces an earlier one's replicators.
 */
export function registerReplicators(plugin: string, replicators: readonly ReplicatorDefinition[]): void {
  registered = [...registered.filter((r) => r.plugin !== plugin), ...replicators.map((r) => ({ ...r, plugin }))];
}

/** Every registered replicator. */
export function replicators(): readonly RegisteredReplicator[] {
  return registered;
}
