import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import { isUuid, pdrn } from '../../core/ids.js';
import { dispatchReply } from '../../plugin-api/dispatch-reply.js';
import { pkFromReference } from '../../plugin-api/filters.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';

export const ORPHAN_CLEANUP_TASK = 'pulpcore.app.tasks.orphan.orphan_cleanup';

const OrphansCleanupBody = Type.Object({
  content_hrefs: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Will delete specified content and associated Artifacts if they are orphans.',
    }),
  ),
  orphan_protection_time: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 4294967295 }), Type.Null()], {
      description:
        'The time in minutes for how long Pulp will hold orphan Content and Artifacts before they become candidates for deletion by this orphan cleanup task.',
    }),
  ),
});

/** Content hrefs or PRNs to ids; every one must name existing content (400 listing the others). */
async function contentIds(ctx: RequestContext, refs: string[]): Promise<string[]> {
  if (refs.length === 0) throw new ValidationError({ content_hrefs: ['This list may not be empty.'] });
  const ids = refs.map((r) => pkFromReference('content_hrefs', r));
  const valid = ids.filter(isUuid);
  const found =
    valid.length > 0
      ? await ctx.services.db
          .selectFrom('content')
          .select('pulp_id')
          .where(sql<boolean>`pulp_id = ANY(${valid}::uuid[])`)
          .execute()
      : [];
  const known = new Set(found.map((f) => f.pulp_id));
  const missing = refs.filter((_, i) => !known.has(ids[i] ?? ''));
  if (missing.length > 0)
    throw new ValidationError({ content_hrefs: [`Could not find the following content units: ${missing.join(', ')}`] });
  return [...known];
}

export function orphanRoutes(): OperationModule {
  const tag = 'Orphans: Cleanup';
  return {
    components: [{ name: 'OrphansCleanup', schema: OrphansCleanupBody }],
    operations: [
      {
        method: 'POST',
        url: 'orphans/cleanup/',
        pathKey: 'orphans/cleanup/',
        operationId: 'orphans_cleanup_cleanup',
        tag,
        summary: 'Cleanup orphaned content',
        body: { name: 'OrphansCleanup', schema: OrphansCleanupBody, allowUnknown: true },
        responses: { 202: { schema: 'AsyncOperationResponse' } },
        access: { viewset: 'orphans/cleanup', action: 'cleanup' },
        async handle(ctx) {
          const refs = ctx.body.content_hrefs as string[] | undefined;
          const ids = refs === undefined ? null : await contentIds(ctx, refs);
          const time = ctx.body.orphan_protection_time as number | null | undefined;
          return dispatchReply(
            ctx,
            ORPHAN_CLEANUP_TASK,
            {
              content_pks: ids,
              orphan_protection_time: time ?? ctx.services.settings.ORPHAN_PROTECTION_TIME,
            },
            { exclusiveResources: [pdrn('orphans')] },
          );
        },
      },
      {
        method: 'DELETE',
        url: 'orphans/',
        pathKey: 'orphans/',
        operationId: 'orphans_delete',
        tag: 'Orphans',
        summary: 'Delete orphans (deprecated)',
        responses: { 202: { schema: 'AsyncOperationResponse' } },
        access: { viewset: 'orphans/cleanup', action: 'cleanup' },
        handle: (ctx) =>
          dispatchReply(
            ctx,
            ORPHAN_CLEANUP_TASK,
            { content_pks: null, orphan_protection_time: 0 },
            { exclusiveResources: [pdrn('orphans')] },
          ),
      },
    ],
  };
}
