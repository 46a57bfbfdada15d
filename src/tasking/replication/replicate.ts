import { sql } from 'kysely';

import { pdrn } from '../../core/ids.js';
import { replicators, type UpstreamDistribution } from '../../plugin-api/replicator.js';
import type { TaskContext } from '../../plugin-api/tasks.js';
import { DISTRIBUTIONS_LOCK } from '../../plugin-api/typed/distribution-fields.js';
import {
  removeMissing,
  Replication,
  type Server,
  syncRepository,
  upsertDistribution,
  upsertRemote,
  upsertRepository,
  upstreamPulpLock,
} from './local-objects.js';
import { ReplicationError, UpstreamClient } from './upstream-api.js';

export const REPLICATE_TASK = 'pulpcore.app.tasks.replica.replicate_distributions';
export const FINALIZE_TASK = 'pulpcore.app.tasks.replica.finalize_replication';
/** What the replicate action reserves exclusively: one replication per domain at a time, as in Pulp. */
export const SERVERS_LOCK = pdrn('servers');
export { upstreamPulpLock };

async function loadServer(ctx: TaskContext): Promise<Server> {
  const id = ctx.args.server_pk;
  const row =
    typeof id === 'string'
      ? await ctx.services.db.selectFrom('upstream_pulp').selectAll().where('pulp_id', '=', id).executeTakeFirst()
      : undefined;
  if (!row) throw new ReplicationError('The upstream pulp no longer exists.');
  return row;
}

async function groupOf(ctx: TaskContext): Promise<string | null> {
  const row = await ctx.services.db
    .selectFrom('task')
    .select('task_group_id')
    .where('pulp_id', '=', ctx.taskId)
    .executeTakeFirst();
  return row?.task_group_id ?? null;
}

function isUpstreamDistribution(d: Record<string, unknown>): d is UpstreamDistribution {
  return typeof d.name === 'string' && typeof d.base_path === 'string' && typeof d.base_url === 'string';
}

/** Whether the upstream distribution changed since the last complete replication (Pulp's requires_syncing). */
function needsSync(server: Server, d: UpstreamDistribution): boolean {
  const since = typeof d.no_content_change_since === 'string' ? Date.parse(d.no_content_change_since) : NaN;
  if (Number.isNaN(since) || !server.last_replication) return true;
  const last = Date.parse(server.last_replication);
  if (last < Date.parse(server.pulp_last_updated)) return true;
  return !(last > since);
}

/**
 * `pulpcore.app.tasks.replica.replicate_distributions`: reads the upstream's schema first (an unreachable
 * upstream fails here, naming the URL), then for each replicator whose plugin the upstream has, mirrors the
 * upstream's distributions (those `q_select` selects) into local remotes, repositories and distributions of
 * the same names, removes what the policy allows, and dispatches the finalizing task last in the group.
 */
export async function replicateDistributions(ctx: TaskContext): Promise<null> {
  const server = await loadServer(ctx);
  const run = new Replication(ctx, server, await groupOf(ctx));
  const upstream = new UpstreamClient(server, ctx.signal);
  try {
    const schema = await upstream.get('docs/api.json');
    const info = (schema.info ?? {}) as { 'x-pulp-app-versions'?: Record<string, string> };
    const upstreamApps = info['x-pulp-app-versions'] ?? {};
    const params: Record<string, string> = server.q_select ? { q: server.q_select } : {};
    const progress = await ctx.progress('Replicating distributions', 'replicate.distributions');
    const managed: Array<{ name: string; repository: string }> = [];
    for (const r of replicators()) {
      if (!(r.plugin in upstreamApps)) {
        ctx.logger.info({ plugin: r.plugin }, 'upstream lacks the plugin; its distributions are not replicated');
        continue;
      }
      const names: string[] = [];
      const pending: Array<{ repository: string; upstream: UpstreamDistribution }> = [];
      for await (const d of upstream.list(r.upstreamEndpoint, params)) {
        if (!isUpstreamDistribution(d)) throw new ReplicationError(`Unexpected distribution from the upstream Pulp.`);
        const found = await r.remoteUrl(upstream, d);
        // A distribution serving nothing is not replicated (and removed locally like a vanished one).
        if (!found) continue;
        const url = new URL(found, server.base_url).href;
        const remote = await upsertRemote(run, r, d.name, url);
        if (!remote) continue;
        const repository = await upsertRepository(run, r, d.name, url);
        if (!repository) continue;
        if (repository.created || remote.changed || needsSync(server, d))
          await syncRepository(run, r, { remote: remote.id, repository: repository.id });
        names.push(d.name);
        pending.push({ repository: repository.id, upstream: d });
        managed.push({ name: d.name, repository: repository.id });
        progress.increment();
      }
      for (const p of pending) await upsertDistribution(run, r, p.repository, p.upstream);
      await removeMissing(run, r, names);
    }
    await progress.done();
    const exclusive = [upstreamPulpLock(server.pulp_id), DISTRIBUTIONS_LOCK];
    await run.dispatch(
      FINALIZE_TASK,
      { server_pk: server.pulp_id, managed },
      { exclusiveResources: exclusive, sharedResources: [...run.resources].filter((x) => !exclusive.includes(x)) },
    );
  } finally {
    await upstream.close();
    if (run.group)
      await ctx.services.db
        .updateTable('task_group')
        .set({ all_tasks_dispatched: true, pulp_last_updated: sql<string>`clock_timestamp()` })
        .where('pulp_id', '=', run.group)
        .execute();
  }
  return null;
}

/**
 * `pulpcore.app.tasks.replica.finalize_replication`: runs after every other task of the group (it reserves
 * all their resources); fails listing those that did not complete, else records when the replication
 * started as the upstream pulp's `last_replication` (leaving `pulp_last_updated` alone, as Pulp does).
 */
export async function finalizeReplication(ctx: TaskContext): Promise<null> {
  const server = await loadServer(ctx);
  const group = await groupOf(ctx);
  if (!group) return null;
  const { db } = ctx.services;
  const tasks = await db
    .selectFrom('task')
    .select(['pulp_id', 'name', 'state', 'error', 'started_at'])
    .where('task_group_id', '=', group)
    .where('pulp_id', '<>', ctx.taskId)
    .execute();
  const failed = tasks.filter((t) => t.state !== 'completed');
  if (failed.length > 0) {
    const lines = failed.map(
      (t) => `  ${t.name}: ${(t.error as { description?: string } | null)?.description ?? t.state}`,
    );
    throw new ReplicationError(`${failed.length} subtask(s) did not complete successfully:\n${lines.join('\n')}`);
  }
  const started = tasks
    .map((t) => t.started_at)
    .filter((s): s is string => !!s)
    .sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  await db
    .updateTable('upstream_pulp')
    .set({ last_replication: started ?? sql<string>`clock_timestamp()` })
    .where('pulp_id', '=', server.pulp_id)
    .execute();
  return null;
}
