import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import { isUuid, pdrn } from '../../core/ids.js';
import { dispatchReply } from '../../plugin-api/dispatch-reply.js';
import { pkFromReference } from '../../plugin-api/filters.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { typedPrn } from '../../plugin-api/resource-types.js';
import { resolveVersionReference } from '../../plugin-api/version-reference.js';

export const REPAIR_ALL_TASK = 'pulpcore.app.tasks.repository.repair_all_artifacts';
export const RECLAIM_SPACE_TASK = 'pulpcore.app.tasks.reclaim_space.reclaim_space';

const RepairBody = Type.Object({
  verify_checksums: Type.Optional(
    Type.Boolean({
      default: true,
      description:
        'Will verify that the checksum of all stored files matches what saved in the database. Otherwise only the existence of the files will be checked. Enabled by default',
    }),
  ),
});

const ReclaimBody = Type.Object({
  repo_hrefs: Type.Array(Type.String(), {
    description: "Will reclaim space for the specified list of repos. Use ['*'] to specify all repos.",
  }),
  repo_versions_keeplist: Type.Optional(
    Type.Array(Type.String({ format: 'uri' }), { description: 'Will exclude repo versions from space reclaim.' }),
  ),
});

interface RepoRef {
  pulp_id: string;
  pulp_type: string;
}

/** Pulp's ReclaimSpaceSerializer.validate_repo_hrefs: non-empty, `*` alone, or hrefs/PRNs of repositories. */
async function reclaimedRepositories(ctx: RequestContext, refs: string[]): Promise<RepoRef[]> {
  const db = ctx.services.db;
  if (refs.length === 0) throw new ValidationError({ repo_hrefs: ['Must not be [].'] });
  if (refs.includes('*')) {
    if (refs.length !== 1) throw new ValidationError({ repo_hrefs: ["Can not specify other HREFs when using '*'"] });
    return db.selectFrom('repository').select(['pulp_id', 'pulp_type']).execute();
  }
  const out: RepoRef[] = [];
  for (const ref of refs) {
    const id = pkFromReference('repo_hrefs', ref);
    const row = isUuid(id)
      ? await db.selectFrom('repository').select(['pulp_id', 'pulp_type']).where('pulp_id', '=', id).executeTakeFirst()
      : undefined;
    if (!row) throw new ValidationError({ repo_hrefs: [`URI ${ref} not found for repository.`] });
    out.push(row);
  }
  return out;
}

/** `repair/` (all artifacts of the domain) and `repositories/reclaim_space/`. */
export function repairReclaimRoutes(): OperationModule {
  return {
    components: [
      { name: 'Repair', schema: RepairBody },
      { name: 'ReclaimSpace', schema: ReclaimBody },
    ],
    operations: [
      {
        method: 'POST',
        url: 'repair/',
        pathKey: 'repair/',
        operationId: 'repair_post',
        tag: 'Repair',
        summary: 'Repair Artifact Storage',
        body: { name: 'Repair', schema: RepairBody },
        responses: { 202: { schema: 'AsyncOperationResponse' } },
        access: { viewset: 'repair', action: 'post' },
        handle: (ctx) =>
          dispatchReply(
            ctx,
            REPAIR_ALL_TASK,
            { verify_checksums: ctx.body.verify_checksums !== false },
            { exclusiveResources: [pdrn('repair')] },
          ),
      },
      {
        method: 'POST',
        url: 'repositories/reclaim_space/',
        pathKey: 'repositories/reclaim_space/',
        operationId: 'repositories_reclaim_space_reclaim',
        tag: 'Repositories: Reclaim Space',
        summary: 'Reclaim space',
        body: { name: 'ReclaimSpace', schema: ReclaimBody },
        responses: { 202: { schema: 'AsyncOperationResponse' } },
        access: { viewset: 'repositories/reclaim_space', action: 'reclaim' },
        async handle(ctx) {
          const repos = await reclaimedRepositories(ctx, ctx.body.repo_hrefs as string[]);
          const keep = [];
          for (const ref of (ctx.body.repo_versions_keeplist as string[] | undefined) ?? []) {
            const v = await resolveVersionReference(ctx.services.db, 'repo_versions_keeplist', ref);
            keep.push(v);
          }
          const shared = new Map<string, RepoRef>(repos.map((r) => [r.pulp_id, r]));
          if (keep.length > 0) {
            const rows = await ctx.services.db
              .selectFrom('repository')
              .select(['pulp_id', 'pulp_type'])
              .where(sql<boolean>`pulp_id = ANY(${keep.map((k) => k.repositoryId)}::uuid[])`)
              .execute();
            for (const r of rows) shared.set(r.pulp_id, r);
          }
          return dispatchReply(
            ctx,
            RECLAIM_SPACE_TASK,
            { repo_pks: repos.map((r) => r.pulp_id), keeplist_rv_pks: keep.map((k) => k.versionId) },
            {
              // Pulp takes the domain-wide name only when no repository matched (nothing else to hold).
              exclusiveResources: shared.size === 0 ? [pdrn('reclaim_space')] : [],
              sharedResources: [...shared.values()].map((r) => typedPrn(r.pulp_type, 'repository', r.pulp_id)),
            },
          );
        },
      },
    ],
  };
}
