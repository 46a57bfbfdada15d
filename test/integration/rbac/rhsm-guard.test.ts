/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isAllowedByGuard } from '../../../src/content/guards/index.js';
import { buildHuffmanTree } from '../../../src/plugins/certguard/rhsm-paths.js';
import { createTestApi, type TestApi } from '../../helpers/api.js';

/*
 * RHSM certificate guards with certificates this test makes: a CA, a v1 entitlement (paths in
 * 1.3.6.1.4.1.2312.9.2.<n>.1.6) and a v3 entitlement (version 3.4 in .9.6, the zlib + Huffman path tree in
 * .9.7, encoded here from the format's description), plus one signed by another CA.
 */

let api: TestApi;
let server: Server;
let base: string;
let dir: string;
const certs: Record<string, string> = {};

type Node = Map<string, Node>;
type Tree = { left: unknown; right: unknown; node: true };

function codes(tree: Tree): Map<unknown, boolean[]> {
  const out = new Map<unknown, boolean[]>();
  const walk = (n: unknown, prefix: boolean[]) => {
    const t = n as Tree;
    if (typeof n === 'object' && n !== null && t.node === true) {
      walk(t.left, [...prefix, false]);
      walk(t.right, [...prefix, true]);
    } else out.set(n, prefix);
  };
  walk(tree, []);
  return out;
}

/** The v3 entitlement payload for these paths: zlib(words joined by NUL), node count, Huffman-coded edges. */
function entitlementPayload(paths: string[]): Buffer {
  const root: Node = new Map();
  for (const p of paths) {
    let n = root;
    for (const segment of p.replace(/^\/+|\/+$/g, '').split('/')) {
      if (!n.has(segment)) n.set(segment, new Map());
      n = n.get(segment)!;
    }
  }
  const nodes: Node[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const n = queue.shift()!;
    nodes.push(n);
    queue.push(...n.values());
  }
  const words = ['', ...new Set(nodes.flatMap((n) => [...n.keys()]))];
  const wordCodes = codes(buildHuffmanTree(words));
  const addressCodes = codes(buildHuffmanTree(nodes.slice(1)));
  const bits: boolean[] = [];
  for (const n of nodes) {
    for (const [word, child] of n) bits.push(...wordCodes.get(word)!, ...addressCodes.get(child)!);
    bits.push(...wordCodes.get('')!);
  }
  const packed = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) packed[i >> 3] = packed[i >> 3]! | (0x80 >> (i & 7));
  });
  if (nodes.length >= 128) throw new Error('test encoder: short counts only');
  return Buffer.concat([deflateSync(Buffer.from(words.join('\0'))), Buffer.from([nodes.length]), packed]);
}

async function ask(guardId: string, requestPath: string, cert?: string): Promise<boolean> {
  const headers: Record<string, string> = { 'x-guard-id': guardId };
  if (cert) headers['x-client-cert'] = encodeURIComponent(cert);
  const res = await fetch(`${base}/pulp/content${requestPath}`, { headers });
  return (await res.text()) === 'allowed';
}

beforeAll(async () => {
  api = await createTestApi();
  server = createServer((req, res) => {
    const id = String(req.headers['x-guard-id'] ?? '');
    const below = (req.url ?? '').replace(/^\/pulp\/content\//, '');
    isAllowedByGuard(api.database.db, id, { request: req, path: below })
      .then((ok) => res.end(ok ? 'allowed' : 'denied'))
      .catch(() => res.end('error'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-rhsm-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca'])
    run(
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
      'keyUsage=critical,keyCertSign',
    );
  const v3 = entitlementPayload([
    '/content/dist/rhel/$releasever/$basearch/os',
    '/content/beta/rhel/8/x86_64/appstream',
  ]);
  await writeFile(
    path.join(dir, 'ext.cnf'),
    [
      // `\\$` keeps OpenSSL's config parser from expanding `$releasever` as a variable.
      '[v1]',
      '1.3.6.1.4.1.2312.9.4.1 = ASN1:UTF8String:Test order',
      '1.3.6.1.4.1.2312.9.2.1001.1.6 = ASN1:UTF8String:/content/dist/rhel/\\$releasever/\\$basearch/os',
      '1.3.6.1.4.1.2312.9.2.1002.1.6 = ASN1:UTF8String:/content/beta/rhel/8/x86_64/appstream',
      '[v3]',
      '1.3.6.1.4.1.2312.9.6 = ASN1:UTF8String:3.4',
      `1.3.6.1.4.1.2312.9.7 = ASN1:FORMAT:HEX,OCTETSTRING:${v3.toString('hex')}`,
      '',
    ].join('\n'),
  );
  for (const [name, ca, section] of [
    ['v1', 'ca', 'v1'],
    ['v3', 'ca', 'v3'],
    ['stranger', 'other-ca', 'v3'],
  ] as const) {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      'ext.cnf',
      '-extensions',
      section,
    );
  }
  for (const n of ['ca', 'v1', 'v3', 'stranger']) certs[n] = await readFile(path.join(dir, `${n}.pem`), 'utf8');
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  const res = await api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null };
}

describe('contentguards/certguard/rhsm/', () => {
  let guardId: string;
  it('is created with a CA certificate, which must be PEM', async () => {
    const bad = await call('POST', '/pulp/api/v3/contentguards/certguard/rhsm/', {
      name: 'r0',
      ca_certificate: 'nope',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toHaveProperty('ca_certificate');
    const r = await call('POST', '/pulp/api/v3/contentguards/certguard/rhsm/', {
      name: 'rhsm',
      ca_certificate: certs.ca,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ name: 'rhsm', ca_certificate: certs.ca });
    expect(r.body!.pulp_href).toMatch(/\/contentguards\/certguard\/rhsm\/[0-9a-f-]{36}\/$/);
    expect(r.body!.prn).toMatch(/^prn:certguard\.rhsmcertguard:/);
    guardId = r.body!.pulp_href.split('/').at(-2);
    const listed = await call('GET', '/pulp/api/v3/contentguards/?pulp_type__in=certguard.rhsm');
    expect(listed.body!.count).toBe(1);
  });

  for (const version of ['v1', 'v3'] as const) {
    it(`admits a ${version} certificate to its entitled paths only, a $variable matching one segment`, async () => {
      const cert = certs[version]!;
      expect(await ask(guardId, '/content/dist/rhel/8/x86_64/os/repodata/repomd.xml', cert)).toBe(true);
      expect(await ask(guardId, '/content/dist/rhel/9/aarch64/os/Packages/a.rpm', cert)).toBe(true);
      expect(await ask(guardId, '//content//beta/rhel/8/x86_64/appstream/x', cert)).toBe(true);
      expect(await ask(guardId, '/content/beta/rhel/8/x86_64/appstream', cert)).toBe(true);
      expect(await ask(guardId, '/content/beta/rhel/9/x86_64/appstream/x', cert)).toBe(false);
      expect(await ask(guardId, '/content/dist/rhel/8/x86_64/debug/x', cert)).toBe(false);
      expect(await ask(guardId, '/content/dist/rhel/8/x86_64', cert)).toBe(false);
      expect(await ask(guardId, '/other/x', cert)).toBe(false);
    });
  }

  it('refuses a certificate of another CA, no certificate, and garbage', async () => {
    const allowed = '/content/dist/rhel/8/x86_64/os/x';
    expect(await ask(guardId, allowed, certs.stranger)).toBe(false);
    expect(await ask(guardId, allowed)).toBe(false);
    expect(await ask(guardId, allowed, 'not a certificate')).toBe(false);
    // The CA itself chains to the CA but grants no paths.
    expect(await ask(guardId, allowed, certs.ca)).toBe(false);
  });
});
