import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { FastifyInstance, FastifyReply } from 'fastify';

import { AuthenticationError } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import type { BasicAuthenticator } from '../auth.js';
import {
  createSession,
  CSRF_COOKIE,
  deleteSession,
  parseCookies,
  SESSION_COOKIE,
  sessionCookies,
} from '../rbac/sessions.js';
import { escapeHtml } from './html.js';

export interface AuthPagesOptions {
  db: Database;
  authenticator: BasicAuthenticator;
  /** `/auth/`: where the login and logout pages live (Pulp serves DRF's at `/auth/login/`). */
  authUrl: string;
  apiPrefix: string;
  staticUrl: string;
}

/** Only a local path may be a redirect target: never another origin (`//host`, `https:`), never a backslash. */
export function safeNext(next: string | undefined, fallback: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || /[\r\n]/.test(next))
    return fallback;
  return next;
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function loginPage(o: AuthPagesOptions, csrf: string, next: string, error?: string, username = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in – Pulp 3 API</title>
<link rel="stylesheet" href="${escapeHtml(o.staticUrl)}browsable-api/browsable.css">
</head>
<body>
<header class="topbar"><a class="brand" href="${escapeHtml(o.apiPrefix)}">Pulp 3 API</a></header>
<main id="content" class="login">
<h1>Log in</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(o.authUrl)}login/">
<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(csrf)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<div class="field"><label for="username">Username</label><input id="username" name="username" autocomplete="username" required value="${escapeHtml(username)}" autofocus></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>
`;
}

const cookieHeader = (values: string[]) => values as unknown as string;
const html = (reply: FastifyReply) =>
  reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');

/**
 * Login and logout pages for people using the browsable API: they start and end the same session (cookie
 * `sessionid`, CSRF token `csrftoken`) that `POST /login/` does. The login form is protected by a
 * double-submit token: the `csrftoken` cookie set with the page must come back in the form.
 */
export async function installAuthPages(app: FastifyInstance, o: AuthPagesOptions): Promise<void> {
  await app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
    });

    child.get(`${o.authUrl}login/`, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      let csrf = parseCookies(request.headers.cookie)[CSRF_COOKIE];
      if (!csrf || !/^[A-Za-z0-9]{16,128}$/.test(csrf)) {
        csrf = randomBytes(24).toString('hex');
        void reply.header('set-cookie', `${CSRF_COOKIE}=${csrf}; Max-Age=31449600; Path=/; SameSite=Lax`);
      }
      return html(reply).send(loginPage(o, csrf, safeNext(query.next, o.apiPrefix)));
    });

    child.post(`${o.authUrl}login/`, async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      const cookies = parseCookies(request.headers.cookie);
      const next = safeNext(form.next, o.apiPrefix);
      const csrf = cookies[CSRF_COOKIE] ?? '';
      if (!sameToken(form.csrfmiddlewaretoken, cookies[CSRF_COOKIE])) {
        return html(reply.code(403)).send(
          loginPage(o, csrf, next, 'CSRF verification failed: reload the page and try again.'),
        );
      }
      const username = form.username ?? '';
      const password = form.password ?? '';
      let userId: number;
      try {
        if (username.includes(':')) throw new AuthenticationError();
        const user = await o.authenticator.authenticate(
          `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
        );
        if (!user) throw new AuthenticationError();
        userId = user.id;
      } catch (err) {
        if (!(err instanceof AuthenticationError)) throw err;
        return html(reply.code(200)).send(
          loginPage(o, csrf, next, 'Please enter a correct username and password.', username),
        );
      }
      await deleteSession(o.db, cookies[SESSION_COOKIE]);
      const session = await createSession(o.db, userId);
      await o.db.updateTable('auth_user').set({ last_login: new Date() }).where('id', '=', userId).execute();
      return reply
        .code(302)
        .header('set-cookie', cookieHeader(sessionCookies(session)))
        .header('location', next)
        .send();
    });

    child.get(`${o.authUrl}logout/`, async (request, reply) => {
      const csrf = parseCookies(request.headers.cookie)[CSRF_COOKIE] ?? '';
      return html(reply).send(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log out – Pulp 3 API</title><link rel="stylesheet" href="${escapeHtml(o.staticUrl)}browsable-api/browsable.css"></head>
<body><main id="content" class="login"><h1>Log out</h1>
<form method="post" action="${escapeHtml(o.authUrl)}logout/"><input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(csrf)}">
<button type="submit">Log out</button></form></main></body></html>
`);
    });

    child.post(`${o.authUrl}logout/`, async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      const cookies = parseCookies(request.headers.cookie);
      if (!sameToken(form.csrfmiddlewaretoken, cookies[CSRF_COOKIE])) {
        return html(reply.code(403)).send(
          '<!DOCTYPE html><html lang="en"><title>Forbidden</title><p>CSRF verification failed.</p></html>',
        );
      }
      await deleteSession(o.db, cookies[SESSION_COOKIE]);
      const next = safeNext(form.next, `${o.authUrl}login/`);
      return reply
        .code(302)
        .header('set-cookie', cookieHeader(sessionCookies(null)))
        .header('location', `${o.authUrl}login/?next=${encodeURIComponent(next)}`)
        .send();
    });
  });
}
