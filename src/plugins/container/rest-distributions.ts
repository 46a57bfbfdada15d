import { Type, type TSchema } from '@sinclair/typebox';
import { sql } from 'kysely';

import {
  defineDistributionType,
  hrefPath,
  typedHref,
  ValidationError,
  type DistributionRow,
  type Operation,
  type ResourceTypeDefinition,
  type Services,
  type TaskContext,
  type TypedDistribution,
} from '../../plugin-api/index.js';
import { namespaceOf } from './names.js';
import { ensureNamespace, redirectGuardId } from './push-target.js';
import {
  DISTRIBUTION_TYPE,
  PULL_THROUGH_DISTRIBUTION_TYPE,
  PULL_THROUGH_REMOTE_TYPE,
  PUSH_REPOSITORY_TYPE,
  REMOTE_TYPE,
  REPOSITORY_TYPE,
} from './resource-names.js';

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const NAMESPACES = 'pulp_container/namespaces';
// pulp_container's VALID_BASE_PATH_REGEX, per path component.
const BASE_PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;

const commonFields = {
  private: Type.Optional(
    Type.Boolean({ default: false, description: 'Restrict pull access to explicitly authorized users.' }),
  ),
  description: Type.Optional(nullable(Type.String({ default: null, description: 'An optional description.' }))),
};

function checkBasePath(merged: Record<string, unknown>): Record<string, string[]> | undefined {
  const value = merged.base_path;
  if (typeof value !== 'string') return undefined;
  if (value.length > 255) return { base_path: ['The entered base path cannot be longer than 255 characters.'] };
  if (!value.split('/').every((p) => BASE_PATH_COMPONENT.test(p)))
    return { base_path: ['The provided base path contains forbidden characters.'] };
  return undefined;
}

const namespaceHref = (services: Services, row: DistributionRow) => {
  const id = row.detail.namespace_id;
  return typeof id === 'string' ? `${services.apiPrefix}${NAMESPACES}/${id}/` : null;
};

/**
 * The registry name clients pull: `<host>/<base_path>`. Pulp takes the host of the API request; serializers here
 * see no request, so the host is CONTENT_ORIGIN's (the registry and the content app share the name in usual
 * deployments), or nothing without one, as Pulp answers outside a request.
 */
function registryPath(services: Services, row: DistributionRow): string {
  const origin = services.settings.CONTENT_ORIGIN;
  if (!origin) return row.base_path;
  try {
    return `${new URL(origin).host}/${row.base_path}`;
  } catch {
    return row.base_path;
  }
}

/** Column values of a create or update as the generic tasks get them (`detail` may be JSON text). */
function detailOf(data: Record<string, unknown>): Record<string, unknown> {
  const d = data.detail;
  if (typeof d === 'string') return JSON.parse(d) as Record<string, unknown>;
  return (d as Record<string, unknown> | undefined) ?? {};
}

const json = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v);

/**
 * pulp_container's distribution validation, run where the generic create/update applies it: the base path's
 * first component is the namespace (created when missing), and without a content guard the shared
 * content-redirect guard is attached.
 */
function withNamespaceHooks(typed: TypedDistribution, pulpType: string): ResourceTypeDefinition {
  return {
    ...typed.resourceType,
    async create(ctx: TaskContext, data: Record<string, unknown>): Promise<string> {
      const db = ctx.services.db;
      const namespace = await ensureNamespace(db, namespaceOf(String(data.base_path)));
      const guard = data.content_guard_id ?? (await redirectGuardId(db));
      const detail = { ...detailOf(data), namespace_id: namespace.id };
      const values = { ...data, content_guard_id: guard, detail, pulp_type: pulpType };
      const row = await db
        .insertInto('distribution')
        .values(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, json(v)])) as never)
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      return row.pulp_id;
    },
    async update(ctx: TaskContext, id: string, data: Record<string, unknown>): Promise<void> {
      const db = ctx.services.db;
      const values: Record<string, unknown> = { ...data };
      if (typeof data.base_path === 'string') {
        const namespace = await ensureNamespace(db, namespaceOf(data.base_path));
        const current = await db
          .selectFrom('distribution')
          .select('detail')
          .where('pulp_id', '=', id)
          .executeTakeFirst();
        values.detail = {
          ...(current?.detail ?? {}),
          ...('detail' in data ? detailOf(data) : {}),
          namespace_id: namespace.id,
        };
      }
      if ('content_guard_id' in data && data.content_guard_id === null)
        values.content_guard_id = await redirectGuardId(db);
      await db
        .updateTable('distribution')
        .set({
          ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, json(v)])),
          pulp_last_updated: sql`clock_timestamp()`,
        } as never)
        .where('pulp_id', '=', id)
        .where('pulp_type', '=', pulpType)
        .execute();
    },
  };
}

/** A push repository's versions are never distributed by version (Pulp refuses it too). */
function refusePushVersions(ops: Operation[]): Operation[] {
  return ops.map((op) =>
    /_(create|update|partial_update)$/.test(op.operationId)
      ? {
          ...op,
          async handle(ctx) {
            const v = ctx.body.repository_version;
            if (typeof v === 'string' && /\/repositories\/container\/container-push\//.test(hrefPath(v) ?? ''))
              throw new ValidationError({
                non_field_errors: [
                  'A container push repository cannot be distributed by specifying a repository version.',
                ],
              });
            return op.handle(ctx);
          },
        }
      : op,
  );
}

const typedContainer = defineDistributionType({
  app: 'container',
  type: 'container',
  model: 'ContainerDistribution',
  repositoryTypes: [REPOSITORY_TYPE, PUSH_REPOSITORY_TYPE],
  repositoryVersion: true,
  baseUrl: null,
  fields: commonFields,
  readOnlyFields: {
    registry_path: Type.String({ readOnly: true }),
    namespace: nullable(Type.String({ readOnly: true })),
    remote: nullable(Type.String({ readOnly: true })),
  },
  serializeExtra: (services, row) => ({
    registry_path: registryPath(services, row),
    namespace: namespaceHref(services, row),
    remote: row.remote_id
      ? typedHref(row.remote_type ?? REMOTE_TYPE, 'remote', row.remote_id, services.apiPrefix)
      : null,
  }),
  validate: checkBasePath,
  filters: [
    {
      name: 'namespace__name',
      type: 'string',
      apply: (v) =>
        sql<boolean>`(d.detail->>'namespace_id')::uuid IN (SELECT pulp_id FROM container_namespace WHERE name = ${v.at(-1) ?? ''})`,
    },
  ],
});

/**
 * `distributions/container/container/`: a registry name (base_path) serving a repository's latest version
 * or one version; `private`, the namespace and the pull-through remote as pulp_container 2.26 has them.
 */
export const containerDistribution: TypedDistribution = {
  ...typedContainer,
  resourceType: withNamespaceHooks(typedContainer, DISTRIBUTION_TYPE),
  operations: () => refusePushVersions(typedContainer.operations()),
};

const typedPullThrough = defineDistributionType({
  app: 'container',
  type: 'pull-through',
  model: 'ContainerPullThroughDistribution',
  repositoryTypes: [REPOSITORY_TYPE],
  remoteTypes: [PULL_THROUGH_REMOTE_TYPE],
  baseUrl: null,
  fields: commonFields,
  readOnlyFields: {
    namespace: nullable(Type.String({ readOnly: true })),
    distributions: Type.Array(Type.String(), { readOnly: true }),
  },
  serializeExtra: (services, row) => ({ namespace: namespaceHref(services, row), distributions: [] }),
  validate: checkBasePath,
});

/** Distributions a pull-through distribution created, by its id (serialized with it). */
async function createdThrough(services: Services, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const { rows } = await sql<{ pt: string; id: string }>`
    SELECT detail->>'pull_through_distribution_id' AS pt, pulp_id AS id FROM distribution
    WHERE pulp_type = ${DISTRIBUTION_TYPE} AND detail->>'pull_through_distribution_id' = ANY(${ids}::text[])
    ORDER BY pulp_created`.execute(services.db);
  for (const r of rows)
    out.set(r.pt, [...(out.get(r.pt) ?? []), typedHref(DISTRIBUTION_TYPE, 'distribution', r.id, services.apiPrefix)]);
  return out;
}

/**
 * `distributions/container/pull-through/`: a base path below which a first pull of `<base_path>/<name>`
 * creates a distribution caching `<name>` from the pull-through remote.
 */
export const pullThroughDistribution: TypedDistribution = {
  ...typedPullThrough,
  resourceType: {
    ...withNamespaceHooks(typedPullThrough, PULL_THROUGH_DISTRIBUTION_TYPE),
    async serialize(services, ids) {
      const rows = await typedPullThrough.byIds(services, ids);
      const created = await createdThrough(services, ids);
      return rows.map((r) => ({
        ...typedPullThrough.serialize(services, r),
        distributions: created.get(r.pulp_id) ?? [],
      }));
    },
  },
  operations: () =>
    typedPullThrough.operations().map((op) =>
      op.method === 'GET'
        ? {
            ...op,
            async handle(ctx) {
              const reply = await op.handle(ctx);
              const body = reply.body as { results?: Record<string, unknown>[] } & Record<string, unknown>;
              const items = body && Array.isArray(body.results) ? body.results : body ? [body] : [];
              const ids = items.map(
                (i) => /([0-9a-f-]{36})\/$/.exec(typeof i.pulp_href === 'string' ? i.pulp_href : '')?.[1] ?? '',
              );
              const created = await createdThrough(ctx.services, ids.filter(Boolean));
              items.forEach((item, k) => {
                if ('distributions' in item) item.distributions = created.get(ids[k] ?? '') ?? [];
              });
              return reply;
            },
          }
        : op,
    ),
};
