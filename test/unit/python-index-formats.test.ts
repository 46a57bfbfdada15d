import { describe, expect, it } from 'vitest';

import { parseRequirement } from '../../src/plugins/python/requirement.js';
import { remoteFieldsFromBandersnatch } from '../../src/plugins/python/bandersnatch-config.js';
import { parseDistFilename } from '../../src/plugins/python/filenames.js';
import { DEFAULT_FILE_HOSTS } from '../../src/plugins/python/link-policy.js';
import { negotiateSimple } from '../../src/plugins/python/media-types.js';
import { canonicalizeName } from '../../src/plugins/python/names.js';
import { compareVersions, isPrerelease, satisfiesSpecifier } from '../../src/plugins/python/pep440.js';
import { RemoteFilter, type RemoteFilterOptions } from '../../src/plugins/python/remote-filters.js';
import {
  renderSimpleDetailHtml,
  renderSimpleDetailJson,
  renderSimpleIndexHtml,
  type SimpleFile,
} from '../../src/plugins/python/simple-pages.js';
import { parseIndexPage, parseProjectHtml, parseProjectJson } from '../../src/plugins/python/upstream-pages.js';
import { parseListPackagesWithSerial } from '../../src/plugins/python/xmlrpc.js';

const SHA = 'a'.repeat(64);
const META = 'b'.repeat(64);
const policy = { fileHosts: DEFAULT_FILE_HOSTS };

describe('names, versions and requirements', () => {
  it('normalizes names as PEP 503 says', () => {
    expect(canonicalizeName('Foo.Bar__baz--Qux')).toBe('foo-bar-baz-qux');
  });

  it('orders and matches versions as PEP 440 says, pre-releases included in specifiers', () => {
    expect(['1.0', '1.0rc1', '1.0.post1', '0.9', '1.0.dev0'].sort(compareVersions)).toEqual([
      '0.9',
      '1.0.dev0',
      '1.0rc1',
      '1.0',
      '1.0.post1',
    ]);
    expect(isPrerelease('2.0b1')).toBe(true);
    expect(satisfiesSpecifier('2.0b1', '>=1.0')).toBe(true);
    expect(satisfiesSpecifier('garbage', '')).toBe(false);
    expect(satisfiesSpecifier('1.4.2', '~=1.4')).toBe(true);
  });

  it('parses requirements with extras, parenthesized specifiers and markers', () => {
    expect(parseRequirement('Requests[socks, security] (>=2.0,<3)')).toMatchObject({
      canonicalName: 'requests',
      extras: ['socks', 'security'],
      specifier: '>=2.0,<3',
    });
    expect(parseRequirement('foo ; python_version < "3.12"').marker).toBe('python_version < "3.12"');
    for (const bad of ['', '>=1.0', 'foo bar', 'foo>=', 'foo @ https://x/y.whl', 'foo>=1.0;']) {
      expect(() => parseRequirement(bad), bad).toThrow();
    }
  });

  it('reads what distribution filenames say', () => {
    expect(parseDistFilename('shelf_reader-0.1-py2.py3-none-any.whl')).toMatchObject({
      packagetype: 'bdist_wheel',
      name: 'shelf_reader',
      version: '0.1',
      pythonVersion: 'py2.py3',
    });
    expect(parseDistFilename('foo-bar-1.0.post2.tar.gz')).toMatchObject({
      name: 'foo-bar',
      version: '1.0.post2',
      pythonVersion: 'source',
    });
    expect(parseDistFilename('pkg-1.0.rpm')).toBeNull();
  });
});

describe('simple pages', () => {
  const file: SimpleFile = {
    filename: 'a_b-1.0-py3-none-any.whl',
    url: 'http://h/pulp/content/x/a_b-1.0-py3-none-any.whl',
    sha256: SHA,
    requiresPython: '>=3.8,<4',
    metadataSha256: META,
    yanked: 'broken <build>',
    size: 10,
    uploadTime: '2024-01-01T00:00:00.000000Z',
    version: '1.0',
    provenanceUrl: null,
  };

  it('renders PEP 503 HTML that our own parser reads back', () => {
    const html = renderSimpleDetailHtml('A.B', [file]);
    expect(html).toContain('<h1>Links for a-b</h1>');
    expect(html).toContain('data-requires-python="&#62;=3.8,&#60;4"');
    expect(html).toContain(`data-core-metadata="sha256=${META}"`);
    const [parsed] = parseProjectHtml(html, 'http://h/pypi/x/simple/a-b/', 'http://h/', policy);
    expect(parsed).toMatchObject({
      filename: file.filename,
      url: file.url,
      hashes: { sha256: SHA },
      requiresPython: '>=3.8,<4',
      metadata: { sha256: META },
      yanked: 'broken <build>',
    });
    expect(renderSimpleIndexHtml(['A.B', 'c'])).toContain('<a href="a-b/">A.B</a>');
    expect(parseIndexPage(renderSimpleIndexHtml(['A.B', 'c']), 'text/html', 'http://h/simple/')).toEqual(['A.B', 'c']);
  });

  it('renders PEP 691 JSON with PEP 700 fields that our own parser reads back', () => {
    const json = renderSimpleDetailJson('A.B', [file]) as { files: unknown[]; versions: string[]; name: string };
    expect(json.name).toBe('a-b');
    expect(json.versions).toEqual(['1.0']);
    expect(json.files[0]).toMatchObject({ 'core-metadata': { sha256: META }, size: 10, yanked: 'broken <build>' });
    expect(parseProjectJson(json, 'http://h/simple/a-b/', 'http://h/', policy)[0]).toMatchObject({
      size: 10,
      metadata: { sha256: META },
    });
  });

  it('negotiates as pip and browsers ask', () => {
    expect(negotiateSimple(undefined)).toBe('text/html');
    expect(
      negotiateSimple(
        'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01',
      ),
    ).toBe('application/vnd.pypi.simple.v1+json');
    expect(negotiateSimple('text/html,application/xhtml+xml,*/*;q=0.8')).toBe('text/html');
    expect(negotiateSimple('application/vnd.pypi.simple.v1+html')).toBe('application/vnd.pypi.simple.v1+html');
    expect(negotiateSimple('image/png')).toBe('text/html');
  });
});

describe('hostile index pages', () => {
  const page = 'http://index.example/mirror/simple/a/';
  const root = 'http://index.example/mirror/';
  it.each([
    [
      'a link to another host',
      '<a href="http://evil.example/a-1.0.tar.gz#sha256=' + SHA + '">a</a>',
      /outside the index host/,
    ],
    ['".." segments above the index root', '<a href="../../../etc/a-1.0.tar.gz">a</a>', /climbs out of the index root/],
    ['encoded ".." segments', '<a href="../%2e%2e/%2E%2E/a-1.0.tar.gz">a</a>', /climbs out of the index root/],
    ['a file: URL', '<a href="file:///etc/a-1.0.tar.gz">a</a>', /not http or https/],
    ['a link that is no distribution', '<a href="files/a.exe.txt">a</a>', /not a Python distribution/],
  ])('refuses %s', (_label, html, message) => {
    expect(() => parseProjectHtml(html, page, root, policy)).toThrow(message);
  });

  it('accepts PyPI file hosts and relative links', () => {
    const html = `<a href="https://files.pythonhosted.org/p/a-1.0.tar.gz#sha256=${SHA}">a</a><a href="../../packages/a-1.1.tar.gz">b</a>`;
    expect(parseProjectHtml(html, page, root, policy).map((f) => f.url)).toEqual([
      'https://files.pythonhosted.org/p/a-1.0.tar.gz',
      'http://index.example/mirror/packages/a-1.1.tar.gz',
    ]);
  });
});

describe('XML-RPC project list', () => {
  it('reads list_packages_with_serial and refuses faults', () => {
    const ok = `<?xml version='1.0'?><methodResponse><params><param><value><struct><member><name>a&amp;b</name><value><int>7</int></value></member><member><name>c</name><value><i4>9</i4></value></member></struct></value></param></params></methodResponse>`;
    expect([...parseListPackagesWithSerial(ok, 'u')]).toEqual([
      ['a&b', 7],
      ['c', 9],
    ]);
    const fault = `<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member></struct></value></fault></methodResponse>`;
    expect(() => parseListPackagesWithSerial(fault, 'u')).toThrow(/fault/);
    expect(() => parseListPackagesWithSerial('<html>nope</html>', 'u')).toThrow(/not a list_packages/);
  });
});

describe('remote filters', () => {
  const files = (...names: string[]) =>
    names.map((filename) => ({ filename, packagetype: filename.endsWith('.tar.gz') ? 'sdist' : 'bdist_wheel' }));
  const releases = new Map([
    ['1.0', files('a-1.0.tar.gz', 'a-1.0-cp311-cp311-win_amd64.whl')],
    ['1.1', files('a-1.1-cp311-cp311-manylinux_2_17_x86_64.whl')],
    ['2.0rc1', files('a-2.0rc1.tar.gz')],
    ['2.0', files('a-2.0.tar.gz', 'a-2.0-py3-none-any.whl')],
  ]);
  const base: RemoteFilterOptions = {
    includes: [],
    excludes: [],
    prereleases: false,
    package_types: [],
    keep_latest_packages: 0,
    exclude_platforms: [],
  };

  it('selects by specifier, prereleases, platforms, types and keep-latest', () => {
    const pick = (o: Partial<RemoteFilterOptions>) =>
      Object.fromEntries(
        [...new RemoteFilter({ ...base, ...o }).selectReleases('A', releases)].map(([v, f]) => [
          v,
          f.map((x) => x.filename),
        ]),
      );
    expect(Object.keys(pick({}))).toEqual(['1.0', '1.1', '2.0']);
    expect(Object.keys(pick({ prereleases: true }))).toEqual(['1.0', '1.1', '2.0rc1', '2.0']);
    expect(Object.keys(pick({ includes: ['a>=1.1,<2'] }))).toEqual(['1.1']);
    expect(Object.keys(pick({ includes: ['other'] }))).toEqual([]);
    expect(Object.keys(pick({ excludes: ['a==1.1'] }))).toEqual(['1.0', '2.0']);
    expect(pick({ exclude_platforms: ['windows', 'linux'] })).toEqual({
      '1.0': ['a-1.0.tar.gz'],
      '2.0': ['a-2.0.tar.gz', 'a-2.0-py3-none-any.whl'],
    });
    expect(pick({ package_types: ['sdist'] })).toEqual({ '1.0': ['a-1.0.tar.gz'], '2.0': ['a-2.0.tar.gz'] });
    expect(Object.keys(pick({ keep_latest_packages: 2 }))).toEqual(['1.1', '2.0']);
  });

  it('knows whole-project excludes and the include list', () => {
    const f = new RemoteFilter({ ...base, includes: ['Foo.Bar>=1', 'baz'], excludes: ['baz'] });
    expect(f.includedProjects()).toEqual(['foo-bar', 'baz']);
    expect(f.allowsProject('foo_bar')).toBe(true);
    expect(f.allowsProject('baz')).toBe(false);
  });
});

describe('bandersnatch config', () => {
  it('reads the fields pulp_python takes, with multi-line options', () => {
    const config = `[mirror]
directory = /srv/pypi
master = https://pypi.org
workers = 3

[plugins]
enabled =
    allowlist_project
    latest_release
    exclude_platform
    prerelease_release

[allowlist]
packages =
    django
    requests>=2
# a comment
[blocklist]
packages = evil
platforms =
    windows
    macos

[latest_release]
keep = 2
`;
    expect(remoteFieldsFromBandersnatch(config)).toEqual({
      url: 'https://pypi.org',
      download_concurrency: '3',
      prereleases: false,
      includes: ['django', 'requests>=2'],
      keep_latest_packages: '2',
      exclude_platforms: ['windows', 'macos'],
    });
  });

  it('refuses a file that is not a config', () => {
    expect(() => remoteFieldsFromBandersnatch('just words\n')).toThrow(/line 1/);
    expect(() => remoteFieldsFromBandersnatch('[plugins]\nenabled = all\n')).toThrow(/no \[mirror\]/);
  });
});
