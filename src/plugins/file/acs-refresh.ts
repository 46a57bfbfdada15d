import { sql, type Transaction } from 'kysely';

import {
  createInitialVersion,
  type DB,
  dispatchGroupReply,
  type GroupTask,
  lockName,
  type Operation,
  type RequestContext,
  ValidationError,
} from '../../plugin-api/index.js';
import { SYNC_TASK } from './repositories.js';
import { fileTrx } from './tables.js';

/*
 * `POST {acs_href}refresh/`: pulp_file's FileAlternateContentSourceViewSet.refresh. Every path of the ACS (or the
 * remote's URL alone when it has none) gets its hidden repository, and one sync of that path's listing into it,
 * all in one task group. The remote is on_demand, so a refresh downloads listings only, never files: later
 * syncs look up the digests of what it found (acs-sources.ts).
 */

/** pulpcore's rule for an ACS remote: it downloads on demand (an ACS is an index, never mirrored whole). */
export const ON_DEMAND_ONLY = "Remote used with alternate content source must have the 'on_demand' policy.";

/** The ACS's paths as indexed: '' stands for the remote's URL itself (pulpcore's path row for "no paths"). */
export function indexedPaths(paths: string[]): string[] {
  return paths.length > 0 ? paths : [''];
}

/**
 * The listing of one path: the remote's URL joined with the path (as a file path join, so `base/` + `a/M` and
 * `base` + `a/M` both give `base/a/M`); a path naming a folder (`a/`) means that folder's PULP_MANIFEST.
 */
export function pathManifestUrl(remoteUrl: string, path: string): string {
  if (path === '') return remoteUrl;
  const joined = `${remoteUrl}${remoteUrl.endsWith('/') ? '' : '/'}${path}`;
  return joined.endsWith('/') ? `${joined}PULP_MANIFEST` : joined;
}

/**
 * Drops the path rows (and their hidden repositories) the ACS no longer has. Runs in the caller's transaction
 * after an update of `paths` and before a refresh, so a lookup never uses a path that was removed.
 */
export async function prunePaths(trx: Transaction<DB>, acsId: string, paths: string[]): Promise<void> {
  const gone = await fileTrx(trx)
    .deleteFrom('file_acs_path')
    .where('acs_id', '=', acsId)
    .where('path', 'not in', indexedPaths(paths))
    .returning('repository_id')
    .execute();
  const repos = gone.map((r) => r.repository_id).filter((id): id is string => id !== null);
  if (repos.length > 0) await trx.deleteFrom('repository').where('pulp_id', 'in', repos).execute();
}

/** Removes every hidden repository of an ACS (its path rows go with the ACS row). */
export async function deletePathRepositories(trx: Transaction<DB>, acsId: string): Promise<void> {
  await sql`DELETE FROM repository WHERE pulp_id IN (
    SELECT repository_id FROM file_acs_path WHERE acs_id = ${acsId})`.execute(trx);
}

/**
 * The path rows of an ACS, each with its hidden repository (created when missing, named as pulpcore names it:
 * `<acs name>--<path id>--repository`, keeping one version). Concurrent refreshes meet on the unique (acs, path)
 * and on the row lock, so each path has exactly one repository.
 */
async function preparePaths(
  trx: Transaction<DB>,
  acs: { pulp_id: string; name: string; paths: string[] },
): Promise<{ path: string; repositoryId: string }[]> {
  await prunePaths(trx, acs.pulp_id, acs.paths);
  const db = fileTrx(trx);
  const out: { path: string; repositoryId: string }[] = [];
  for (const path of indexedPaths(acs.paths)) {
    await db
      .insertInto('file_acs_path')
      .values({ acs_id: acs.pulp_id, path })
      .onConflict((oc) => oc.columns(['acs_id', 'path']).doNothing())
      .execute();
    const row = await db
      .selectFrom('file_acs_path')
      .select(['pulp_id', 'repository_id'])
      .where('acs_id', '=', acs.pulp_id)
      .where('path', '=', path)
      .forUpdate()
      .executeTakeFirstOrThrow();
    let repositoryId = row.repository_id;
    if (repositoryId === null) {
      const repo = await trx
        .insertInto('repository')
        .values({
          pulp_type: 'file.file',
          name: `${acs.name}--${row.pulp_id}--repository`,
          retain_repo_versions: 1,
          user_hidden: true,
        })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await createInitialVersion(trx, repo.pulp_id);
      await db
        .updateTable('file_acs_path')
        .set({ repository_id: repo.pulp_id })
        .where('pulp_id', '=', row.pulp_id)
        .execute();
      repositoryId = repo.pulp_id;
    }
    out.push({ path, repositoryId });
  }
  return out;
}

export function refreshOperation(
  loadAcs: (ctx: RequestContext) => Promise<{ pulp_id: string; name: string; paths: string[]; remote_id: string }>,
): Operation {
  return {
    method: 'POST',
    url: 'acs/file/file/:pulp_id/refresh/',
    pathKey: '{file_file_alternate_content_source_href}refresh/',
    operationId: 'acs_file_file_refresh',
    tag: 'Acs: File',
    summary: 'Refresh metadata',
    access: { viewset: 'acs/file/file', action: 'refresh' },
    responses: { 202: { schema: 'TaskGroupOperationResponse' } },
    async handle(ctx) {
      const acs = await loadAcs(ctx);
      const { db } = ctx.services;
      const remote = await db
        .selectFrom('remote')
        .select(['url', 'policy'])
        .where('pulp_id', '=', acs.remote_id)
        .executeTakeFirstOrThrow();
      // The remote may have been switched since the ACS was created: a refresh would then download everything.
      if (remote.policy !== 'on_demand') throw new ValidationError({ remote: [ON_DEMAND_ONLY] });
      const paths = await db.transaction().execute(async (trx) => {
        const p = await preparePaths(trx, acs);
        // pulpcore stamps the ACS when the refresh is requested, not when its tasks end.
        await fileTrx(trx)
          .updateTable('file_acs')
          .set({ last_refreshed: sql<string>`clock_timestamp()` })
          .where('pulp_id', '=', acs.pulp_id)
          .execute();
        return p;
      });
      const tasks: GroupTask[] = paths.map((p) => ({
        name: SYNC_TASK,
        args: {
          remote_pk: acs.remote_id,
          repository_pk: p.repositoryId,
          mirror: false,
          url: pathManifestUrl(remote.url, p.path),
        },
        options: {
          // Upstream's reservations (the remote and the ACS, shared), plus the hidden repository exclusively:
          // two refreshes of one ACS then write its repositories one after the other.
          sharedResources: [
            lockName('file.file', 'remote', acs.remote_id),
            `prn:file.filealternatecontentsource:${acs.pulp_id}`,
          ],
          exclusiveResources: [lockName('file.file', 'repository', p.repositoryId)],
        },
      }));
      return dispatchGroupReply(ctx, `Refreshing ${paths.length} alternate content source paths.`, tasks);
    },
  };
}
