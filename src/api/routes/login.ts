import { Type } from '@sinclair/typebox';

import { AuthenticationError, ValidationError } from '../../core/errors.js';
import { verifyPassword } from '../../core/passwords.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { createSession, deleteSession, parseCookies, SESSION_COOKIE, sessionCookies } from '../rbac/sessions.js';
import { forgetCredentials, passwordErrors, storedPassword, userHref } from '../rbac/user-fields.js';

const TAG = 'Login';
const LoginResponse = Type.Object({
  pulp_href: Type.String({ readOnly: true }),
  prn: Type.String({ readOnly: true }),
  username: Type.String({ readOnly: true }),
});
const LoginUpdate = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$' })),
    old_password: Type.Optional(Type.String({ writeOnly: true })),
    new_password: Type.Optional(Type.String({ writeOnly: true })),
    first_name: Type.Optional(Type.String({ maxLength: 150 })),
    last_name: Type.Optional(Type.String({ maxLength: 150 })),
    email: Type.Optional(Type.String({ maxLength: 254 })),
  },
  { additionalProperties: false },
);

function me(ctx: RequestContext) {
  const user = ctx.user;
  if (!user) throw new AuthenticationError();
  return {
    pulp_href: userHref(ctx.services.apiPrefix, user.id),
    prn: `prn:auth.user:${user.id}`,
    username: user.username,
  };
}

// Two Set-Cookie headers: Fastify sends an array value as repeated headers.
const cookieHeaders = (values: string[]) => ({ 'set-cookie': values as unknown as string });

/** `/login/` (core >= 3.70): who am I, start a session cookie, change own details, log out. */
export function loginRoutes(): OperationModule {
  return {
    components: [
      { name: 'LoginResponse', schema: LoginResponse },
      { name: 'PatchedLoginUpdate', schema: LoginUpdate },
    ],
    operations: [
      {
        method: 'GET',
        url: 'login/',
        pathKey: 'login/',
        operationId: 'login_read',
        tag: TAG,
        summary: 'Show the logged in user',
        responses: { 200: { schema: 'LoginResponse' } },
        handle: async (ctx) => ({ status: 200, body: me(ctx) }),
      },
      {
        method: 'POST',
        url: 'login/',
        pathKey: 'login/',
        operationId: 'login',
        tag: TAG,
        summary: 'Start a session',
        responses: { 201: { schema: 'LoginResponse' } },
        async handle(ctx) {
          const body = me(ctx);
          await deleteSession(ctx.services.db, parseCookies(ctx.headers.cookie)[SESSION_COOKIE]);
          const session = await createSession(ctx.services.db, ctx.user?.id ?? -1);
          await ctx.services.db
            .updateTable('auth_user')
            .set({ last_login: new Date() })
            .where('id', '=', ctx.user?.id ?? -1)
            .execute();
          return { status: 201, body, headers: cookieHeaders(sessionCookies(session)) };
        },
      },
      {
        method: 'DELETE',
        url: 'login/',
        pathKey: 'login/',
        operationId: 'logout',
        tag: TAG,
        summary: 'End the session',
        responses: { 204: { description: 'No response body' } },
        async handle(ctx) {
          await deleteSession(ctx.services.db, parseCookies(ctx.headers.cookie)[SESSION_COOKIE]);
          return { status: 204, headers: cookieHeaders(sessionCookies(null)) };
        },
      },
      {
        method: 'PATCH',
        url: 'login/',
        pathKey: 'login/',
        operationId: 'login_update',
        tag: TAG,
        summary: 'Update the logged in user',
        body: { name: 'PatchedLoginUpdate', schema: LoginUpdate },
        responses: { 200: { schema: 'PatchedLoginUpdate' } },
        async handle(ctx) {
          const { db } = ctx.services;
          const id = ctx.user?.id ?? -1;
          const current = await db.selectFrom('auth_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
          const b = ctx.body;
          const values: Record<string, unknown> = {};
          for (const k of ['username', 'first_name', 'last_name', 'email'] as const) if (k in b) values[k] = b[k];
          if (typeof values.username === 'string' && values.username !== current.username) {
            const taken = await db
              .selectFrom('auth_user')
              .select('id')
              .where('username', '=', values.username)
              .executeTakeFirst();
            if (taken) throw new ValidationError({ username: ['This field must be unique.'] });
          }
          if ('new_password' in b) {
            if (!('old_password' in b))
              throw new ValidationError({ non_field_errors: ['Old password is required to update the password.'] });
            if (!(await verifyPassword(b.old_password as string, current.password)))
              throw new ValidationError({ non_field_errors: ['Old password is incorrect.'] });
            if (b.new_password === b.old_password)
              throw new ValidationError({ non_field_errors: ['New password cannot be the same as the old password.'] });
            const problems = passwordErrors(b.new_password as string, { ...current, ...values });
            if (problems.length) throw new ValidationError({ non_field_errors: problems });
            values.password = await storedPassword(b.new_password as string, {
              username: (values.username as string | undefined) ?? current.username,
            });
          }
          if (Object.keys(values).length) {
            await db.transaction().execute(async (trx) => {
              await trx.updateTable('auth_user').set(values).where('id', '=', id).execute();
              // Content apps cache verified credentials until the next content change.
            });
            forgetCredentials(ctx.services.extensions);
          }
          const row = await db.selectFrom('auth_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
          return {
            status: 200,
            body: { username: row.username, first_name: row.first_name, last_name: row.last_name, email: row.email },
          };
        },
      },
    ],
  };
}
