import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { ValidationError } from '../../core/errors.js';
import { contentGuardOperations, type GuardRow, guardHref } from '../../plugin-api/content-guards.js';
import { newSharedSecret } from '../../plugin-api/content-redirect.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { parseObjectRef } from '../../plugin-api/rbac-catalogue.js';
import { roleComponents } from '../../plugin-api/rbac-roles-actions.js';
import { groupHref, userHref } from '../rbac/user-fields.js';

const nothing = async (_ctx: RequestContext, rows: GuardRow[]) => rows.map(() => ({}));

/** Users and groups holding `core.download_rbaccontentguard` on each guard (the RBAC guard's RO fields). */
async function downloaders(ctx: RequestContext, rows: GuardRow[]) {
  const ids = rows.map((r) => r.pulp_id);
  if (ids.length === 0) return [];
  const prefix = ctx.services.apiPrefix;
  const users = await sql<{ object_id: string; id: number; username: string }>`
    SELECT DISTINCT x.object_id, u.id, u.username FROM core_userrole x
      JOIN core_role r ON r.pulp_id = x.role_id JOIN auth_user u ON u.id = x.user_id
     WHERE x.content_type = 'core.rbaccontentguard' AND x.object_id = ANY(${ids})
       AND 'core.download_rbaccontentguard' = ANY(r.permissions) ORDER BY u.username`.execute(ctx.services.db);
  const groups = await sql<{ object_id: string; id: number; name: string }>`
    SELECT DISTINCT x.object_id, g.id, g.name FROM core_grouprole x
      JOIN core_role r ON r.pulp_id = x.role_id JOIN auth_group g ON g.id = x.group_id
     WHERE x.content_type = 'core.rbaccontentguard' AND x.object_id = ANY(${ids})
       AND 'core.download_rbaccontentguard' = ANY(r.permissions) ORDER BY g.name`.execute(ctx.services.db);
  return rows.map((row) => ({
    users: users.rows
      .filter((u) => u.object_id === row.pulp_id)
      .map((u) => ({ username: u.username, pulp_href: userHref(prefix, u.id), prn: `prn:auth.user:${u.id}` })),
    groups: groups.rows
      .filter((g) => g.object_id === row.pulp_id)
      .map((g) => ({ name: g.name, pulp_href: groupHref(prefix, g.id), prn: `prn:core.group:${g.id}`, id: g.id })),
  }));
}

/** Member guards of a composite: hrefs (or PRNs) of existing guards, in order; composites cannot nest. */
async function memberIds(ctx: RequestContext, value: unknown, self: string | null): Promise<string[]> {
  if (!Array.isArray(value))
    throw new ValidationError({ guards: ['Expected a list of items but got type "' + typeof value + '".'] });
  const ids: string[] = [];
  for (const item of value) {
    const ref = typeof item === 'string' ? parseObjectRef(ctx.services.apiPrefix, item) : null;
    const pulpType = ref?.model.table === 'content_guard' ? ref.model.pulpType : undefined;
    const row =
      ref && pulpType
        ? await ctx.services.db
            .selectFrom('content_guard')
            .select(['pulp_id', 'pulp_type'])
            .where('pulp_id', '=', ref.id)
            .where('pulp_type', '=', pulpType)
            .executeTakeFirst()
        : undefined;
    if (!row) throw new ValidationError({ guards: [`Invalid hyperlink - Object does not exist.`] });
    if (row.pulp_type === 'core.composite' || row.pulp_id === self)
      throw new ValidationError({ guards: ['A composite content guard cannot contain a composite content guard.'] });
    if (!ids.includes(row.pulp_id)) ids.push(row.pulp_id);
  }
  return ids;
}

const LIMITED = Type.String({ minLength: 1, maxLength: 255 });

/** The four core content-guard endpoints (spec 7.11), each with CRUD and the roles actions. */
export function contentGuardRoutes(): OperationModule {
  const modules = [
    contentGuardOperations({
      endpoint: 'contentguards/core/rbac',
      pulpType: 'core.rbac',
      model: 'core.rbaccontentguard',
      className: 'RBACContentGuard',
      placeholder: '{r_b_a_c_content_guard_href}',
      operationId: 'contentguards_core_rbac',
      tag: 'Contentguards: Rbac',
      component: 'core.RBACContentGuard',
      fields: {},
      responseFields: {
        users: Type.Array(Type.Object({ username: Type.String(), pulp_href: Type.String(), prn: Type.String() }), {
          readOnly: true,
        }),
        groups: Type.Array(
          Type.Object({ name: Type.String(), pulp_href: Type.String(), prn: Type.String(), id: Type.Integer() }),
          { readOnly: true },
        ),
      },
      detail: async () => ({}),
      render: downloaders,
      roles: true,
    }),
    contentGuardOperations({
      endpoint: 'contentguards/core/header',
      pulpType: 'core.header',
      model: 'core.headercontentguard',
      className: 'HeaderContentGuard',
      placeholder: '{header_content_guard_href}',
      operationId: 'contentguards_core_header',
      tag: 'Contentguards: Header',
      component: 'core.HeaderContentGuard',
      fields: {
        header_name: LIMITED,
        header_value: LIMITED,
        jq_filter: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
      },
      required: ['header_name', 'header_value'],
      detail: async (_ctx, merged) => {
        const name = typeof merged.header_name === 'string' ? merged.header_name : '';
        // Header names are tokens (RFC 9110); anything else could never match and may be an injection attempt.
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
          throw new ValidationError({ header_name: ['Enter a valid HTTP header name.'] });
        return { header_name: name, header_value: merged.header_value, jq_filter: merged.jq_filter ?? null };
      },
      render: async (_ctx, rows) =>
        rows.map((r) => ({
          header_name: r.detail.header_name,
          header_value: r.detail.header_value,
          jq_filter: r.detail.jq_filter ?? null,
        })),
      roles: true,
    }),
    contentGuardOperations({
      endpoint: 'contentguards/core/composite',
      pulpType: 'core.composite',
      model: 'core.compositecontentguard',
      className: 'CompositeContentGuard',
      placeholder: '{composite_content_guard_href}',
      operationId: 'contentguards_core_composite',
      tag: 'Contentguards: Composite',
      component: 'core.CompositeContentGuard',
      fields: { guards: Type.Optional(Type.Array(Type.String({ format: 'uri' }))) },
      detail: async (ctx, merged, current) => ({
        guards:
          'guards' in ctx.body
            ? await memberIds(ctx, merged.guards, current?.pulp_id ?? null)
            : (current?.detail.guards ?? []),
      }),
      render: async (ctx, rows) => {
        const ids = [
          ...new Set(rows.flatMap((r) => (Array.isArray(r.detail.guards) ? (r.detail.guards as string[]) : []))),
        ];
        const types = ids.length
          ? await ctx.services.db
              .selectFrom('content_guard')
              .select(['pulp_id', 'pulp_type'])
              .where('pulp_id', 'in', ids)
              .execute()
          : [];
        const typeOf = new Map(types.map((t) => [t.pulp_id, t.pulp_type]));
        return rows.map((r) => ({
          guards: ((r.detail.guards as string[] | undefined) ?? [])
            .filter((id) => typeOf.has(id))
            .map((id) => guardHref(ctx.services.apiPrefix, typeOf.get(id) as string, id)),
        }));
      },
      roles: true,
    }),
    contentGuardOperations({
      endpoint: 'contentguards/core/content_redirect',
      pulpType: 'core.content_redirect',
      model: 'core.contentredirectcontentguard',
      className: 'ContentRedirectContentGuard',
      placeholder: '{content_redirect_content_guard_href}',
      operationId: 'contentguards_core_content_redirect',
      tag: 'Contentguards: Content_Redirect',
      component: 'core.ContentRedirectContentGuard',
      fields: {},
      // The shared secret never leaves the server: it signs the URLs the API hands out.
      detail: async (_ctx, _merged, current) => ({ shared_secret: current?.detail.shared_secret ?? newSharedSecret() }),
      render: nothing,
      roles: true,
    }),
  ];
  return {
    operations: modules.flatMap((m) => m.operations),
    components: [...modules.flatMap((m) => m.components ?? []), ...roleComponents],
  };
}
