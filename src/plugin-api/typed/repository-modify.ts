import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../../core/ids.js';
import { dispatchReply } from '../dispatch-reply.js';
import type { ComponentSchema, Operation, RequestContext } from '../operations.js';
import { resolveVersionReference } from '../version-reference.js';
import type { RepositoryRow, TypedRepository } from './repositories.js';

export const ADD_AND_REMOVE_TASK = 'pulpcore.app.tasks.repository.add_and_remove';

const ModifySchema = Type.Object({
  add_content_units: Type.Optional(Type.Array(Type.String())),
  remove_content_units: Type.Optional(Type.Array(Type.String())),
  base_version: Type.Optional(Type.String()),
  overwrite: Type.Optional(Type.Boolean({ default: true })),
});

/** Content hrefs or PRNs -> ids; 400 listing every reference that is not an existing unit. */
async function contentIds(ctx: RequestContext, field: string, refs: string[]): Promise<string[]> {
  const ids = refs.map((r) => {
    const prn = parsePrn(r);
    if (prn) return prn.pk;
    return /\/content\/[a-z0-9_]+\/[a-z0-9_-]+\/([0-9a-f-]{36})\/$/.exec(hrefPath(r) ?? '')?.[1] ?? '';
  });
  const valid = ids.filter((id) => isUuid(id));
  const found = new Set<string>();
  const rows = await sql<{
    id: string;
  }>`SELECT pulp_id::text AS id FROM content WHERE pulp_id = ANY(${valid}::uuid[])`.execute(ctx.services.db);
  for (const r of rows.rows) found.add(r.id);
  const missing = refs.filter((_, i) => !found.has(ids[i] ?? ''));
  if (missing.length > 0)
    throw new ValidationError({ [field]: [`Could not find the following content units: ${missing.join(', ')}`] });
  return ids;
}

export const modifyComponents: ComponentSchema[] = [{ name: 'RepositoryAddRemoveContent', schema: ModifySchema }];

/** `POST <repository>modify/`: Pulp's add_and_remove task, exclusive on the repository. */
export function modifyOperation(
  typed: TypedRepository,
  load: (ctx: RequestContext) => Promise<RepositoryRow>,
): Operation {
  const { endpoint, placeholder, opIdPrefix, tag } = typed.names;
  const byId = `${endpoint}/:repository_pk/`;
  const access = (action: string) => ({ viewset: endpoint, action });
  const lock = (id: string) => typed.lock(id);
  return {
    method: 'POST',
    url: `${byId}modify/`,
    pathKey: `${placeholder}modify/`,
    operationId: `${opIdPrefix}_modify`,
    tag,
    body: { name: 'RepositoryAddRemoveContent', schema: ModifySchema },
    responses: { 202: { schema: 'AsyncOperationResponse' } },
    access: access('modify'),
    async handle(ctx) {
      const repo = await load(ctx);
      const removeRefs = (ctx.body.remove_content_units as string[] | undefined) ?? [];
      if (removeRefs.includes('*') && removeRefs.length > 1)
        throw new ValidationError({ remove_content_units: ["'*' must be the only item when present."] });
      const add = await contentIds(
        ctx,
        'add_content_units',
        (ctx.body.add_content_units as string[] | undefined) ?? [],
      );
      const remove = removeRefs.includes('*') ? ['*'] : await contentIds(ctx, 'remove_content_units', removeRefs);
      // As Pulp: the base version may belong to any repository (pulp-cli's --base-repository).
      const baseVersion =
        typeof ctx.body.base_version === 'string'
          ? (await resolveVersionReference(ctx.services.db, 'base_version', ctx.body.base_version)).versionId
          : null;
      return dispatchReply(
        ctx,
        ADD_AND_REMOVE_TASK,
        {
          repository_pk: repo.pulp_id,
          add_content_units: add,
          remove_content_units: remove,
          base_version_pk: baseVersion,
          overwrite: ctx.body.overwrite !== false,
        },
        { exclusiveResources: [lock(repo.pulp_id)] },
      );
    },
  };
}
