import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compileJq } from '../../../src/content/guards/jq.js';
import { isAllowedByGuard } from '../../../src/content/guards/index.js';
import { isTrustedClientCert, MAX_CLIENT_CERT_BYTES } from '../../../src/plugins/certguard/client-cert.js';
import {
  newSharedSecret,
  preauthenticateUrl,
  signContentUrl,
  verifySignedUrl,
} from '../../../src/plugin-api/content-redirect.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

let database: TestDatabase;
let server: Server;
let base: string;
let certs: string;

/** Every request to the server is judged by the guard named in its `x-guard-id` header. */
async function ask(
  guardId: string,
  headers: Record<string, string> = {},
  pathAndQuery = '/pulp/content/a/file',
): Promise<boolean> {
  const res = await fetch(`${base}${pathAndQuery}`, { headers: { 'x-guard-id': guardId, ...headers } });
  return (await res.text()) === 'allowed';
}

async function insertGuard(pulp_type: string, detail: Record<string, unknown>): Promise<string> {
  const row = await database.db
    .insertInto('content_guard')
    .values({ pulp_type, name: `${pulp_type}-${Math.random()}`, detail: JSON.stringify(detail) })
    .returning('pulp_id')
    .executeTakeFirstOrThrow();
  return row.pulp_id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = createServer((req, res) => {
    const id = String(req.headers['x-guard-id'] ?? '');
    isAllowedByGuard(database.db, id, { request: req, path: req.url ?? '' })
      .then((ok) => res.end(ok ? 'allowed' : 'denied'))
      .catch(() => res.end('error'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  certs = await mkdtemp(path.join(tmpdir(), 'pulp-ts-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '30',
    '-subj',
    '/CN=root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  run('req', ...ec, '-keyout', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=intermediate');
  run(
    'x509',
    '-req',
    '-in',
    'inter.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'inter.pem',
    '-days',
    '20',
  );
  run('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf');
  run(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '1',
  );
  // Signed by a certificate that is not a CA: must never be trusted.
  run('req', ...ec, '-keyout', 'leaf2.key', '-out', 'leaf2.csr', '-subj', '/CN=leaf2');
  run(
    'x509',
    '-req',
    '-in',
    'leaf2.csr',
    '-CA',
    'inter.pem',
    '-CAkey',
    'inter.key',
    '-CAcreateserial',
    '-out',
    'leaf2.pem',
    '-days',
    '1',
  );
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await database.drop();
  await rm(certs, { recursive: true, force: true });
});

describe('isAllowedByGuard on real requests', () => {
  it('refuses an unknown guard id and a guard of an unknown type (fails closed)', async () => {
    expect(await ask('00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(await ask('not-a-uuid')).toBe(false);
    expect(await ask(await insertGuard('someplugin.future', {}))).toBe(false);
  });

  it('header guard compares the decoded header, and a broken jq filter refuses everything', async () => {
    const id = await insertGuard('core.header', { header_name: 'X-Token', header_value: 'v', jq_filter: null });
    expect(await ask(id, { 'x-token': Buffer.from('v').toString('base64') })).toBe(true);
    expect(await ask(id, { 'x-token': Buffer.from('v').toString('base64url').replace(/=/g, '') })).toBe(true);
    expect(await ask(id, { 'x-token': '***' })).toBe(false);
    const broken = await insertGuard('core.header', {
      header_name: 'x-token',
      header_value: 'v',
      jq_filter: '.a | @sh',
    });
    expect(await ask(broken, { 'x-token': Buffer.from('{"a":"v"}').toString('base64') })).toBe(false);
  });

  it('content-redirect guard accepts the URLs preauthenticateUrl hands out', async () => {
    const id = await insertGuard('core.content_redirect', { shared_secret: newSharedSecret() });
    const signed = await preauthenticateUrl(database.db, id, `${base}/pulp/content/a/file?x=1`);
    expect(signed).toMatch(/\?x=1&expires=\d+&validate_token=[0-9a-f]+:[0-9a-f]{64}$/);
    expect(await ask(id, {}, signed.slice(base.length))).toBe(true);
    expect(await ask(id, {}, signed.slice(base.length).replace('x=1', 'x=2'))).toBe(false);
    expect(await ask(id, {}, signed.slice(base.length).replace('/a/file', '/a/other'))).toBe(false);
    // Another guard's secret does not open this one.
    const other = await insertGuard('core.content_redirect', { shared_secret: newSharedSecret() });
    expect(await ask(other, {}, signed.slice(base.length))).toBe(false);
  });
});

describe('signed URLs', () => {
  it('expire after their lifetime and reject a token that is not last or malformed', () => {
    const secret = newSharedSecret();
    const now = 1_800_000_000;
    const url = signContentUrl(secret, '/pulp/content/x/y', now);
    expect(verifySignedUrl(secret, url, now)).toBe(true);
    expect(verifySignedUrl(secret, url, now + 3599)).toBe(true);
    expect(verifySignedUrl(secret, url, now + 3601)).toBe(false);
    expect(verifySignedUrl(secret, `${url}&extra=1`, now)).toBe(false);
    expect(verifySignedUrl(secret, url.replace(/validate_token=.*/, 'validate_token=zz:zz'), now)).toBe(false);
    expect(verifySignedUrl(secret, '/pulp/content/x/y', now)).toBe(false);
  });
});

describe('x509 client certificates', () => {
  it('checks the validity dates of the client certificate and of the CA', async () => {
    const root = new X509Certificate(await readFile(path.join(certs, 'root.pem')));
    const leaf = encodeURIComponent(await readFile(path.join(certs, 'leaf.pem'), 'utf8'));
    const now = Date.now();
    expect(isTrustedClientCert(leaf, [root], now)).toBe(true);
    expect(isTrustedClientCert(leaf, [root], now + 3 * 86_400_000)).toBe(false);
    expect(isTrustedClientCert(leaf, [root], now - 86_400_000)).toBe(false);
  });

  it('needs the issuer in the bundle, and an issuer that is a CA', async () => {
    const root = new X509Certificate(await readFile(path.join(certs, 'root.pem')));
    const inter = new X509Certificate(await readFile(path.join(certs, 'inter.pem')));
    const leaf = encodeURIComponent(await readFile(path.join(certs, 'leaf.pem'), 'utf8'));
    const leaf2 = encodeURIComponent(await readFile(path.join(certs, 'leaf2.pem'), 'utf8'));
    expect(inter.ca).toBe(false);
    expect(isTrustedClientCert(leaf, [inter])).toBe(false);
    expect(isTrustedClientCert(leaf, [inter, root])).toBe(true);
    expect(isTrustedClientCert(encodeURIComponent(inter.toString()), [root])).toBe(true);
    expect(isTrustedClientCert(leaf2, [inter, root])).toBe(false);
  });

  it('refuses oversized, malformed and empty headers without throwing', async () => {
    const root = new X509Certificate(await readFile(path.join(certs, 'root.pem')));
    expect(isTrustedClientCert('A'.repeat(MAX_CLIENT_CERT_BYTES + 1), [root])).toBe(false);
    expect(isTrustedClientCert('%ZZ', [root])).toBe(false);
    expect(isTrustedClientCert('', [root])).toBe(false);
    expect(isTrustedClientCert(undefined, [root])).toBe(false);
    expect(
      isTrustedClientCert(encodeURIComponent('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'), [root]),
    ).toBe(false);
    const bomb = `${'-----BEGIN CERTIFICATE-----\n'.repeat(2000)}`;
    expect(isTrustedClientCert(encodeURIComponent(bomb), [root])).toBe(false);
  });
});

describe('jq subset', () => {
  const run = (f: string, input: unknown) => compileJq(f)(input);
  it('evaluates paths, iteration, pipes, select and comparisons', () => {
    const doc = {
      a: {
        b: 'x',
        list: [
          { n: 'p', v: 1 },
          { n: 'q', v: 2 },
        ],
      },
      'odd key': true,
    };
    expect(run('.a.b', doc)).toEqual(['x']);
    expect(run('.a.list[1].n', doc)).toEqual(['q']);
    expect(run('.a.list[-1].v', doc)).toEqual([2]);
    expect(run('.a.list[] | .n', doc)).toEqual(['p', 'q']);
    expect(run('.a.list[] | select(.v == 2) | .n', doc)).toEqual(['q']);
    expect(run('.a.list[] | select(.n != "p" and .v == 2) | .v', doc)).toEqual([2]);
    expect(run('.["odd key"]', doc)).toEqual([true]);
    expect(run('.a.b == "x"', doc)).toEqual([true]);
    expect(run('.missing.deeper', doc)).toEqual([null]);
    expect(run('.', 'text')).toEqual(['text']);
  });

  it('rejects what it does not understand instead of guessing', () => {
    for (const f of ['.a | @base64', 'env', '.a[', 'select(.a', '.a ; .b', 'input'])
      expect(() => compileJq(f), f).toThrow();
    expect(() => run('.a[0]', { a: 'string' })).toThrow();
  });
});
