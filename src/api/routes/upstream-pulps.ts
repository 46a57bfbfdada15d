import { Type } from '@sinclair/typebox';
import { type Selectable, sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { formatTimestamp, isUuid, prn } from '../../core/ids.js';
import type { UpstreamPulpTable } from '../../db/tables.js';
import { dateTimeFilters, type FilterSet, identityFilters, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';
import { REPLICATE_TASK, SERVERS_LOCK, upstreamPulpLock } from '../../tasking/replication/replicate.js';
import { distributionFilters } from './generic-lists.js';
import { compileQExpression } from '../q-filter.js';

/*
 * `upstream-pulps/` (pulpcore/app/viewsets/replica.py): a synchronous CRUD of the Pulps to replicate from, and
 * `replicate/`, which answers a task group whose first task (exclusive on the domain's `servers`) does the work.
 */

const nullableString = (description: string, extra: Record<string, unknown> = {}) =>
  Type.Optional(Type.Union([Type.String(extra), Type.Null()], { description, ...extra }));

export const POLICIES = ['all', 'labeled', 'nodelete'] as const;

const Fields = {
  name: Type.String({ minLength: 1, description: 'A unique name for this Pulp server.' }),
  base_url: Type.String({
    minLength: 1,
    description: 'The transport, hostname, and an optional port of the Pulp server. e.g. https://example.com',
  }),
  api_root: Type.Optional(
    Type.String({ minLength: 1, default: 'pulp', description: "The API root (default 'pulp')." }),
  ),
  domain: nullableString('The domain of the Pulp server if enabled.'),
  ca_cert: nullableString('A PEM encoded CA certificate used to validate the upstream server certificate.'),
  client_cert: nullableString('A PEM encoded client certificate used for authentication.'),
  client_key: nullableString('A PEM encoded private key used for authentication.', { writeOnly: true }),
  tls_validation: Type.Optional(
    Type.Boolean({ default: true, description: 'If True, TLS peer validation must be performed.' }),
  ),
  username: nullableString('The username to authenticate with on the upstream Pulp.', { writeOnly: true }),
  password: nullableString('The password to authenticate with on the upstream Pulp (kept as given).', {
    writeOnly: true,
  }),
  q_select: nullableString('Which upstream distributions to replicate, as a `q` filter expression.'),
  policy: Type.Optional(
    Type.Union(
      POLICIES.map((p) => Type.Literal(p)),
      {
        default: 'all',
        description:
          'Which local objects replication may remove: all of them, only those it labeled, or none (nodelete).',
      },
    ),
  ),
};
const SECRET_FIELDS = ['client_key', 'username', 'password'] as const;

const ro = { readOnly: true };
const UpstreamPulpResponse = Type.Required(
  Type.Object({
    pulp_href: Type.String({ format: 'uri', ...ro }),
    prn: Type.String({ ...ro, description: 'The Pulp Resource Name (PRN).' }),
    pulp_created: Type.String({ format: 'date-time', ...ro, description: 'Timestamp of creation.' }),
    pulp_last_updated: Type.String({ format: 'date-time', ...ro }),
    ...Object.fromEntries(Object.entries(Fields).filter(([k]) => !(SECRET_FIELDS as readonly string[]).includes(k))),
    hidden_fields: Type.Array(Type.Object({ name: Type.String(), is_set: Type.Boolean() }), ro),
    last_replication: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      ...ro,
      description: "Timestamp of the last replication that occurred; 'null' when none has run.",
    }),
  }),
);

type Row = Selectable<UpstreamPulpTable>;

/** Href of an upstream pulp. */
export const upstreamPulpHref = (prefix: string, id: string) => `${prefix}upstream-pulps/${id}/`;

function serialize(prefix: string, r: Row): Record<string, unknown> {
  return {
    pulp_href: upstreamPulpHref(prefix, r.pulp_id),
    prn: prn('core.upstreampulp', r.pulp_id),
    pulp_created: formatTimestamp(r.pulp_created),
    pulp_last_updated: formatTimestamp(r.pulp_last_updated),
    name: r.name,
    base_url: r.base_url,
    api_root: r.api_root,
    domain: r.domain,
    ca_cert: r.ca_cert,
    client_cert: r.client_cert,
    tls_validation: r.tls_validation,
    q_select: r.q_select,
    policy: r.policy,
    hidden_fields: SECRET_FIELDS.map((name) => ({ name, is_set: r[name] !== null && r[name] !== '' })),
    last_replication: formatTimestamp(r.last_replication),
  };
}

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 'u.name'),
    ...nameFilters('base_url', 'u.base_url'),
    ...dateTimeFilters('last_replication', 'u.last_replication').filter((f) => !f.name.endsWith('__isnull')),
    ...identityFilters('u.pulp_id'),
  ],
  ordering: ['name', 'base_url', 'api_root', 'last_replication', 'pulp_last_updated', 'pulp_id'],
};

async function loadRow(ctx: RequestContext): Promise<Row> {
  const id = ctx.params.pulp_id ?? '';
  const row = isUuid(id)
    ? await ctx.services.db.selectFrom('upstream_pulp').selectAll().where('pulp_id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No UpstreamPulp matches the given query.');
  return row;
}

/**
 * Column values of a create or update body, every problem reported together: a unique name, and a `q_select`
 * that the upstream's distribution list would accept (Pulp checks it with the distribution filter's `q`).
 */
async function validated(ctx: RequestContext, body: Record<string, unknown>, exceptId?: string) {
  const errors: Record<string, string[]> = {};
  if (typeof body.name === 'string') {
    const other = await ctx.services.db
      .selectFrom('upstream_pulp')
      .select('pulp_id')
      .where('name', '=', body.name)
      .where(sql<boolean>`pulp_id IS DISTINCT FROM ${exceptId ?? null}::uuid`)
      .executeTakeFirst();
    if (other) errors.name = ['This field must be unique.'];
  }
  if (typeof body.q_select === 'string' && body.q_select.trim() !== '') {
    try {
      await compileQExpression(body.q_select, distributionFilters().filters);
    } catch (err) {
      if (!(err instanceof ValidationError) || Array.isArray(err.fields)) throw err;
      errors.q_select = Object.values(err.fields).flat().map(String);
    }
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(Fields)) if (body[key] !== undefined) out[key] = body[key];
  // Pulp allows a blank q_select; it selects everything, as null does.
  if (out.q_select === '') out.q_select = null;
  return out;
}

function operations(): Operation[] {
  const tag = 'Upstream-Pulps';
  const access = (action: string) => ({ viewset: 'upstream-pulps', action });
  const response = { schema: 'UpstreamPulpResponse' };
  const update = (partial: boolean): Operation => ({
    method: partial ? 'PATCH' : 'PUT',
    url: 'upstream-pulps/:pulp_id/',
    pathKey: '{upstream_pulp_href}',
    operationId: partial ? 'upstream_pulps_partial_update' : 'upstream_pulps_update',
    tag,
    summary: 'Update an upstream pulp',
    body: partial
      ? { name: 'PatchedUpstreamPulp', schema: Type.Partial(Type.Object(Fields)) }
      : { name: 'UpstreamPulp', schema: Type.Object(Fields) },
    access: access(partial ? 'partial_update' : 'update'),
    responses: { 200: response },
    async handle(ctx) {
      const row = await loadRow(ctx);
      const data = await validated(ctx, ctx.body, row.pulp_id);
      const updated = await ctx.services.db
        .updateTable('upstream_pulp')
        .set({ ...data, pulp_last_updated: sql<string>`clock_timestamp()` })
        .where('pulp_id', '=', row.pulp_id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new NotFoundError('No UpstreamPulp matches the given query.');
      return { status: 200, body: serialize(ctx.services.apiPrefix, updated) };
    },
  });
  return [
    {
      method: 'GET',
      url: 'upstream-pulps/',
      pathKey: 'upstream-pulps/',
      operationId: 'upstream_pulps_list',
      tag,
      summary: 'List upstream pulps',
      filters: filterSet,
      access: access('list'),
      responses: { 200: { schema: 'PaginatedUpstreamPulpResponseList' } },
      handle: (ctx) =>
        listResponse(ctx, ctx.services.db.selectFrom('upstream_pulp as u').selectAll('u'), {
          filterSet,
          tableAlias: 'u',
          serialize: (rows: Row[]) => rows.map((r) => serialize(ctx.services.apiPrefix, r)),
        }),
    },
    {
      method: 'POST',
      url: 'upstream-pulps/',
      pathKey: 'upstream-pulps/',
      operationId: 'upstream_pulps_create',
      tag,
      summary: 'Create an upstream pulp',
      body: { name: 'UpstreamPulp', schema: Type.Object(Fields) },
      access: access('create'),
      responses: { 201: response },
      async handle(ctx) {
        const data = await validated(ctx, ctx.body);
        const row = await ctx.services.db
          .insertInto('upstream_pulp')
          .values(data as { name: string; base_url: string })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { status: 201, body: serialize(ctx.services.apiPrefix, row) };
      },
    },
    {
      method: 'GET',
      url: 'upstream-pulps/:pulp_id/',
      pathKey: '{upstream_pulp_href}',
      operationId: 'upstream_pulps_read',
      tag,
      summary: 'Inspect an upstream pulp',
      access: access('retrieve'),
      responses: { 200: response },
      handle: async (ctx) => ({ status: 200, body: serialize(ctx.services.apiPrefix, await loadRow(ctx)) }),
    },
    update(false),
    update(true),
    {
      method: 'DELETE',
      url: 'upstream-pulps/:pulp_id/',
      pathKey: '{upstream_pulp_href}',
      operationId: 'upstream_pulps_delete',
      tag,
      summary: 'Delete an upstream pulp',
      access: access('destroy'),
      responses: { 204: {} },
      async handle(ctx) {
        const row = await loadRow(ctx);
        await ctx.services.db.deleteFrom('upstream_pulp').where('pulp_id', '=', row.pulp_id).execute();
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      url: 'upstream-pulps/:pulp_id/replicate/',
      pathKey: '{upstream_pulp_href}replicate/',
      operationId: 'upstream_pulps_replicate',
      tag,
      summary: 'Replicate',
      access: access('replicate'),
      responses: { 202: { schema: 'TaskGroupOperationResponse' } },
      async handle(ctx) {
        const row = await loadRow(ctx);
        const { db, dispatcher, apiPrefix } = ctx.services;
        const group = await db
          .insertInto('task_group')
          .values({ description: `Replication of ${row.name}` })
          .returning('pulp_id')
          .executeTakeFirstOrThrow();
        await dispatcher.dispatch(
          REPLICATE_TASK,
          { server_pk: row.pulp_id },
          {
            exclusiveResources: [SERVERS_LOCK],
            sharedResources: [upstreamPulpLock(row.pulp_id)],
            taskGroup: group.pulp_id,
            loggingCid: ctx.correlationId,
            userId: ctx.user?.id ?? null,
          },
        );
        return { status: 202, body: { task_group: `${apiPrefix}task-groups/${group.pulp_id}/` } };
      },
    },
  ];
}

/** The upstream-pulps endpoints. */
export function upstreamPulpRoutes(): OperationModule {
  return {
    components: [
      { name: 'UpstreamPulpResponse', schema: UpstreamPulpResponse },
      paginatedComponent('UpstreamPulpResponse'),
    ],
    operations: operations(),
  };
}
