import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { type Selectable, type Transaction } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { DB, RepositoryTable } from '../../db/tables.js';
import { dispatchReply } from '../dispatch-reply.js';
import { type Filter, type FilterSet, identityFilters, labelSelectFilter, nameFilters } from '../filters.js';
import { listResponse } from '../list.js';
import type { ComponentSchema, Operation, RequestContext, Services } from '../operations.js';
import { repositoryVersionOperations } from '../repository-version-operations.js';
import { createInitialVersion } from '../repository-versions.js';
import { baseFields, BaseFieldsSchema, labelOperations, LabelsSchema, validateLabels } from '../resource-fields.js';
import { type ResourceTypeDefinition, typedHref } from '../resource-types.js';
import type { TaskContext } from '../tasks.js';
import {
  changedFrom,
  checkUniqueName,
  dispatchGeneric,
  GENERAL_DELETE,
  GENERAL_UPDATE,
  lockName,
  resolveReference,
  routeId,
} from './common.js';
import { type TypeNames, type TypeNaming, typeNames } from './naming.js';
import { modifyComponents, modifyOperation } from './repository-modify.js';

export type RepositoryRow = Selectable<RepositoryTable> & { latest: number | null; remote_type: string | null };

export interface RepositorySyncSpec {
  /** Task name (`pulp_file.app.tasks.synchronizing.synchronize`). */
  task: string;
  /** Component name of the body (`FileRepositorySyncURL`, `RepositorySyncURL`). */
  component: string;
  /** Body fields beyond `remote` and `mirror` (with defaults). */
  fields?: TProperties;
  /** Whether the body has `mirror` (default true). */
  mirror?: boolean;
  /** Checks before dispatch; throws a ValidationError to refuse. */
  validate?: (repo: RepositoryRow, body: Record<string, unknown>) => void;
  /** Task arguments beyond `remote_pk`, `repository_pk` and `mirror`. */
  args?: (body: Record<string, unknown>, repo: RepositoryRow) => Record<string, unknown>;
}

export interface RepositoryTypeSpec extends TypeNaming {
  /** Plugin fields, stored in `detail`; each schema's `default` fills what a create leaves out. */
  fields?: TProperties;
  /** Read-only response fields computed from the row (`last_sync_details`). */
  readOnlyFields?: TProperties;
  serializeExtra?(row: RepositoryRow): Record<string, unknown>;
  /** Remote types accepted for `remote` and sync (default: the plugin's remote of the same `pulp_type`). */
  remoteTypes?: string[];
  /** Content types a version may hold. */
  contentTypes: string[];
  finalizeVersion?(
    trx: Transaction<DB>,
    repositoryId: string,
    number: number,
    options: { overwrite: boolean },
  ): Promise<void>;
  afterVersion?(
    ctx: TaskContext,
    repositoryId: string,
    version: { pulp_id: string; number: number; href: string },
  ): Promise<void>;
  sync?: RepositorySyncSpec;
  /** Whether `modify/` exists (default true). */
  modify?: boolean;
  filters?: Filter[];
  extraOperations?(repository: TypedRepository): Operation[];
}

export interface TypedRepository {
  names: TypeNames;
  resourceType: ResourceTypeDefinition;
  components: ComponentSchema[];
  operations(): Operation[];
  serialize(services: Services, row: RepositoryRow): Record<string, unknown>;
  load(ctx: RequestContext, param?: string): Promise<RepositoryRow>;
  byIds(services: Services, ids: string[]): Promise<RepositoryRow[]>;
  /** PRN naming the repository in task reservations. */
  lock: (id: string) => string;
}

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

function defaultsOf(fields: TProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(fields)) if (s.default !== undefined) out[k] = s.default;
  return out;
}

/**
 * A repository type's REST endpoints: CRUD, labels, `sync/` (when the plugin syncs), `modify/`, and the
 * versions sub-resource, with Pulp's names, filters, task names and reservations.
 */
export function defineRepositoryType(spec: RepositoryTypeSpec): TypedRepository {
  const names = typeNames('repository', spec);
  const { pulpType, model, endpoint, placeholder, tag, component, opIdPrefix, prnModel } = names;
  const remoteTypes = spec.remoteTypes ?? [pulpType];
  const extra = spec.fields ?? {};
  const defaults = defaultsOf(extra);
  const writable: TProperties = {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(nullable(Type.String())),
    pulp_labels: Type.Optional(LabelsSchema),
    retain_repo_versions: Type.Optional(nullable(Type.Integer({ minimum: 1 }))),
    retain_checkpoints: Type.Optional(nullable(Type.Integer({ minimum: 1 }))),
    remote: Type.Optional(nullable(Type.String())),
    ...extra,
  };
  const requestSchema = Type.Object(writable);
  const patchedSchema = Type.Partial(Type.Object(writable));
  const responseSchema = Type.Object({
    ...BaseFieldsSchema,
    versions_href: Type.String({ readOnly: true }),
    latest_version_href: Type.String({ readOnly: true }),
    ...writable,
    ...(spec.readOnlyFields ?? {}),
  }) as TObject;
  const lock = (id: string) => lockName(pulpType, 'repository', id);

  function select(services: Services) {
    return services.db
      .selectFrom('repository')
      .selectAll('repository')
      .select((eb) =>
        eb
          .selectFrom('repository_version as lv')
          .select((e) => e.fn.max('lv.number').as('m'))
          .whereRef('lv.repository_id', '=', 'repository.pulp_id')
          .where('lv.complete', '=', true)
          .as('latest'),
      )
      .select((eb) =>
        eb
          .selectFrom('remote as rr')
          .select('rr.pulp_type')
          .whereRef('rr.pulp_id', '=', 'repository.remote_id')
          .as('remote_type'),
      )
      .where('repository.pulp_type', '=', pulpType)
      .where('repository.user_hidden', '=', false);
  }

  function serialize(services: Services, r: RepositoryRow): Record<string, unknown> {
    const href = `${services.apiPrefix}${endpoint}/${r.pulp_id}/`;
    const detail = { ...defaults, ...(r.detail ?? {}) };
    return {
      ...baseFields(r, href, prnModel),
      versions_href: `${href}versions/`,
      pulp_labels: r.pulp_labels,
      latest_version_href: `${href}versions/${r.latest ?? 0}/`,
      name: r.name,
      description: r.description,
      retain_repo_versions: r.retain_repo_versions,
      retain_checkpoints: r.retain_checkpoints,
      remote: r.remote_id
        ? typedHref(r.remote_type ?? remoteTypes[0] ?? pulpType, 'remote', r.remote_id, services.apiPrefix)
        : null,
      ...Object.fromEntries(Object.keys(extra).map((k) => [k, detail[k] ?? null])),
      ...(spec.serializeExtra?.(r) ?? {}),
    };
  }

  async function load(ctx: RequestContext, param = 'repository_pk'): Promise<RepositoryRow> {
    const row = await select(ctx.services)
      .where('repository.pulp_id', '=', routeId(ctx, model, param))
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`No ${model} matches the given query.`);
    return row;
  }

  async function byIds(services: Services, ids: string[]): Promise<RepositoryRow[]> {
    if (ids.length === 0) return [];
    return select(services).where('repository.pulp_id', 'in', ids).execute();
  }

  async function columns(
    ctx: RequestContext,
    body: Record<string, unknown>,
    current?: RepositoryRow,
  ): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const k of ['name', 'description', 'retain_repo_versions', 'retain_checkpoints'] as const)
      if (k in body) out[k] = body[k];
    if ('pulp_labels' in body) out.pulp_labels = JSON.stringify(validateLabels(body.pulp_labels));
    if ('remote' in body)
      out.remote_id =
        body.remote === null ? null : await resolveReference(ctx, 'remote', body.remote, 'remote', remoteTypes);
    const detail: Record<string, unknown> = { ...defaults, ...(current?.detail ?? {}) };
    for (const k of Object.keys(extra)) if (k in body) detail[k] = body[k];
    out.detail = JSON.stringify(detail);
    return out;
  }

  const filterSet: FilterSet = {
    filters: [
      ...nameFilters('name', 'repository.name'),
      labelSelectFilter('repository.pulp_labels'),
      ...identityFilters('repository.pulp_id'),
      ...(spec.filters ?? []),
    ],
    ordering: ['name', 'pulp_last_updated', 'description', 'next_version', 'retain_repo_versions', 'user_hidden'],
  };
  const access = (action: string) => ({ viewset: endpoint, action });

  function updateOperation(method: 'PUT' | 'PATCH'): Operation {
    return {
      method,
      url: `${endpoint}/:repository_pk/`,
      pathKey: placeholder,
      operationId: `${opIdPrefix}_${method === 'PUT' ? 'update' : 'partial_update'}`,
      tag,
      body: {
        name: method === 'PUT' ? component : `Patched${component}`,
        schema: method === 'PUT' ? requestSchema : patchedSchema,
      },
      responses: { 200: { schema: `${component}Response` }, 202: { schema: 'AsyncOperationResponse' } },
      access: access(method === 'PUT' ? 'update' : 'partial_update'),
      async handle(ctx) {
        const row = await load(ctx);
        await checkUniqueName(ctx, 'repository', ctx.body.name, row.pulp_id);
        const data = await columns(ctx, ctx.body, row);
        const before = serialize(ctx.services, row);
        const after: RepositoryRow = {
          ...row,
          ...data,
          detail: JSON.parse(data.detail as string) as Record<string, unknown>,
        };
        if ('pulp_labels' in data)
          after.pulp_labels = JSON.parse(data.pulp_labels as string) as Record<string, string | null>;
        if ('remote_id' in data && data.remote_id !== row.remote_id) after.remote_type = null;
        if (
          !changedFrom(before, serialize(ctx.services, after)) &&
          !('remote_id' in data && data.remote_id !== row.remote_id)
        )
          return { status: 200, body: before };
        return dispatchGeneric(
          ctx,
          GENERAL_UPDATE,
          'repository',
          pulpType,
          { pulp_id: row.pulp_id, data, partial: method === 'PATCH' },
          { exclusiveResources: [lock(row.pulp_id)], immediate: true, deferred: true },
        );
      },
    };
  }

  const sync = spec.sync;
  const syncSchema = sync
    ? Type.Object({
        remote: Type.Optional(Type.String()),
        ...(sync.mirror === false ? {} : { mirror: Type.Optional(Type.Boolean({ default: false })) }),
        ...(sync.fields ?? {}),
      })
    : null;

  const resourceType: ResourceTypeDefinition = {
    kind: 'repository',
    pulpType,
    endpoint,
    prnModel,
    modelName: model,
    contentTypes: spec.contentTypes,
    finalizeVersion: spec.finalizeVersion ? (...a) => spec.finalizeVersion!(...a) : undefined,
    afterVersion: spec.afterVersion ? (...a) => spec.afterVersion!(...a) : undefined,
    async serialize(services, ids) {
      return (await byIds(services, ids)).map((r) => serialize(services, r));
    },
  };

  const typed: TypedRepository = {
    names,
    resourceType,
    serialize,
    load,
    byIds,
    lock,
    components: [
      { name: component, schema: requestSchema },
      { name: `Patched${component}`, schema: patchedSchema },
      { name: `${component}Response`, schema: responseSchema },
      ...(syncSchema && sync ? [{ name: sync.component, schema: syncSchema }] : []),
      ...(spec.modify === false ? [] : modifyComponents),
    ],
    operations(): Operation[] {
      const byId = `${endpoint}/:repository_pk/`;
      const ops: Operation[] = [
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
              tableAlias: 'repository',
              serialize: (rows: RepositoryRow[]) => rows.map((r) => serialize(ctx.services, r)),
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
          responses: { 201: { schema: `${component}Response` } },
          access: access('create'),
          async handle(ctx) {
            await checkUniqueName(ctx, 'repository', ctx.body.name);
            const data = await columns(ctx, ctx.body);
            const id = await ctx.services.db.transaction().execute(async (trx) => {
              const row = await trx
                .insertInto('repository')
                .values({ pulp_type: pulpType, ...data } as never)
                .returning('pulp_id')
                .executeTakeFirstOrThrow();
              await createInitialVersion(trx, row.pulp_id);
              return row.pulp_id;
            });
            const [row] = await byIds(ctx.services, [id]);
            return { status: 201, body: serialize(ctx.services, row!) };
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
        updateOperation('PUT'),
        updateOperation('PATCH'),
        {
          method: 'DELETE',
          url: byId,
          pathKey: placeholder,
          operationId: `${opIdPrefix}_delete`,
          tag,
          responses: { 202: { schema: 'AsyncOperationResponse' } },
          access: access('destroy'),
          async handle(ctx) {
            const row = await load(ctx);
            return dispatchGeneric(
              ctx,
              GENERAL_DELETE,
              'repository',
              pulpType,
              { pulp_id: row.pulp_id },
              { exclusiveResources: [lock(row.pulp_id)] },
            );
          },
        },
      ];
      if (sync && syncSchema) {
        ops.push({
          method: 'POST',
          url: `${byId}sync/`,
          pathKey: `${placeholder}sync/`,
          operationId: `${opIdPrefix}_sync`,
          tag,
          body: { name: sync.component, schema: syncSchema },
          responses: { 202: { schema: 'AsyncOperationResponse' } },
          access: access('sync'),
          async handle(ctx) {
            const repo = await load(ctx);
            const remoteId =
              ctx.body.remote !== undefined
                ? await resolveReference(ctx, 'remote', ctx.body.remote, 'remote', remoteTypes)
                : repo.remote_id;
            if (!remoteId)
              throw new ValidationError({
                remote: ['A remote must be specified, or the repository must have a remote.'],
              });
            sync.validate?.(repo, ctx.body);
            const remoteType =
              (
                await ctx.services.db
                  .selectFrom('remote')
                  .select('pulp_type')
                  .where('pulp_id', '=', remoteId)
                  .executeTakeFirst()
              )?.pulp_type ?? pulpType;
            return dispatchReply(
              ctx,
              sync.task,
              {
                remote_pk: remoteId,
                repository_pk: repo.pulp_id,
                ...(sync.mirror === false ? {} : { mirror: ctx.body.mirror === true }),
                ...(sync.args?.(ctx.body, repo) ?? {}),
              },
              {
                exclusiveResources: [lock(repo.pulp_id)],
                sharedResources: [lockName(remoteType, 'remote', remoteId)],
              },
            );
          },
        });
      }
      if (spec.modify !== false) ops.push(modifyOperation(typed, load));
      ops.push(
        ...labelOperations({
          url: `${endpoint}/:pulp_id/`,
          pathKey: placeholder,
          opIdPrefix,
          tag,
          table: 'repository',
          pulpType,
          modelName: model,
          viewset: endpoint,
        }),
        ...repositoryVersionOperations({
          typePath: endpoint,
          pulpType,
          placeholder,
          versionPlaceholder: placeholder.replace(/_href\}$/, '_version_href}'),
          opIdPrefix,
          tag: `${tag} Versions`,
          viewset: `${endpoint}/versions`,
        }),
        ...(spec.extraOperations?.(typed) ?? []),
      );
      return ops;
    },
  };
  return typed;
}
