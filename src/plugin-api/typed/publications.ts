import { OptionalKind, type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { hrefPath } from '../../core/ids.js';
import { dispatchReply } from '../dispatch-reply.js';
import { dateTimeFilters, exactFilter, type Filter, type FilterSet, identityFilters } from '../filters.js';
import { listResponse } from '../list.js';
import type { ComponentSchema, Operation, RequestContext, Services } from '../operations.js';
import { latestVersionNumber } from '../repository-versions.js';
import { baseFields, BaseFieldsSchema } from '../resource-fields.js';
import { type ResourceTypeDefinition, typedHref } from '../resource-types.js';
import { lockName, resolveReference, routeId } from './common.js';
import { type TypeNames, type TypeNaming, typeNames } from './naming.js';

export interface PublicationRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  checkpoint: boolean;
  detail: Record<string, unknown>;
  repository_id: string;
  repository_type: string;
  number: number;
  distributions: Array<{ id: string; type: string }> | null;
}

export interface PublicationTypeSpec extends TypeNaming {
  /** Repository types a publication may be made of. */
  repositoryTypes: string[];
  /** Task that publishes (`pulp_file.app.tasks.publishing.publish`); it receives `repository_version_pk`. */
  publishTask: string;
  /** Plugin fields stored in `detail` (the task reads them from its arguments), with defaults. */
  fields?: TProperties;
  /** Whether it has `checkpoint` (core 3.74). */
  checkpoint?: boolean;
  filters?: Filter[];
  extraOperations?(publication: TypedPublication): Operation[];
}

export interface TypedPublication {
  names: TypeNames;
  resourceType: ResourceTypeDefinition;
  components: ComponentSchema[];
  operations(): Operation[];
  serialize(services: Services, row: PublicationRow): Record<string, unknown>;
  byIds(services: Services, ids: string[]): Promise<PublicationRow[]>;
}

/**
 * A plugin field as a response shows it: always present and nullable (a union that already admits null is kept,
 * so the document has one `anyOf`, not one nested in another); the default stays, as drf-spectacular shows it.
 */
function responseField(field: TSchema): TSchema {
  const { [OptionalKind]: _optional, ...schema } = field as TSchema & { [OptionalKind]?: string };
  const admitsNull = Array.isArray(schema.anyOf) && schema.anyOf.some((s: TSchema) => s.type === 'null');
  return admitsNull ? schema : Type.Union([schema as TSchema, Type.Null()]);
}

function defaultsOf(fields: TProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(fields)) if (s.default !== undefined) out[k] = s.default;
  return out;
}

/** A version href (`<repo href>versions/<n>/`) of one of `types` -> version and repository ids, or a 400. */
async function resolveVersion(
  ctx: RequestContext,
  field: string,
  value: unknown,
  types: string[],
): Promise<{ id: string; repositoryId: string; repositoryType: string }> {
  const m = /\/([0-9a-f-]{36})\/versions\/(\d+)\/$/.exec(hrefPath(String(value)) ?? '');
  const v = m
    ? await ctx.services.db
        .selectFrom('repository_version as v')
        .innerJoin('repository as r', 'r.pulp_id', 'v.repository_id')
        .select(['v.pulp_id', 'v.repository_id', 'r.pulp_type'])
        .where('v.repository_id', '=', m[1]!)
        .where('v.number', '=', Number(m[2]))
        .where('v.complete', '=', true)
        .where('r.pulp_type', 'in', types)
        .executeTakeFirst()
    : undefined;
  if (!v) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  return { id: v.pulp_id, repositoryId: v.repository_id, repositoryType: v.pulp_type };
}

/** A publication type's REST endpoints: list, create (the publish task), read, delete. */
export function definePublicationType(spec: PublicationTypeSpec): TypedPublication {
  const names = typeNames('publication', spec);
  const { pulpType, model, endpoint, placeholder, tag, component, opIdPrefix, prnModel } = names;
  const extra = spec.fields ?? {};
  const defaults = defaultsOf(extra);
  const requestSchema = Type.Object({
    repository: Type.Optional(Type.String()),
    repository_version: Type.Optional(Type.String()),
    ...extra,
    ...(spec.checkpoint ? { checkpoint: Type.Optional(Type.Boolean()) } : {}),
  });
  const responseSchema = Type.Object({
    ...BaseFieldsSchema,
    repository_version: Type.String({ format: 'uri' }),
    repository: Type.String({ format: 'uri' }),
    distributions: Type.Array(Type.String({ format: 'uri' }), { readOnly: true }),
    ...Object.fromEntries(Object.entries(extra).map(([k, s]) => [k, responseField(s)])),
    ...(spec.checkpoint ? { checkpoint: Type.Boolean() } : {}),
  }) as TObject;

  function select(services: Services) {
    return services.db
      .selectFrom('publication as p')
      .innerJoin('repository_version as v', 'v.pulp_id', 'p.repository_version_id')
      .innerJoin('repository as r', 'r.pulp_id', 'v.repository_id')
      .select([
        'p.pulp_id',
        'p.pulp_created',
        'p.pulp_last_updated',
        'p.checkpoint',
        'p.detail',
        'v.repository_id',
        'v.number',
      ])
      .select('r.pulp_type as repository_type')
      .select(
        sql<Array<{
          id: string;
          type: string;
        }> | null>`(SELECT json_agg(json_build_object('id', d.pulp_id, 'type', d.pulp_type)
          ORDER BY d.pulp_created) FROM distribution d WHERE d.publication_id = p.pulp_id)`.as('distributions'),
      )
      .where('p.pulp_type', '=', pulpType)
      .where('p.complete', '=', true);
  }

  function serialize(services: Services, r: PublicationRow): Record<string, unknown> {
    const repo = typedHref(r.repository_type, 'repository', r.repository_id, services.apiPrefix);
    const detail = { ...defaults, ...(r.detail ?? {}) };
    return {
      ...baseFields(r, `${services.apiPrefix}${endpoint}/${r.pulp_id}/`, prnModel),
      repository_version: `${repo}versions/${r.number}/`,
      repository: repo,
      distributions: (r.distributions ?? []).map((d) => typedHref(d.type, 'distribution', d.id, services.apiPrefix)),
      ...Object.fromEntries(Object.keys(extra).map((k) => [k, detail[k] ?? null])),
      ...(spec.checkpoint ? { checkpoint: r.checkpoint } : {}),
    };
  }

  async function byIds(services: Services, ids: string[]): Promise<PublicationRow[]> {
    if (ids.length === 0) return [];
    return await select(services).where('p.pulp_id', 'in', ids).execute();
  }

  async function load(ctx: RequestContext): Promise<PublicationRow> {
    const row = await select(ctx.services).where('p.pulp_id', '=', routeId(ctx, model)).executeTakeFirst();
    if (!row) throw new NotFoundError(`No ${model} matches the given query.`);
    return row;
  }

  const filterSet: FilterSet = {
    filters: [
      ...dateTimeFilters('pulp_created', 'p.pulp_created'),
      ...identityFilters('p.pulp_id'),
      ...(spec.checkpoint ? [exactFilter('checkpoint', 'p.checkpoint', 'boolean')] : []),
      {
        name: 'repository_version',
        type: 'string',
        apply: (v) => {
          const m = /\/([0-9a-f-]{36})\/versions\/(\d+)\/$/.exec(hrefPath(v[v.length - 1] ?? '') ?? '');
          if (!m) throw new ValidationError({ repository_version: ['Invalid hyperlink - Object does not exist.'] });
          return sql<boolean>`(v.repository_id = ${m[1]} AND v.number = ${Number(m[2])})`;
        },
      },
      {
        name: 'repository',
        type: 'string',
        apply: (v) => {
          const m = /([0-9a-f-]{36})\/?$/.exec(v[v.length - 1] ?? '');
          return m ? sql<boolean>`v.repository_id = ${m[1]}` : sql<boolean>`false`;
        },
      },
      ...(spec.filters ?? []),
    ],
    ordering: ['pulp_created', 'pulp_last_updated'],
    orderingColumns: { pulp_created: 'p.pulp_created', pulp_last_updated: 'p.pulp_last_updated' },
  };
  const access = (action: string) => ({ viewset: endpoint, action });

  const resourceType: ResourceTypeDefinition = {
    kind: 'publication',
    pulpType,
    endpoint,
    prnModel,
    modelName: model,
    async serialize(services, ids) {
      return (await byIds(services, ids)).map((r) => serialize(services, r));
    },
  };

  const typed: TypedPublication = {
    names,
    resourceType,
    serialize,
    byIds,
    components: [
      { name: component, schema: requestSchema },
      { name: `${component}Response`, schema: responseSchema },
    ],
    operations(): Operation[] {
      const byId = `${endpoint}/:pulp_id/`;
      return [
        {
          method: 'GET',
          url: `${endpoint}/`,
          pathKey: `${endpoint}/`,
          operationId: `${opIdPrefix}_list`,
          tag,
          filters: filterSet,
          responses: { 200: { schema: `Paginated${component}ResponseList` } },
          access: access('list'),
          async handle(ctx) {
            return listResponse(ctx, select(ctx.services), {
              filterSet,
              tableAlias: 'p',
              serialize: (rows) => rows.map((r) => serialize(ctx.services, r as PublicationRow)),
            });
          },
        },
        {
          method: 'POST',
          url: `${endpoint}/`,
          pathKey: `${endpoint}/`,
          operationId: `${opIdPrefix}_create`,
          tag,
          body: { name: component, schema: requestSchema },
          responses: { 202: { schema: 'AsyncOperationResponse' } },
          access: access('create'),
          async handle(ctx) {
            const { repository, repository_version: version } = ctx.body;
            if ((repository === undefined) === (version === undefined)) {
              throw new ValidationError({
                non_field_errors: [
                  "Either the 'repository' or 'repository_version' need to be specified but not both.",
                ],
              });
            }
            let versionId: string;
            let repositoryId: string;
            let repositoryType: string;
            if (repository !== undefined) {
              repositoryId = await resolveReference(ctx, 'repository', repository, 'repository', spec.repositoryTypes);
              const n = await latestVersionNumber(ctx.services.db, repositoryId);
              const v = await ctx.services.db
                .selectFrom('repository_version as v')
                .innerJoin('repository as r', 'r.pulp_id', 'v.repository_id')
                .select(['v.pulp_id', 'r.pulp_type'])
                .where('v.repository_id', '=', repositoryId)
                .where('v.number', '=', n ?? 0)
                .executeTakeFirst();
              if (!v)
                throw new ValidationError({ repository: ['This repository has no version available to publish.'] });
              versionId = v.pulp_id;
              repositoryType = v.pulp_type;
            } else {
              ({
                id: versionId,
                repositoryId,
                repositoryType,
              } = await resolveVersion(ctx, 'repository_version', version, spec.repositoryTypes));
            }
            const fields = Object.fromEntries(
              Object.keys(extra).map((k) => [k, ctx.body[k] === undefined ? (defaults[k] ?? null) : ctx.body[k]]),
            );
            return dispatchReply(
              ctx,
              spec.publishTask,
              {
                repository_version_pk: versionId,
                ...fields,
                ...(spec.checkpoint ? { checkpoint: ctx.body.checkpoint === true } : {}),
              },
              { sharedResources: [lockName(repositoryType, 'repository', repositoryId)] },
            );
          },
        },
        {
          method: 'GET',
          url: byId,
          pathKey: placeholder,
          operationId: `${opIdPrefix}_read`,
          tag,
          responses: { 200: { schema: `${component}Response` } },
          access: access('retrieve'),
          async handle(ctx) {
            return { status: 200, body: serialize(ctx.services, await load(ctx)) };
          },
        },
        {
          method: 'DELETE',
          url: byId,
          pathKey: placeholder,
          operationId: `${opIdPrefix}_delete`,
          tag,
          responses: { 204: {} },
          access: access('destroy'),
          async handle(ctx) {
            const row = await load(ctx);
            await ctx.services.db.deleteFrom('publication').where('pulp_id', '=', row.pulp_id).execute();
            return { status: 204 };
          },
        },
        ...(spec.extraOperations?.(typed) ?? []),
      ];
    },
  };
  return typed;
}
