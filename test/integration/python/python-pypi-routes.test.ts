import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Services } from '../../../src/plugin-api/operations.js';
import { storePackageFile } from '../../../src/plugins/python/package-store.js';
import { parsePypiPath, pypiReadRoutes } from '../../../src/plugins/python/pypi-routes.js';
import { createTestSettings } from '../../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { buildSdist, buildWheel } from '../../helpers/python-packages.js';
import { createTestServices, writeTempFile } from '../../helpers/task-context.js';

let t: TestDatabase;
let services: Services;
let app: FastifyInstance;
const alpha = buildWheel({
  name: 'Route_Alpha',
  version: '1.0',
  requiresPython: '>=3.8',
  requiresDist: ['route-beta'],
});
const alpha2 = buildWheel({ name: 'route-alpha', version: '2.0' });
const beta = buildSdist({ name: 'route-beta', version: '0.5' });

/** A repository whose version 1 holds the given content, served by a python distribution at `basePath`. */
async function servedRepository(basePath: string, contentIds: string[]): Promise<string> {
  const { rows } = await sql<{ pulp_id: string }>`INSERT INTO repository (pulp_type, name, next_version, detail)
    VALUES ('python.python', ${basePath}, 2, '{}') RETURNING pulp_id`.execute(t.db);
  const repo = rows[0]!.pulp_id;
  await sql`INSERT INTO repository_version (repository_id, number, complete) VALUES (${repo}, 0, true), (${repo}, 1, true)`.execute(
    t.db,
  );
  for (const id of contentIds) {
    await sql`INSERT INTO repository_content (repository_id, content_id, version_added) VALUES (${repo}, ${id}, 1)`.execute(
      t.db,
    );
  }
  await sql`INSERT INTO distribution (pulp_type, name, base_path, repository_id, detail)
    VALUES ('python.python', ${basePath}, ${basePath}, ${repo}, '{"allow_uploads": true}')`.execute(t.db);
  return repo;
}

beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t.db, await createTestSettings({ CONTENT_ORIGIN: 'http://content.example' }));
  const ids: string[] = [];
  for (const d of [alpha, alpha2, beta]) {
    ids.push((await storePackageFile(services, await writeTempFile(services, d.bytes), d.filename)).contentId);
  }
  await servedRepository('team/py', ids);
  app = Fastify();
  for (const route of pypiReadRoutes()) {
    app.route({ method: route.method, url: route.url, handler: (req, reply) => route.handler(req, reply, services) });
  }
  app.setErrorHandler((err, _req, reply) => {
    void reply.code((err as { code?: string }).code === 'PLP0002' ? 404 : 500).send({ detail: (err as Error).message });
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

describe('the /pypi/ index routes', () => {
  it('parses base paths with slashes as Django does', () => {
    expect(parsePypiPath('a/b/simple/x/')).toEqual({ view: 'simple-detail', basePath: 'a/b', project: 'x' });
    expect(parsePypiPath('a/pypi/x/1.0/json/')).toEqual({ view: 'metadata', basePath: 'a', name: 'x', version: '1.0' });
    expect(parsePypiPath('a/legacy/')).toEqual({ view: 'legacy', basePath: 'a' });
    expect(parsePypiPath('a/b/')).toEqual({ view: 'summary', basePath: 'a/b' });
  });

  it('serves the PEP 503 project list and page, with content-app file links', async () => {
    const list = await app.inject({ url: '/pypi/team/py/simple/' });
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-type']).toMatch(/^text\/html/);
    expect(list.headers['x-pypi-last-serial']).toBe('1000000000');
    expect(list.body).toContain('<a href="route-alpha/">Route_Alpha</a>');
    const page = await app.inject({ url: '/pypi/team/py/simple/ROUTE.alpha/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      `href="http://content.example/pulp/content/team/py/${alpha.filename}#sha256=${alpha.sha256}"`,
    );
    expect(page.body).toContain('data-requires-python="&#62;=3.8"');
    expect(page.body).toMatch(/data-core-metadata="sha256=[0-9a-f]{64}"/);
    expect(page.body).toContain(alpha2.filename);
  });

  it('links files to the content app on the host the client used when CONTENT_ORIGIN is unset', async () => {
    const local: Services = {
      ...services,
      settings: { ...services.settings, CONTENT_ORIGIN: null, CONTENT_BIND: '0.0.0.0:25816' },
    };
    const bare = Fastify();
    for (const route of pypiReadRoutes()) {
      bare.route({ method: route.method, url: route.url, handler: (req, reply) => route.handler(req, reply, local) });
    }
    try {
      const page = await bare.inject({
        url: '/pypi/team/py/simple/route-alpha/',
        headers: { host: 'pulp.local:25817' },
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`href="http://pulp.local:25816/pulp/content/team/py/${alpha.filename}#sha256=`);
      const json = await bare.inject({ url: '/pypi/team/py/pypi/route-alpha/json', headers: { host: '[::1]:25817' } });
      expect(json.json<{ urls: Array<{ url: string }> }>().urls[0]?.url).toBe(
        `http://[::1]:25816/pulp/content/team/py/${alpha2.filename}`,
      );
    } finally {
      await bare.close();
    }
  });

  it('answers PEP 691 JSON to pip', async () => {
    const res = await app.inject({
      url: '/pypi/team/py/simple/route-beta/',
      headers: {
        accept: 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01',
      },
    });
    expect(res.headers['content-type']).toMatch(/^application\/vnd\.pypi\.simple\.v1\+json/);
    const body = res.json<{ name: string; files: Array<Record<string, unknown>>; versions: string[] }>();
    expect(body.name).toBe('route-beta');
    expect(body.versions).toEqual(['0.5']);
    expect(body.files[0]).toMatchObject({
      filename: beta.filename,
      hashes: { sha256: beta.sha256 },
      'core-metadata': false,
    });
  });

  it('serves the JSON API for the latest or a given version, and the summary', async () => {
    const latest = await app.inject({ url: '/pypi/team/py/pypi/route_alpha/json' });
    expect(latest.statusCode).toBe(200);
    const body = latest.json<{
      info: { version: string };
      releases: Record<string, unknown[]>;
      urls: Array<{ filename: string }>;
    }>();
    expect(body.info.version).toBe('2.0');
    expect(Object.keys(body.releases).sort()).toEqual(['1.0', '2.0']);
    expect(body.urls.map((u) => u.filename)).toEqual([alpha2.filename]);
    const v1 = await app.inject({ url: '/pypi/team/py/pypi/route-alpha/1.0/json/' });
    expect(v1.json<{ info: { requires_dist: string[] } }>().info.requires_dist).toEqual(['route-beta']);
    expect((await app.inject({ url: '/pypi/team/py/pypi/route-alpha/9.9/json/' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/pypi/team/py/' })).json()).toEqual({ projects: 2, releases: 3, files: 3 });
  });

  it('answers 404 for a missing distribution or project', async () => {
    expect((await app.inject({ url: '/pypi/nowhere/simple/' })).statusCode).toBe(404);
    const missing = await app.inject({ url: '/pypi/team/py/simple/absent/' });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('absent does not exist.');
  });

  it('serves a new repository version at once, though pages of the previous one were cached', async () => {
    const gamma = buildWheel({ name: 'route-gamma', version: '1.0' });
    const gamma2 = buildWheel({ name: 'route-gamma', version: '2.0' });
    const ids: string[] = [];
    for (const d of [gamma, gamma2]) {
      ids.push((await storePackageFile(services, await writeTempFile(services, d.bytes), d.filename)).contentId);
    }
    const repo = await servedRepository('team/cached', [ids[0]!]);
    const first = await app.inject({ url: '/pypi/team/cached/simple/route-gamma/' });
    expect(first.body).toContain(gamma.filename);
    expect(first.body).not.toContain(gamma2.filename);
    const again = await app.inject({ url: '/pypi/team/cached/simple/route-gamma/' });
    expect(again.body).toBe(first.body);
    expect((await app.inject({ url: '/pypi/team/cached/pypi/route-gamma/json' })).statusCode).toBe(200);
    await sql`UPDATE repository SET next_version = 3 WHERE pulp_id = ${repo}`.execute(t.db);
    await sql`INSERT INTO repository_version (repository_id, number, complete) VALUES (${repo}, 2, true)`.execute(t.db);
    await sql`INSERT INTO repository_content (repository_id, content_id, version_added) VALUES (${repo}, ${ids[1]!}, 2)`.execute(
      t.db,
    );
    const next = await app.inject({ url: '/pypi/team/cached/simple/route-gamma/' });
    expect(next.body).toContain(gamma.filename);
    expect(next.body).toContain(gamma2.filename);
    const json = JSON.parse((await app.inject({ url: '/pypi/team/cached/pypi/route-gamma/json' })).body);
    expect(json.info.version).toBe('2.0');
  });
});
