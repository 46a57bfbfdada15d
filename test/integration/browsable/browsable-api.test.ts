import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_PASSWORD, createTestApi, type TestApi } from '../../helpers/api.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let api: TestApi;
let base: string;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    headers: { authorization: api.adminAuth, ...headers },
    redirect: 'manual',
  });
  return { res, text: await res.text() };
}

function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

beforeAll(async () => {
  api = await createTestApi();
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = api.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  for (const name of ['alpha', 'beta', 'gamma']) {
    const res = await fetch(`${base}/pulp/api/v3/repositories/file/file/`, {
      method: 'POST',
      headers: { authorization: api.adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ name, description: `the ${name} repository` }),
    });
    expect(res.status).toBe(201);
  }
});

afterAll(async () => {
  await api.close();
});

describe('content negotiation', () => {
  it('answers JSON clients byte for byte the same whatever JSON-compatible Accept they send', async () => {
    const path = '/pulp/api/v3/repositories/file/file/?ordering=name';
    const none = await get(path);
    const json = await get(path, { accept: 'application/json' });
    const any = await get(path, { accept: '*/*' });
    const tie = await get(path, { accept: 'application/json, text/html' });
    for (const r of [none, json, any, tie]) {
      expect(r.res.status).toBe(200);
      expect(r.res.headers.get('content-type')).toBe('application/json');
      expect(r.text).toBe(none.text);
    }
    expect((JSON.parse(none.text) as { count: number }).count).toBe(3);
  });

  it('gives a browser an HTML page with linked hrefs, allowed methods, filters and a create form', async () => {
    const { res, text } = await get('/pulp/api/v3/repositories/file/file/?ordering=name', { accept: BROWSER_ACCEPT });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const list = (await get('/pulp/api/v3/repositories/file/file/?ordering=name')).text;
    const first = (JSON.parse(list) as { results: Array<{ pulp_href: string }> }).results[0]!.pulp_href;
    expect(text).toContain(`<a href="${first}">${first}</a>`);
    expect(text).toMatch(/class="method m-get">GET<.*class="method m-post">POST</s);
    expect(text).toContain('<span class="h-name">allow:</span> GET, POST, HEAD');
    // Filters of the list, from the operation's declared filter set.
    expect(text).toContain('<form class="filter-form" method="get"');
    expect(text).toMatch(/<label for="q\d+">name__icontains<\/label>/);
    // The create form from the body schema of the same operation that the OpenAPI document describes.
    expect(text).toContain('data-operation="repositories_file_file_create"');
    expect(text).toMatch(/<label for="f0-\d+">name <span class="hint">\(required\)<\/span><\/label>/);
  });

  it('honours ?format=api and ?format=json over the Accept header', async () => {
    const html = await get('/pulp/api/v3/status/?format=api', { accept: 'application/json' });
    expect(html.res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.text).toContain('&quot;versions&quot;');
    const filtered = await get('/pulp/api/v3/repositories/file/file/?format=api&name=alpha');
    expect(filtered.res.status).toBe(200);
    expect(filtered.text).toContain('&quot;count&quot;</span>: <span class="j-num">1</span>');
    const json = await get('/pulp/api/v3/status/?format=json', { accept: BROWSER_ACCEPT });
    expect(json.res.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(json.text)).toHaveProperty('versions');
  });

  it('shows pagination links on a paged list', async () => {
    const { text } = await get('/pulp/api/v3/repositories/file/file/?limit=1&offset=1&ordering=name', {
      accept: BROWSER_ACCEPT,
    });
    expect(text).toMatch(
      /<a href="http:\/\/127\.0\.0\.1:\d+\/pulp\/api\/v3\/repositories\/file\/file\/\?[^"]*offset=2[^"]*" rel="next"/,
    );
    expect(text).toMatch(/rel="prev"/);
    expect(text).toContain('3 in total');
  });

  it('lists the actions and sub-resources of a detail endpoint, with update forms filled from the object', async () => {
    const list = JSON.parse((await get('/pulp/api/v3/repositories/file/file/?name=beta')).text) as {
      results: Array<{ pulp_href: string }>;
    };
    const href = list.results[0]!.pulp_href;
    const { text } = await get(href, { accept: BROWSER_ACCEPT });
    expect(text).toContain(`data-action="${href}sync/"`);
    expect(text).toContain(`data-action="${href}modify/"`);
    expect(text).toContain(`<a href="${href}versions/">versions/</a>`);
    expect(text).toMatch(/data-method="PATCH"/);
    expect(text).toMatch(/data-method="DELETE"/);
    expect(text).toMatch(/<input id="f\d+-\d+" name="description"[^>]*value="the beta repository"/);
  });

  it('renders errors as pages too: 404 of a missing object, and a 401 that links the login page', async () => {
    const missing = await get('/pulp/api/v3/repositories/file/file/00000000-0000-0000-0000-000000000000/', {
      accept: BROWSER_ACCEPT,
    });
    expect(missing.res.status).toBe(404);
    expect(missing.text).toContain('HTTP 404 Not Found');
    const anonymous = await fetch(`${base}/pulp/api/v3/tasks/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
    expect(await anonymous.text()).toContain('href="/auth/login/?next=%2Fpulp%2Fapi%2Fv3%2Ftasks%2F"');
    // The JSON answer keeps its challenge.
    const json = await fetch(`${base}/pulp/api/v3/tasks/`);
    expect(json.status).toBe(401);
    expect(json.headers.get('www-authenticate')).toBe('Basic realm="api"');
  });
});

describe('login, session and forms', () => {
  it('signs in through the login page, submits a form with the session and CSRF token, and signs out', async () => {
    const page = await fetch(`${base}/auth/login/?next=/pulp/api/v3/`);
    expect(page.status).toBe(200);
    const csrf = cookiesOf(page).csrftoken!;
    expect(csrf).toMatch(/^[0-9a-f]{48}$/);
    expect(await page.text()).toContain(`name="csrfmiddlewaretoken" value="${csrf}"`);
    const post = (form: Record<string, string>, cookie: string) =>
      fetch(`${base}/auth/login/`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams(form).toString(),
      });
    const forged = await post(
      { username: 'admin', password: ADMIN_PASSWORD, csrfmiddlewaretoken: 'x' },
      `csrftoken=${csrf}`,
    );
    expect(forged.status).toBe(403);
    const wrong = await post({ username: 'admin', password: 'nope', csrfmiddlewaretoken: csrf }, `csrftoken=${csrf}`);
    expect(wrong.status).toBe(200);
    expect(await wrong.text()).toContain('Please enter a correct username and password.');
    const offsite = await post(
      { username: 'admin', password: ADMIN_PASSWORD, csrfmiddlewaretoken: csrf, next: '//evil.example/' },
      `csrftoken=${csrf}`,
    );
    expect(offsite.headers.get('location')).toBe('/pulp/api/v3/');
    const ok = await post(
      { username: 'admin', password: ADMIN_PASSWORD, csrfmiddlewaretoken: csrf, next: '/pulp/api/v3/tasks/' },
      `csrftoken=${csrf}`,
    );
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe('/pulp/api/v3/tasks/');
    const c = cookiesOf(ok);
    const cookie = `sessionid=${c.sessionid}; csrftoken=${c.csrftoken}`;

    const root = await fetch(`${base}/pulp/api/v3/`, { headers: { cookie, accept: BROWSER_ACCEPT } });
    expect(await root.text()).toContain('Signed in as <strong>admin</strong>');

    // What the page script sends for a form: JSON body, the session's CSRF token, Accept text/html.
    const noToken = await fetch(`${base}/pulp/api/v3/repositories/file/file/`, {
      method: 'POST',
      headers: { cookie, accept: 'text/html', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-a-form' }),
    });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain('CSRF Failed');
    const created = await fetch(`${base}/pulp/api/v3/repositories/file/file/`, {
      method: 'POST',
      headers: { cookie, accept: 'text/html', 'content-type': 'application/json', 'x-csrftoken': c.csrftoken! },
      body: JSON.stringify({ name: 'from-a-form' }),
    });
    expect(created.status).toBe(201);
    const html = await created.text();
    expect(html).toContain('HTTP 201 Created');
    expect(html).toMatch(/<a href="\/pulp\/api\/v3\/repositories\/file\/file\/[0-9a-f-]{36}\/">/);
    const row = await api.database.db
      .selectFrom('repository')
      .select('name')
      .where('name', '=', 'from-a-form')
      .executeTakeFirst();
    expect(row?.name).toBe('from-a-form');

    const out = await fetch(`${base}/auth/logout/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfmiddlewaretoken: c.csrftoken! }).toString(),
    });
    expect(out.status).toBe(302);
    const after = await fetch(`${base}/pulp/api/v3/tasks/`, { headers: { cookie } });
    expect(after.status).toBe(401);
  });
});

describe('static assets', () => {
  it('serves the page assets from the package at STATIC_URL and nothing outside them', async () => {
    const js = await fetch(`${base}/assets/browsable-api/browsable.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('X-CSRFToken');
    for (const bad of [
      '/assets/browsable-api/..%2f..%2fpage.ts',
      '/assets/browsable-api/.hidden',
      '/assets/browsable-api/nope.css',
    ]) {
      expect((await fetch(`${base}${bad}`)).status).toBe(404);
    }
  });
});
