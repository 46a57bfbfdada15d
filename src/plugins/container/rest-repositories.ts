import { Type } from '@sinclair/typebox';
import { type RawBuilder, sql } from 'kysely';

import {
  defineRepositoryType,
  dispatchReply,
  hrefPath,
  isUuid,
  latestVersionNumber,
  lockName,
  parsePrn,
  resolveReference,
  resolveVersionReference,
  ValidationError,
  type ComponentSchema,
  type Operation,
  type RequestContext,
  type RepositoryRow,
  type TypedRepository,
} from '../../plugin-api/index.js';
import { RECURSIVE_ADD_TASK, RECURSIVE_REMOVE_TASK, TAG_TASK, UNTAG_TASK } from './content-tasks.js';
import { finalizeContainerVersion } from './finalize-version.js';
import { MANIFEST_MEDIA_TYPES } from './media-types.js';
import { isValidTag } from './names.js';
import { BLOB_TYPE, MANIFEST_TYPE, SIGNATURE_TYPE, TAG_TYPE } from './content-store.js';
import { REPOSITORY_TYPE } from './resource-names.js';
import { SYNC_TASK } from './sync-task.js';

const CONTENT_TYPES = [BLOB_TYPE, MANIFEST_TYPE, TAG_TYPE, SIGNATURE_TYPE];
const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

const TAG_MESSAGE =
  'The provided tag is not valid. A tag may contain lowercase and uppercase ASCII alphabetic characters, digits, ' +
  'underscores, periods, and dashes. A tag must not start with a period or a dash.';

const RecursiveManage = Type.Object({ content_units: Type.Optional(Type.Array(Type.String())) });
const TagImage = Type.Object({ tag: Type.String(), digest: Type.String() });
const UnTagImage = Type.Object({ tag: Type.String() });
const RemoveImage = Type.Object({ digest: Type.String() });
const copySource = {
  source_repository: Type.Optional(Type.String()),
  source_repository_version: Type.Optional(Type.String()),
};
const TagCopy = Type.Object({ ...copySource, names: Type.Optional(Type.Array(Type.String())) });
const ManifestCopy = Type.Object({
  ...copySource,
  digests: Type.Optional(Type.Array(Type.String())),
  media_types: Type.Optional(Type.Array(Type.Union(MANIFEST_MEDIA_TYPES.map((m) => Type.Literal(m))))),
});

export const repositoryActionComponents: ComponentSchema[] = [
  { name: 'RecursiveManage', schema: RecursiveManage },
  { name: 'TagImage', schema: TagImage },
  { name: 'UnTagImage', schema: UnTagImage },
  { name: 'RemoveImage', schema: RemoveImage },
  { name: 'TagCopy', schema: TagCopy },
  { name: 'ManifestCopy', schema: ManifestCopy },
];

const signingService = {
  manifest_signing_service: Type.Optional(
    nullable(Type.String({ description: 'Not supported: signing services are not implemented.' })),
  ),
};

function refuseSigningService(body: Record<string, unknown>): void {
  if (body.manifest_signing_service !== undefined && body.manifest_signing_service !== null)
    throw new ValidationError({ manifest_signing_service: ['Signing services are not supported.'] });
}

/** Content ids of hrefs or PRNs (any container content type); 400 naming those that do not exist. */
async function contentIds(ctx: RequestContext, refs: string[]): Promise<string[]> {
  const ids = refs.map(
    (r) => parsePrn(r)?.pk ?? /\/content\/container\/[a-z]+\/([0-9a-f-]{36})\/$/.exec(hrefPath(r) ?? '')?.[1] ?? '',
  );
  const valid = ids.filter(isUuid);
  const { rows } = await sql<{ id: string }>`SELECT pulp_id::text AS id FROM content
    WHERE pulp_id = ANY(${valid}::uuid[]) AND pulp_type = ANY(${CONTENT_TYPES}::text[])`.execute(ctx.services.db);
  const found = new Set(rows.map((r) => r.id));
  const missing = refs.filter((_, i) => !found.has(ids[i] ?? ''));
  if (missing.length > 0)
    throw new ValidationError([`Could not find the following content units: ${missing.join(', ')}`]);
  if (valid.length > 0)
    await sql`UPDATE content SET timestamp_of_interest = clock_timestamp() WHERE pulp_id = ANY(${valid}::uuid[])`.execute(
      ctx.services.db,
    );
  return ids;
}

function validTag(value: unknown): string {
  if (typeof value !== 'string' || !isValidTag(value)) throw new ValidationError({ tag: [TAG_MESSAGE] });
  return value;
}

const versionLabel = (repo: RepositoryRow) => `<Repository: ${repo.name}; Version: ${repo.latest ?? 0}>`;

/** The latest version's manifest of that digest, or Pulp's 400. */
async function manifestInLatest(ctx: RequestContext, repo: RepositoryRow, digest: unknown): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    SELECT m.content_id AS id FROM container_manifest m
    JOIN repository_content rc ON rc.content_id = m.content_id AND rc.repository_id = ${repo.pulp_id}
      AND rc.version_removed IS NULL
    WHERE m.digest = ${String(digest)}`.execute(ctx.services.db);
  if (!rows[0])
    throw new ValidationError({
      non_field_errors: [
        `A manifest with the digest '${String(digest)}' does not exist in the latest repository version '${versionLabel(repo)}'`,
      ],
    });
  return rows[0].id;
}

async function tagInLatest(ctx: RequestContext, repo: RepositoryRow, tag: string): Promise<void> {
  const { rows } = await sql`SELECT 1 FROM container_tag t
    JOIN repository_content rc ON rc.content_id = t.content_id AND rc.repository_id = ${repo.pulp_id}
      AND rc.version_removed IS NULL
    WHERE t.name = ${tag}`.execute(ctx.services.db);
  if (rows.length === 0)
    throw new ValidationError({
      non_field_errors: [`The tag '${tag}' does not exist in the latest repository version '${versionLabel(repo)}'`],
    });
}

/** The copy source: a repository's latest version or a version, exactly one of them. */
async function copySourceVersion(ctx: RequestContext): Promise<{ repositoryId: string; number: number; lock: string }> {
  const repo = ctx.body.source_repository;
  const version = ctx.body.source_repository_version;
  if (!repo && !version)
    throw new ValidationError({
      non_field_errors: ["Either the 'repository' or 'repository_version' needs to be specified"],
    });
  if (repo && version)
    throw new ValidationError({
      non_field_errors: ["Either the 'repository' or 'repository_version' need to be specified but not both."],
    });
  let repositoryId: string;
  let number: number;
  if (version) {
    const ref = await resolveVersionReference(
      ctx.services.db,
      'source_repository_version',
      typeof version === 'string' ? version : '',
    );
    repositoryId = ref.repositoryId;
    number = ref.number;
  } else {
    repositoryId = await resolveReference(ctx, 'source_repository', repo, 'repository', [REPOSITORY_TYPE]);
    number = (await latestVersionNumber(ctx.services.db, repositoryId)) ?? 0;
  }
  const { rows } = await sql<{ pulp_type: string }>`
    SELECT pulp_type FROM repository WHERE pulp_id = ${repositoryId}`.execute(ctx.services.db);
  return { repositoryId, number, lock: lockName(rows[0]?.pulp_type ?? REPOSITORY_TYPE, 'repository', repositoryId) };
}

async function ids(ctx: RequestContext, query: RawBuilder<{ id: string }>): Promise<string[]> {
  return (await query.execute(ctx.services.db)).rows.map((r) => r.id);
}

function action(
  typed: TypedRepository,
  name: string,
  component: string,
  schema: import('@sinclair/typebox').TObject,
  handle: (ctx: RequestContext, repo: RepositoryRow) => Promise<import('../../plugin-api/index.js').Reply>,
): Operation {
  const { endpoint, placeholder, opIdPrefix, tag } = typed.names;
  return {
    method: 'POST',
    url: `${endpoint}/:repository_pk/${name}/`,
    pathKey: `${placeholder}${name}/`,
    operationId: `${opIdPrefix}_${name}`,
    tag,
    body: { name: component, schema },
    responses: { 202: { schema: 'AsyncOperationResponse' } },
    access: { viewset: endpoint, action: name },
    async handle(ctx) {
      return handle(ctx, await typed.load(ctx));
    },
  };
}

function tagOperations(typed: TypedRepository): Operation[] {
  const exclusive = (repo: RepositoryRow) => ({ exclusiveResources: [typed.lock(repo.pulp_id)] });
  return [
    action(typed, 'tag', 'TagImage', TagImage, async (ctx, repo) => {
      const tag = validTag(ctx.body.tag);
      const manifest = await manifestInLatest(ctx, repo, ctx.body.digest);
      return dispatchReply(ctx, TAG_TASK, { manifest_pk: manifest, tag, repository_pk: repo.pulp_id }, exclusive(repo));
    }),
    action(typed, 'untag', 'UnTagImage', UnTagImage, async (ctx, repo) => {
      const tag = validTag(ctx.body.tag);
      await tagInLatest(ctx, repo, tag);
      return dispatchReply(ctx, UNTAG_TASK, { tag, repository_pk: repo.pulp_id }, exclusive(repo));
    }),
  ];
}

function manageOperations(typed: TypedRepository): Operation[] {
  const exclusive = (repo: RepositoryRow) => ({ exclusiveResources: [typed.lock(repo.pulp_id)] });
  const units = (ctx: RequestContext) => {
    const list = (ctx.body.content_units as string[] | undefined) ?? [];
    if (list.includes('*') && list.length > 1)
      throw new ValidationError({
        non_field_errors: [`'*' should be the only item present in the ${JSON.stringify(list)}`],
      });
    return list;
  };
  return [
    action(typed, 'add', 'RecursiveManage', RecursiveManage, async (ctx, repo) => {
      const added = await contentIds(ctx, units(ctx));
      return dispatchReply(
        ctx,
        RECURSIVE_ADD_TASK,
        { repository_pk: repo.pulp_id, content_units: [...new Set(added)] },
        exclusive(repo),
      );
    }),
    action(typed, 'remove', 'RecursiveManage', RecursiveManage, async (ctx, repo) => {
      const list = units(ctx);
      const removed = list.includes('*') ? ['*'] : await contentIds(ctx, list);
      return dispatchReply(
        ctx,
        RECURSIVE_REMOVE_TASK,
        { repository_pk: repo.pulp_id, content_units: [...new Set(removed)] },
        exclusive(repo),
      );
    }),
    action(typed, 'copy_tags', 'TagCopy', TagCopy, async (ctx, repo) => {
      const source = await copySourceVersion(ctx);
      const names = ctx.body.names as string[] | undefined;
      const units = await ids(
        ctx,
        sql<{ id: string }>`SELECT t.content_id AS id FROM container_tag t
          JOIN repository_content rc ON rc.content_id = t.content_id AND rc.repository_id = ${source.repositoryId}
            AND rc.version_added <= ${source.number} AND (rc.version_removed IS NULL OR rc.version_removed > ${source.number})
          WHERE ${names === undefined} OR t.name = ANY(${names ?? []}::text[])`,
      );
      return dispatchReply(
        ctx,
        RECURSIVE_ADD_TASK,
        { repository_pk: repo.pulp_id, content_units: units },
        { exclusiveResources: [typed.lock(repo.pulp_id)], sharedResources: [source.lock] },
      );
    }),
    action(typed, 'copy_manifests', 'ManifestCopy', ManifestCopy, async (ctx, repo) => {
      const source = await copySourceVersion(ctx);
      const digests = ctx.body.digests as string[] | undefined;
      const mediaTypes = ctx.body.media_types as string[] | undefined;
      const units = await ids(
        ctx,
        sql<{ id: string }>`SELECT m.content_id AS id FROM container_manifest m
          JOIN repository_content rc ON rc.content_id = m.content_id AND rc.repository_id = ${source.repositoryId}
            AND rc.version_added <= ${source.number} AND (rc.version_removed IS NULL OR rc.version_removed > ${source.number})
          WHERE (${digests === undefined} OR m.digest = ANY(${digests ?? []}::text[]))
            AND (${mediaTypes === undefined} OR m.media_type = ANY(${mediaTypes ?? []}::text[]))`,
      );
      return dispatchReply(
        ctx,
        RECURSIVE_ADD_TASK,
        { repository_pk: repo.pulp_id, content_units: units },
        { exclusiveResources: [typed.lock(repo.pulp_id)], sharedResources: [source.lock] },
      );
    }),
  ];
}

/**
 * `repositories/container/container/`: a mirror (sync from a container remote) whose content is managed
 * recursively (`add`/`remove` bring and take what units reference), tagged, and copied from other repositories.
 */
export const containerRepository: TypedRepository = defineRepositoryType({
  app: 'container',
  type: 'container',
  model: 'ContainerRepository',
  contentTypes: CONTENT_TYPES,
  remoteTypes: [REPOSITORY_TYPE],
  fields: signingService,
  modify: false,
  sync: {
    task: SYNC_TASK,
    component: 'ContainerRepositorySyncURL',
    fields: { signed_only: Type.Optional(Type.Boolean({ default: false })) },
    validate: (_repo, body) => refuseSigningService(body),
    args: (body) => ({ signed_only: body.signed_only === true }),
  },
  finalizeVersion: (trx, repositoryId, number) => finalizeContainerVersion(trx, repositoryId, number),
  extraOperations: (typed) => [...manageOperations(typed), ...tagOperations(typed)],
});

const pushTyped: TypedRepository = defineRepositoryType({
  app: 'container',
  type: 'container-push',
  model: 'ContainerPushRepository',
  contentTypes: CONTENT_TYPES,
  remoteTypes: [],
  fields: signingService,
  modify: false,
  finalizeVersion: (trx, repositoryId, number) => finalizeContainerVersion(trx, repositoryId, number),
  extraOperations: (typed) => [
    ...tagOperations(typed),
    action(typed, 'remove_image', 'RemoveImage', RemoveImage, async (ctx, repo) => {
      const manifest = await manifestInLatest(ctx, repo, ctx.body.digest);
      const { rows } = await sql<{ id: string }>`
        SELECT c.content_id AS id FROM (
          SELECT content_id FROM container_tag WHERE tagged_manifest_id = ${manifest}
          UNION SELECT content_id FROM container_manifest_signature WHERE signed_manifest_id = ${manifest}) c
        JOIN repository_content rc ON rc.content_id = c.content_id AND rc.repository_id = ${repo.pulp_id}
          AND rc.version_removed IS NULL`.execute(ctx.services.db);
      return dispatchReply(
        ctx,
        RECURSIVE_REMOVE_TASK,
        { repository_pk: repo.pulp_id, content_units: [...rows.map((r) => r.id), manifest] },
        { exclusiveResources: [typed.lock(repo.pulp_id)] },
      );
    }),
  ],
});

/**
 * `repositories/container/container-push/`: what pushes create. No create or delete (a push creates one, its
 * distribution's deletion deletes it), as pulp_container's ContainerPushRepositoryViewSet.
 */
export const pushRepository: TypedRepository = {
  ...pushTyped,
  operations: () =>
    pushTyped.operations().filter((op) => !/_(create|delete)$/.test(op.operationId) || op.url.includes('/versions/')),
};
