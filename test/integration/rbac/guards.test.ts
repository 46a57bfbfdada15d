import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ApiApp, buildApiApp } from '../../../src/api/build-app.js';
import { apiModules } from '../../../src/api/modules.js';
import { loadRegistry } from '../../../src/cli/registry.js';
import { hashPassword } from '../../../src/core/passwords.js';
import { signContentUrl } from '../../../src/plugin-api/content-redirect.js';
import { refusingDispatcher } from '../../helpers/api.js';
import { type Harness, startHarness } from '../content-app/harness.js';
import { basic, USER_PASSWORD } from './helpers.js';

let h: Harness;
let api: ApiApp;
let certs: string;
let distributionId: string;
const admin = basic('admin', USER_PASSWORD);
const FILE = '/pulp/content/guarded/file.txt';

function openssl(...args: string[]) {
  execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
}

async function makeCertificates(): Promise<void> {
  certs = await mkdtemp(path.join(tmpdir(), 'pulp-ts-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.pem`,
      '-days',
      '30',
      '-subj',
      `/CN=${ca}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  }
  for (const [client, ca] of [
    ['client', 'ca'],
    ['stranger', 'other-ca'],
  ] as const) {
    openssl('req', ...ec, '-keyout', `${client}.key`, '-out', `${client}.csr`, '-subj', `/CN=${client}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${client}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${client}.pem`,
      '-days',
      '2',
    );
  }
}

const pem = (name: string) => readFile(path.join(certs, `${name}.pem`), 'utf8');

function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: Record<string, unknown>,
  auth = admin,
) {
  return api.app.inject({
    method,
    url: `/pulp/api/v3/${url.replace(/^\/pulp\/api\/v3\//, '')}`,
    headers: { authorization: auth },
    ...(payload ? { payload } : {}),
  });
}

async function guardWith(type: string, body: Record<string, unknown>): Promise<{ pulp_href: string; pulp_id: string }> {
  const res = await call('POST', `contentguards/${type}/`, body);
  if (res.statusCode !== 201) throw new Error(`${type}: ${res.statusCode} ${res.body}`);
  const href = res.json().pulp_href as string;
  return { pulp_href: href, pulp_id: href.split('/').filter(Boolean).pop() as string };
}

async function protect(guardId: string | null): Promise<void> {
  await h.fixtures.updateDistribution(distributionId, { content_guard_id: guardId });
}

const get = (headers: Record<string, string> = {}, p = FILE) => h.get(p, { headers });
const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  await makeCertificates();
  h = await startHarness();
  const db = h.database.db;
  await db
    .insertInto('auth_user')
    .values({
      username: 'admin',
      password: await hashPassword(USER_PASSWORD, 1000),
      is_superuser: true,
      is_staff: true,
    })
    .execute();
  for (const u of ['alice', 'bob'])
    await db
      .insertInto('auth_user')
      .values({ username: u, password: await hashPassword(USER_PASSWORD, 1000) })
      .execute();
  api = await buildApiApp({
    settings: h.settings,
    db,
    logger: pino({ level: 'silent' }),
    modules: apiModules(loadRegistry(h.settings)),
    dispatcher: refusingDispatcher,
    storage: h.storage,
  });
  await api.app.ready();
  const artifact = await h.fixtures.artifact(Buffer.from('guarded bytes\n'));
  const content = await h.fixtures.content('file.txt', artifact.pulp_id);
  const repo = await h.fixtures.repository();
  const version = await h.fixtures.version(repo, 1, [content.contentId]);
  const publication = await h.fixtures.publication(version);
  await h.fixtures.publishArtifact(publication, content.contentArtifactId, 'file.txt');
  distributionId = await h.fixtures.distribution('guarded', { publication_id: publication });
});

afterAll(async () => {
  await api?.app.close();
  await h?.close();
  await rm(certs, { recursive: true, force: true });
});

describe('content guards through the running content app', () => {
  it('serves the file when the distribution has no guard', async () => {
    await protect(null);
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('guarded bytes\n');
  });

  it('header guard: the base64 header must decode to the value; anything else is 403', async () => {
    const g = await guardWith('core/header', { name: 'hdr', header_name: 'x-secret', header_value: 'open sesame' });
    await protect(g.pulp_id);
    expect((await get({ 'x-secret': b64('open sesame') })).status).toBe(200);
    expect((await get({ 'x-secret': b64('open sesame!') })).status).toBe(403);
    expect((await get({ 'x-secret': 'open sesame' })).status).toBe(403);
    expect((await get()).status).toBe(403);
    expect((await get({ 'x-other': b64('open sesame') })).status).toBe(403);
    // Changing the value takes effect at once: the guard change is seen before the API answers.
    expect((await call('PATCH', g.pulp_href, { header_value: 'new' })).statusCode).toBe(200);
    expect((await get({ 'x-secret': b64('open sesame') })).status).toBe(403);
    expect((await get({ 'x-secret': b64('new') })).status).toBe(200);
  });

  it('header guard with a jq filter compares the first result of the filter on the decoded JSON', async () => {
    const g = await guardWith('core/header', {
      name: 'jq',
      header_name: 'x-rh-identity',
      header_value: '123',
      jq_filter: '.identity.org_id',
    });
    await protect(g.pulp_id);
    expect((await get({ 'x-rh-identity': b64(JSON.stringify({ identity: { org_id: '123' } })) })).status).toBe(200);
    expect((await get({ 'x-rh-identity': b64(JSON.stringify({ identity: { org_id: '456' } })) })).status).toBe(403);
    expect((await get({ 'x-rh-identity': b64(JSON.stringify({ identity: { org_id: 123 } })) })).status).toBe(403);
    expect((await get({ 'x-rh-identity': b64('not json') })).status).toBe(403);
    const sel = await guardWith('core/header', {
      name: 'jq-select',
      header_name: 'x-ent',
      header_value: 'yes',
      jq_filter: '.entitlements[] | select(.name == "rhel") | .valid',
    });
    await protect(sel.pulp_id);
    expect(
      (
        await get({
          'x-ent': b64(
            JSON.stringify({
              entitlements: [
                { name: 'other', valid: 'no' },
                { name: 'rhel', valid: 'yes' },
              ],
            }),
          ),
        })
      ).status,
    ).toBe(200);
    expect(
      (await get({ 'x-ent': b64(JSON.stringify({ entitlements: [{ name: 'rhel', valid: 'no' }] })) })).status,
    ).toBe(403);
  });

  it('header guard refuses header names that are not tokens (no header injection)', async () => {
    for (const header_name of ['x-a\r\nx-b', 'x a', 'x:y']) {
      const res = await call('POST', 'contentguards/core/header/', {
        name: `bad-${header_name.length}`,
        header_name,
        header_value: 'v',
      });
      expect(res.statusCode, JSON.stringify(header_name)).toBe(400);
    }
  });

  it('RBAC guard: only users holding the downloader role (directly or through a group) download, at once', async () => {
    const g = await guardWith('core/rbac', { name: 'rbac' });
    await protect(g.pulp_id);
    const alice = basic('alice', USER_PASSWORD);
    expect((await get({ authorization: admin })).status).toBe(200);
    expect((await get()).status).toBe(403);
    expect((await get({ authorization: alice })).status).toBe(403);
    expect(
      (await call('POST', `${g.pulp_href}add_role/`, { role: 'core.rbaccontentguard_downloader', users: ['alice'] }))
        .statusCode,
    ).toBe(201);
    expect((await get({ authorization: alice })).status).toBe(200);
    expect((await get({ authorization: basic('alice', 'wrong-password') })).status).toBe(403);
    const detail = (await call('GET', g.pulp_href)).json();
    expect(detail.users.map((u: { username: string }) => u.username).sort()).toEqual(['admin', 'alice']);
    expect(
      (await call('POST', `${g.pulp_href}remove_role/`, { role: 'core.rbaccontentguard_downloader', users: ['alice'] }))
        .statusCode,
    ).toBe(201);
    expect((await get({ authorization: alice })).status).toBe(403);
    // Through a group.
    const group = (await call('POST', 'groups/', { name: 'downloaders' })).json();
    expect(
      (
        await call('POST', `${g.pulp_href}add_role/`, {
          role: 'core.rbaccontentguard_downloader',
          groups: ['downloaders'],
        })
      ).statusCode,
    ).toBe(201);
    const bob = basic('bob', USER_PASSWORD);
    expect((await get({ authorization: bob })).status).toBe(403);
    expect((await call('POST', `${group.pulp_href}users/`, { username: 'bob' })).statusCode).toBe(201);
    expect((await get({ authorization: bob })).status).toBe(200);
    expect((await call('GET', g.pulp_href)).json().groups.map((x: { name: string }) => x.name)).toEqual([
      'downloaders',
    ]);
  });

  it('content-redirect guard: a signed, unexpired URL passes; tampered, expired or unsigned ones are refused', async () => {
    const g = await guardWith('core/content_redirect', { name: 'redirect' });
    await protect(g.pulp_id);
    const row = await h.database.db
      .selectFrom('content_guard')
      .select('detail')
      .where('pulp_id', '=', g.pulp_id)
      .executeTakeFirstOrThrow();
    const secret = row.detail.shared_secret as string;
    expect((await call('GET', g.pulp_href)).body).not.toContain(secret);
    const signed = signContentUrl(secret, `http://127.0.0.1:${h.app.port}${FILE}`);
    const local = signed.replace(/^http:\/\/[^/]+/, '');
    expect((await get({}, local)).status).toBe(200);
    expect((await get({}, FILE)).status).toBe(403);
    expect(
      (
        await get(
          {},
          local.replace(/expires=(\d+)/, (_m, n: string) => `expires=${Number(n) + 100}`),
        )
      ).status,
    ).toBe(403);
    // A changed digit of the signature (always a different one: replacing it with a fixed digit failed 1 time in 16).
    const tampered = local.replace(
      /validate_token=([0-9a-f]+):([0-9a-f])/,
      (_m, salt: string, digit: string) => `validate_token=${salt}:${digit === '0' ? '1' : '0'}`,
    );
    expect((await get({}, tampered)).status).toBe(403);
    const expired = signContentUrl(secret, FILE, Math.floor(Date.now() / 1000) - 7200);
    expect((await get({}, expired)).status).toBe(403);
    const otherSecret = signContentUrl('00'.repeat(32), FILE);
    expect((await get({}, otherSecret)).status).toBe(403);
  });

  it('composite guard: any member allows; none allowing is 403; an empty list allows everyone', async () => {
    const header = await guardWith('core/header', { name: 'member-hdr', header_name: 'x-key', header_value: 'k' });
    const rbac = await guardWith('core/rbac', { name: 'member-rbac' });
    const c = await guardWith('core/composite', { name: 'composite', guards: [header.pulp_href, rbac.pulp_href] });
    expect((await call('GET', c.pulp_href)).json().guards).toEqual([header.pulp_href, rbac.pulp_href]);
    await protect(c.pulp_id);
    expect((await get({ 'x-key': b64('k') })).status).toBe(200);
    expect((await get({ authorization: admin })).status).toBe(200);
    expect((await get({ authorization: basic('alice', USER_PASSWORD) })).status).toBe(403);
    expect((await get()).status).toBe(403);
    const nested = await call('POST', 'contentguards/core/composite/', { name: 'nested', guards: [c.pulp_href] });
    expect(nested.statusCode).toBe(400);
    const empty = await guardWith('core/composite', { name: 'empty', guards: [] });
    await protect(empty.pulp_id);
    expect((await get()).status).toBe(200);
  });

  it('x509 guard: a client certificate chaining to the CA passes; untrusted, malformed or oversized ones are refused', async () => {
    const bad = await call('POST', 'contentguards/certguard/x509/', {
      name: 'bad-ca',
      ca_certificate: 'not a certificate',
    });
    expect(bad.statusCode).toBe(400);
    const broken = await call('POST', 'contentguards/certguard/x509/', {
      name: 'broken-ca',
      ca_certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    });
    expect(broken.statusCode).toBe(400);
    const g = await guardWith('certguard/x509', { name: 'x509', ca_certificate: await pem('ca') });
    await protect(g.pulp_id);
    const client = encodeURIComponent(await pem('client'));
    expect((await get({ 'x-client-cert': client })).status).toBe(200);
    expect((await get({ 'x-client-cert': encodeURIComponent(await pem('stranger')) })).status).toBe(403);
    // A CA certificate presented as a client certificate is self-signed by a CA not in the bundle... unless it is the CA itself.
    expect((await get({ 'x-client-cert': encodeURIComponent(await pem('other-ca')) })).status).toBe(403);
    expect((await get({ 'x-client-cert': '%E0%A4%A' })).status).toBe(403);
    expect(
      (
        await get({
          'x-client-cert': encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
        })
      ).status,
    ).toBe(403);
    expect((await get()).status).toBe(403);
    const oversized = await get({ 'x-client-cert': 'A'.repeat(70_000) });
    expect([403, 431]).toContain(oversized.status);
  });
});
