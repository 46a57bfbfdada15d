import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import {
  dateTimeFilters,
  exactFilter,
  type FilterSet,
  identityFilters,
  nameFilters,
} from '../../plugin-api/filters.js';
import { forgetAccessPolicies } from '../../plugin-api/access-policy-cache.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext, Services } from '../../plugin-api/operations.js';
import { baseFields, BaseFieldsSchema } from '../../plugin-api/resource-fields.js';
import { shippedAccessPolicy } from '../../plugin-api/rbac-defaults.js';

const TAG = 'Access_Policies';
const Json = Type.Unknown();
const PolicyBody = Type.Object(
  {
    permissions_assignment: Type.Optional(Type.Array(Type.Record(Type.String(), Json))),
    creation_hooks: Type.Optional(Type.Array(Type.Record(Type.String(), Json))),
    statements: Type.Array(Type.Record(Type.String(), Json)),
    queryset_scoping: Type.Optional(Type.Union([Type.Record(Type.String(), Json), Type.Null()])),
  },
  { additionalProperties: false },
);
const PolicyResponse = Type.Object({
  ...BaseFieldsSchema,
  permissions_assignment: Type.Array(Type.Record(Type.String(), Json)),
  creation_hooks: Type.Array(Type.Record(Type.String(), Json)),
  statements: Type.Array(Type.Record(Type.String(), Json)),
  viewset_name: Type.String({ readOnly: true }),
  customized: Type.Boolean({ readOnly: true }),
  queryset_scoping: Type.Union([Type.Record(Type.String(), Json), Type.Null()]),
});

interface PolicyRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  viewset_name: string;
  statements: unknown;
  creation_hooks: unknown;
  queryset_scoping: unknown;
  customized: boolean;
}

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('viewset_name', 'p.viewset_name'),
    exactFilter('customized', 'p.customized', 'boolean'),
    ...identityFilters('p.pulp_id'),
    ...dateTimeFilters('pulp_created', 'p.pulp_created'),
  ],
  ordering: ['viewset_name', 'customized', 'pulp_last_updated'],
};

const render = (prefix: string, r: PolicyRow) => ({
  ...baseFields(r, `${prefix}access_policies/${r.pulp_id}/`, 'core.accesspolicy'),
  permissions_assignment: r.creation_hooks,
  creation_hooks: r.creation_hooks,
  statements: r.statements,
  viewset_name: r.viewset_name,
  customized: r.customized,
  queryset_scoping: r.queryset_scoping,
});

const STATEMENT_KEYS = new Set(['action', 'principal', 'effect', 'condition', 'condition_expression']);

/** drf-access-policy's statement shape: action and principal (string or list), effect allow|deny. */
function statementErrors(statements: Array<Record<string, unknown>>): string[] {
  const out: string[] = [];
  const strings = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  statements.forEach((s, i) => {
    for (const k of Object.keys(s)) if (!STATEMENT_KEYS.has(k)) out.push(`Statement ${i}: unexpected key '${k}'.`);
    if (!strings(s.action)) out.push(`Statement ${i}: 'action' must be a string or a list of strings.`);
    if (!strings(s.principal)) out.push(`Statement ${i}: 'principal' must be a string or a list of strings.`);
    if (s.effect !== 'allow' && s.effect !== 'deny') out.push(`Statement ${i}: 'effect' must be 'allow' or 'deny'.`);
    for (const k of ['condition', 'condition_expression'])
      if (k in s && !strings(s[k])) out.push(`Statement ${i}: '${k}' must be a string or a list of strings.`);
  });
  return out;
}

async function loadPolicy(services: Services, id: string | undefined): Promise<PolicyRow> {
  if (!id || !isUuid(id)) throw new NotFoundError('No AccessPolicy matches the given query.');
  const row = await services.db
    .selectFrom('core_accesspolicy')
    .selectAll()
    .where('pulp_id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No AccessPolicy matches the given query.');
  return row;
}

async function update(ctx: RequestContext) {
  const policy = await loadPolicy(ctx.services, ctx.params.pulp_id);
  const b = ctx.body;
  const values: Record<string, unknown> = {};
  if (Array.isArray(b.statements)) {
    const errors = statementErrors(b.statements as Array<Record<string, unknown>>);
    if (errors.length) throw new ValidationError({ statements: errors });
    values.statements = JSON.stringify(b.statements);
  }
  const hooks = b.creation_hooks ?? b.permissions_assignment;
  if (Array.isArray(hooks)) {
    if (hooks.some((h: Record<string, unknown>) => typeof h.function !== 'string'))
      throw new ValidationError({ creation_hooks: ["Each creation hook needs a 'function'."] });
    values.creation_hooks = JSON.stringify(hooks);
  }
  if ('queryset_scoping' in b)
    values.queryset_scoping = b.queryset_scoping === null ? null : JSON.stringify(b.queryset_scoping);
  if (Object.keys(values).length) {
    await ctx.services.db
      .updateTable('core_accesspolicy')
      .set({ ...values, customized: true, pulp_last_updated: sql`clock_timestamp()` })
      .where('pulp_id', '=', policy.pulp_id)
      .execute();
    forgetAccessPolicies(ctx.services.db);
  }
  return { status: 200, body: render(ctx.services.apiPrefix, await loadPolicy(ctx.services, policy.pulp_id)) };
}

/** `/access_policies/`: read and customize each viewset's policy; `reset/` restores the shipped one. */
export function accessPolicyRoutes(): OperationModule {
  const object = '{access_policy_href}';
  return {
    components: [
      { name: 'AccessPolicy', schema: PolicyBody },
      { name: 'AccessPolicyResponse', schema: PolicyResponse },
    ],
    operations: [
      {
        method: 'GET',
        url: 'access_policies/',
        pathKey: 'access_policies/',
        operationId: 'access_policies_list',
        tag: TAG,
        summary: 'List access policys',
        filters: filterSet,
        responses: { 200: { schema: 'PaginatedAccessPolicyResponseList' } },
        handle(ctx) {
          return listResponse(ctx, ctx.services.db.selectFrom('core_accesspolicy as p').selectAll(), {
            filterSet,
            tableAlias: 'p',
            serialize: (rows: PolicyRow[]) => rows.map((r) => render(ctx.services.apiPrefix, r)),
          });
        },
      },
      {
        method: 'GET',
        url: 'access_policies/:pulp_id/',
        pathKey: object,
        operationId: 'access_policies_read',
        tag: TAG,
        summary: 'Inspect an access policy',
        responses: { 200: { schema: 'AccessPolicyResponse' } },
        handle: async (ctx) => ({
          status: 200,
          body: render(ctx.services.apiPrefix, await loadPolicy(ctx.services, ctx.params.pulp_id)),
        }),
      },
      {
        method: 'PUT',
        url: 'access_policies/:pulp_id/',
        pathKey: object,
        operationId: 'access_policies_update',
        tag: TAG,
        summary: 'Update an access policy',
        body: { name: 'AccessPolicy', schema: PolicyBody },
        responses: { 200: { schema: 'AccessPolicyResponse' } },
        handle: update,
      },
      {
        method: 'PATCH',
        url: 'access_policies/:pulp_id/',
        pathKey: object,
        operationId: 'access_policies_partial_update',
        tag: TAG,
        summary: 'Update an access policy',
        body: { name: 'PatchedAccessPolicy', schema: PolicyBody },
        responses: { 200: { schema: 'AccessPolicyResponse' } },
        handle: update,
      },
      {
        method: 'POST',
        url: 'access_policies/:pulp_id/reset/',
        pathKey: `${object}reset/`,
        operationId: 'access_policies_reset',
        tag: TAG,
        summary: 'Reset to the default',
        responses: { 200: { schema: 'AccessPolicyResponse' } },
        async handle(ctx) {
          const policy = await loadPolicy(ctx.services, ctx.params.pulp_id);
          const shipped = shippedAccessPolicy(policy.viewset_name);
          if (shipped) {
            await ctx.services.db
              .updateTable('core_accesspolicy')
              .set({
                statements: JSON.stringify(shipped.statements),
                creation_hooks: JSON.stringify(shipped.creation_hooks),
                queryset_scoping: shipped.queryset_scoping ? JSON.stringify(shipped.queryset_scoping) : null,
                customized: false,
                pulp_last_updated: sql`clock_timestamp()`,
              })
              .where('pulp_id', '=', policy.pulp_id)
              .execute();
            forgetAccessPolicies(ctx.services.db);
          }
          return { status: 200, body: render(ctx.services.apiPrefix, await loadPolicy(ctx.services, policy.pulp_id)) };
        },
      },
    ],
  };
}
