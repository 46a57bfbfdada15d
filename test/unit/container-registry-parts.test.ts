import { describe, expect, it } from 'vitest';

import { classifyReference, isValidRepositoryName, namespaceOf } from '../../src/plugins/container/names.js';
import { RegistryError } from '../../src/plugins/container/registry-errors.js';
import { compileNameFilter, fnmatchToRegExp } from '../../src/plugins/container/tag-filter.js';
import { generateKeyPairPem, keyPairFromPem, libtrustKeyId } from '../../src/plugins/container/token-keys.js';
import { grants, requestedScopes, requiredScopes } from '../../src/plugins/container/token-scopes.js';
import { determineAccess, issueToken } from '../../src/plugins/container/token-server.js';
import { bearerChallenge, requireScopes, verifyToken } from '../../src/plugins/container/token-verify.js';
import { nextLink, parseWwwAuthenticate } from '../../src/plugins/container/www-authenticate.js';

describe('names', () => {
  it.each(['a', 'library/alpine', 'a.b_c__d--e/f0', 'x/y/z'])('accepts %s', (name) =>
    expect(isValidRepositoryName(name)).toBe(true),
  );
  it.each(['', 'A', 'Foo/bar', '../etc', 'a/../b', 'a//b', '/a', 'a/', 'a..b', '-a', 'a_', 'a b', 'x'.repeat(256)])(
    'refuses %j',
    (name) => expect(isValidRepositoryName(name)).toBe(false),
  );
  it('tells tags from digests', () => {
    expect(classifyReference('latest')).toBe('tag');
    expect(classifyReference(`sha256:${'a'.repeat(64)}`)).toBe('digest');
    expect(classifyReference(`sha256:${'A'.repeat(64)}`)).toBe('invalid-digest');
    expect(classifyReference('sha512:abc')).toBe('invalid-digest');
    expect(classifyReference('.hidden')).toBe('invalid');
    expect(classifyReference('x'.repeat(129))).toBe('invalid');
    expect(namespaceOf('a/b/c')).toBe('a');
  });
});

describe('tag filters (fnmatch)', () => {
  it('matches shell patterns on the whole name, case-sensitively', () => {
    expect(fnmatchToRegExp('v1.*').test('v1.2')).toBe(true);
    expect(fnmatchToRegExp('v1.*').test('v1x2')).toBe(false);
    expect(fnmatchToRegExp('v?').test('v2')).toBe(true);
    expect(fnmatchToRegExp('v[0-3]').test('v4')).toBe(false);
    expect(fnmatchToRegExp('v[!0-3]').test('v4')).toBe(true);
    expect(fnmatchToRegExp('a[b').test('a[b')).toBe(true);
    expect(fnmatchToRegExp('Latest').test('latest')).toBe(false);
  });
  it('keeps included names not excluded', () => {
    const keep = compileNameFilter({ includes: ['v*', 'latest'], excludes: ['*-rc*'] });
    expect(['latest', 'v1', 'v2-rc1', 'dev'].filter(keep)).toEqual(['latest', 'v1']);
    expect(['a', 'b'].filter(compileNameFilter({}))).toEqual(['a', 'b']);
  });
});

describe('WWW-Authenticate and Link', () => {
  it('parses Bearer challenges with quoted commas', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth/token",service="reg",scope="repository:a/b:pull,push"'),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth/token', service: 'reg', scope: 'repository:a/b:pull,push' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
    ]);
  });
  it('finds the next page', () => {
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe('/v2/a/tags/list?n=2&last=b');
    expect(nextLink('<https://x/prev>; rel="prev"')).toBeNull();
    expect(nextLink(undefined)).toBeNull();
  });
});

describe('token server', () => {
  const pem = generateKeyPairPem('ES256');
  const keys = keyPairFromPem(pem.privatePem, pem.publicPem, 'ES256');
  const allow = (pull: string[], push: string[], catalog = false) => ({
    pull: async (n: string) => pull.includes(n),
    push: async (n: string) => push.includes(n),
    catalog: async () => catalog,
  });

  it('grants the permitted actions; push implies pull; an unpermitted scope stays with empty actions', async () => {
    const access = await determineAccess(
      ['repository:a:pull,push', 'repository:b:pull', 'repository:c:push', 'registry:catalog:*'],
      allow(['b'], ['a']),
    );
    expect(access).toEqual([
      { type: 'repository', name: 'a', actions: ['push', 'pull'] },
      { type: 'repository', name: 'b', actions: ['pull'] },
      { type: 'repository', name: 'c', actions: [] },
      { type: 'registry', name: 'catalog', actions: [] },
    ]);
    expect(await determineAccess(['repository:a'], allow(['a'], []))).toEqual([]);
    expect(await determineAccess([], allow([], []))).toEqual([]);
  });

  it('issues ES256 tokens that verify against the issuer and audience, and nothing else', async () => {
    const access = [{ type: 'repository', name: 'a', actions: ['pull'] }];
    const t = await issueToken({
      keys,
      issuer: 'http://h/token/',
      service: 'h:1',
      subject: 'alice',
      access,
      expiresIn: 300,
    });
    expect(t.token).toBe(t.access_token);
    expect(t.expires_in).toBe(300);
    const header = JSON.parse(Buffer.from(t.token.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    expect(header).toMatchObject({ alg: 'ES256', kid: keys.kid });
    const v = await verifyToken(t.token, { keys, issuer: 'http://h/token/', audience: 'h:1' });
    expect(v).toEqual({ subject: 'alice', access, expiresAtMs: expect.any(Number) as number });
    requireScopes(v, requiredScopes({ name: 'a', method: 'GET' }));
    const denied = (() => {
      try {
        requireScopes(v, requiredScopes({ name: 'a', method: 'PUT' }));
      } catch (e) {
        return e as RegistryError;
      }
    })();
    expect(denied?.tokenError).toBe('insufficient_scope');
    for (const bad of [
      () => verifyToken(t.token, { keys, issuer: 'http://other/', audience: 'h:1' }),
      () => verifyToken(t.token, { keys, issuer: 'http://h/token/', audience: 'other:1' }),
      () => verifyToken(`${t.token.slice(0, -4)}AAAA`, { keys, issuer: 'http://h/token/', audience: 'h:1' }),
      () => verifyToken('garbage', { keys, issuer: 'http://h/token/', audience: 'h:1' }),
    ]) {
      await expect(bad()).rejects.toMatchObject({ code: 'UNAUTHORIZED', tokenError: 'invalid_token', status: 401 });
    }
    const other = generateKeyPairPem('ES256');
    const otherKeys = keyPairFromPem(other.privatePem, other.publicPem, 'ES256');
    await expect(
      verifyToken(t.token, { keys: otherKeys, issuer: 'http://h/token/', audience: 'h:1' }),
    ).rejects.toMatchObject({ tokenError: 'invalid_token' });
  });

  it('refuses expired tokens', async () => {
    const t = await issueToken({
      keys,
      issuer: 'i',
      service: 's',
      subject: '',
      access: [],
      expiresIn: 300,
      now: new Date(Date.now() - 3600_000),
    });
    await expect(verifyToken(t.token, { keys, issuer: 'i', audience: 's' })).rejects.toMatchObject({
      tokenError: 'invalid_token',
    });
  });

  it('refuses a key pair that does not belong together or to the algorithm', () => {
    const other = generateKeyPairPem('ES256');
    expect(() => keyPairFromPem(pem.privatePem, other.publicPem, 'ES256')).toThrow(/public key/);
    expect(() => keyPairFromPem(pem.privatePem, pem.publicPem, 'RS256')).toThrow(/does not fit/);
    expect(() => keyPairFromPem('nope', pem.publicPem, 'ES256')).toThrow(/cannot be read/);
  });

  it('derives libtrust key ids: 12 groups of 4 base32 characters', () => {
    expect(libtrustKeyId(keys.publicKey)).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
  });

  it('names scopes for requests and challenges', () => {
    expect(requiredScopes({ name: 'a/b', method: 'POST', mountFrom: 'c' })).toEqual([
      { type: 'repository', name: 'a/b', action: 'push' },
      { type: 'repository', name: 'c', action: 'pull' },
    ]);
    expect(requiredScopes({ method: 'GET', catalog: true })).toEqual([
      { type: 'registry', name: 'catalog', action: '*' },
    ]);
    expect(requiredScopes({ method: 'GET' })).toEqual([]);
    expect(
      bearerChallenge(
        { realm: 'http://h/token/', service: 'h', scopes: requiredScopes({ name: 'a', method: 'GET' }) },
        'insufficient_scope',
      ),
    ).toBe('Bearer realm="http://h/token/",service="h",scope="repository:a:pull",error="insufficient_scope"');
    expect(requestedScopes(['repository:a:pull repository:b:pull', 'x:y:z'])).toEqual([
      'repository:a:pull',
      'repository:b:pull',
      'x:y:z',
    ]);
    expect(grants([{ type: 'repository', name: 'a', actions: ['pull'] }], [])).toBe(true);
  });
});
