import type { Selectable } from 'kysely';
import { sql } from 'kysely';

import { prn } from '../../core/ids.js';
import type { UpstreamPulpTable } from '../../db/tables.js';
import type { RegisteredReplicator, UpstreamDistribution } from '../../plugin-api/replicator.js';
import { createInitialVersion } from '../../plugin-api/repository-versions.js';
import { type ResourceKind, typedPrn } from '../../plugin-api/resource-types.js';
import type { DispatchOptions, TaskContext } from '../../plugin-api/tasks.js';
import { BASE_PATH_LOCK, DISTRIBUTIONS_LOCK } from '../../plugin-api/typed/distribution-fields.js';
import { GENERAL_CREATE, GENERAL_DELETE, GENERAL_UPDATE } from '../../plugin-api/typed/common.js';

/*
 * The local side of a replication: the remote, repository and distribution named after each upstream
 * distribution. Remotes and repositories are written at once (the sync dispatched next needs their ids, and
 * the replicate task holds the domain's `servers` lock); distribution changes and removals are tasks of the
 * replication's group, under the locks the distribution endpoints take, as in Pulp.
 */

/** Label on everything a replication creates or manages: what policy `labeled` may remove. */
export const UPSTREAM_LABEL = 'UpstreamPulp';

export type Server = Selectable<UpstreamPulpTable>;

/** Task lock name of an upstream pulp. */
export const upstreamPulpLock = (id: string) => prn('core.upstreampulp', id);

/** One replication run: the group its tasks join and every resource they reserve (finalize waits for them). */
export class Replication {
  readonly resources = new Set<string>();

  constructor(
    readonly ctx: TaskContext,
    readonly server: Server,
    readonly group: string | null,
  ) {}

  get labels(): Record<string, string> {
    return { [UPSTREAM_LABEL]: this.server.pulp_id };
  }

  /** Whether a local object may be changed or removed under the policy: `labeled` keeps unlabeled ones. */
  manages(labels: Record<string, string | null> | null): boolean {
    return this.server.policy !== 'labeled' || (labels ?? {})[UPSTREAM_LABEL] === this.server.pulp_id;
  }

  async dispatch(name: string, args: Record<string, unknown>, options: DispatchOptions): Promise<void> {
    for (const r of [...(options.exclusiveResources ?? []), ...(options.sharedResources ?? [])]) this.resources.add(r);
    await this.ctx.dispatch(name, args, { ...options, taskGroup: this.group });
  }
}

const lock = (pulpType: string, kind: ResourceKind, id: string) => typedPrn(pulpType, kind, id);
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The local remote of an upstream distribution (its id), or null when the policy leaves the name alone. */
export async function upsertRemote(
  run: Replication,
  r: RegisteredReplicator,
  name: string,
  url: string,
): Promise<{ id: string; changed: boolean } | null> {
  const { db } = run.ctx.services;
  const s = run.server;
  const fields = {
    url,
    ca_cert: s.ca_cert,
    client_cert: s.client_cert,
    client_key: s.client_key,
    tls_validation: s.tls_validation,
  };
  const existing = await db.selectFrom('remote').selectAll().where('name', '=', name).executeTakeFirst();
  if (!existing) {
    const row = await db
      .insertInto('remote')
      .values({
        pulp_type: r.remoteType,
        name,
        ...fields,
        policy: 'immediate',
        pulp_labels: JSON.stringify(run.labels),
      })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    return { id: row.pulp_id, changed: true };
  }
  if (existing.pulp_type !== r.remoteType || !run.manages(existing.pulp_labels)) return null;
  const labels = { ...existing.pulp_labels, ...run.labels };
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!same(existing[k as keyof typeof fields], v)) data[k] = v;
  if (!same(existing.pulp_labels, labels)) data.pulp_labels = labels;
  if (Object.keys(data).length > 0)
    await run.dispatch(
      GENERAL_UPDATE,
      { kind: 'remote', pulp_type: r.remoteType, pulp_id: existing.pulp_id, data },
      { exclusiveResources: [lock(r.remoteType, 'remote', existing.pulp_id)] },
    );
  return { id: existing.pulp_id, changed: 'url' in data };
}

/** The local repository of an upstream distribution, or null when the policy leaves the name alone. */
export async function upsertRepository(
  run: Replication,
  r: RegisteredReplicator,
  name: string,
  remoteUrl: string,
): Promise<{ id: string; created: boolean } | null> {
  const { db } = run.ctx.services;
  const detail = r.repositoryDetail?.(remoteUrl) ?? {};
  const existing = await db
    .selectFrom('repository')
    .selectAll()
    .where('name', '=', name)
    .where('user_hidden', '=', false)
    .executeTakeFirst();
  if (!existing) {
    const id = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('repository')
        .values({
          pulp_type: r.repositoryType,
          name,
          pulp_labels: JSON.stringify(run.labels),
          detail: JSON.stringify(detail),
        })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await createInitialVersion(trx, row.pulp_id);
      return row.pulp_id;
    });
    return { id, created: true };
  }
  if (existing.pulp_type !== r.repositoryType || !run.manages(existing.pulp_labels)) return null;
  const data: Record<string, unknown> = {};
  const merged = { ...existing.detail, ...detail };
  if (!same(existing.detail, merged)) data.detail = merged;
  const labels = { ...existing.pulp_labels, ...run.labels };
  if (!same(existing.pulp_labels, labels)) data.pulp_labels = labels;
  if (Object.keys(data).length > 0)
    await run.dispatch(
      GENERAL_UPDATE,
      { kind: 'repository', pulp_type: r.repositoryType, pulp_id: existing.pulp_id, data },
      { exclusiveResources: [lock(r.repositoryType, 'repository', existing.pulp_id)] },
    );
  return { id: existing.pulp_id, created: false };
}

/** Syncs the repository from the remote (the plugin's task, mirror mode), exclusive on the repository. */
export async function syncRepository(
  run: Replication,
  r: RegisteredReplicator,
  ids: { remote: string; repository: string },
): Promise<void> {
  await run.dispatch(r.syncTask, r.syncArgs(ids), {
    exclusiveResources: [lock(r.repositoryType, 'repository', ids.repository)],
    sharedResources: [lock(r.remoteType, 'remote', ids.remote)],
  });
}

/**
 * Creates or points the local distribution at the repository, at the upstream's base path. The task shares
 * the repository, so it runs once the sync dispatched before it is done.
 */
export async function upsertDistribution(
  run: Replication,
  r: RegisteredReplicator,
  repositoryId: string,
  upstream: UpstreamDistribution,
): Promise<void> {
  const { db } = run.ctx.services;
  const shared = [lock(r.repositoryType, 'repository', repositoryId), DISTRIBUTIONS_LOCK];
  const fields = {
    repository_id: repositoryId,
    publication_id: null,
    repository_version_id: null,
    base_path: upstream.base_path,
  };
  const existing = await db.selectFrom('distribution').selectAll().where('name', '=', upstream.name).executeTakeFirst();
  if (!existing) {
    await run.dispatch(
      GENERAL_CREATE,
      {
        kind: 'distribution',
        pulp_type: r.distributionType,
        data: { name: upstream.name, ...fields, pulp_labels: run.labels },
      },
      { exclusiveResources: [BASE_PATH_LOCK], sharedResources: shared },
    );
    return;
  }
  if (existing.pulp_type !== r.distributionType || !run.manages(existing.pulp_labels)) return;
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!same(existing[k as keyof typeof fields], v)) data[k] = v;
  const labels = { ...existing.pulp_labels, ...run.labels };
  if (!same(existing.pulp_labels, labels)) data.pulp_labels = labels;
  if (Object.keys(data).length === 0) return;
  await run.dispatch(
    GENERAL_UPDATE,
    { kind: 'distribution', pulp_type: r.distributionType, pulp_id: existing.pulp_id, data },
    {
      exclusiveResources: [lock(r.distributionType, 'distribution', existing.pulp_id), BASE_PATH_LOCK],
      sharedResources: shared,
    },
  );
}

/**
 * Removes the local distributions, repositories and remotes of the replicator's types that the upstream no
 * longer has: all of them (`all`), only those labeled by this upstream pulp (`labeled`), none (`nodelete`).
 * Hidden repositories (an ACS's) are never replication's.
 */
export async function removeMissing(run: Replication, r: RegisteredReplicator, keep: string[]): Promise<void> {
  if (run.server.policy === 'nodelete') return;
  const { db } = run.ctx.services;
  const labeled = run.server.policy === 'labeled';
  const notKept = keep.length === 0 ? sql<boolean>`true` : sql<boolean>`name <> ALL(${keep}::text[])`;
  const ours = labeled ? sql<boolean>`pulp_labels ->> ${UPSTREAM_LABEL} = ${run.server.pulp_id}` : sql<boolean>`true`;
  const distributions = await db
    .selectFrom('distribution')
    .select('pulp_id')
    .where('pulp_type', '=', r.distributionType)
    .where(notKept)
    .where(ours)
    .execute();
  for (const d of distributions)
    await run.dispatch(
      GENERAL_DELETE,
      { kind: 'distribution', pulp_type: r.distributionType, pulp_id: d.pulp_id },
      {
        exclusiveResources: [lock(r.distributionType, 'distribution', d.pulp_id)],
        sharedResources: [DISTRIBUTIONS_LOCK],
      },
    );
  const repositories = await db
    .selectFrom('repository')
    .select('pulp_id')
    .where('pulp_type', '=', r.repositoryType)
    .where('user_hidden', '=', false)
    .where(notKept)
    .where(ours)
    .execute();
  for (const repo of repositories)
    await run.dispatch(
      GENERAL_DELETE,
      { kind: 'repository', pulp_type: r.repositoryType, pulp_id: repo.pulp_id },
      { exclusiveResources: [lock(r.repositoryType, 'repository', repo.pulp_id)] },
    );
  const remotes = await db
    .selectFrom('remote')
    .select('pulp_id')
    .where('pulp_type', '=', r.remoteType)
    .where(notKept)
    .where(ours)
    .execute();
  for (const remote of remotes)
    await run.dispatch(
      GENERAL_DELETE,
      { kind: 'remote', pulp_type: r.remoteType, pulp_id: remote.pulp_id },
      { exclusiveResources: [lock(r.remoteType, 'remote', remote.pulp_id)] },
    );
}
