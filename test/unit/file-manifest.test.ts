import { describe, expect, it } from 'vitest';

import { entryUrl, ManifestError, parseManifestLine } from '../../src/plugins/file/manifest.js';

const D = 'a'.repeat(64);

describe('PULP_MANIFEST lines', () => {
  it('splits on the last two commas so paths may contain commas, trimming the digest and the size', () => {
    expect(parseManifestLine(`dir/a,b,c.txt, ${D.toUpperCase()} , 12 \r`, 3)).toEqual({
      relativePath: 'dir/a,b,c.txt',
      digest: D,
      size: 12,
      line: 3,
    });
  });

  it('skips blank and comment lines', () => {
    expect(parseManifestLine('   ', 1)).toBeNull();
    expect(parseManifestLine('# comment', 2)).toBeNull();
  });

  it.each([
    ['no commas', 'just-a-path', /line 7 is malformed/],
    ['one comma', `a.txt,${D}`, /line 7 is malformed/],
    ['a non-hex digest', 'a.txt,xyz,1', /line 7 is malformed: the digest/],
    ['a short digest', 'a.txt,abcd,1', /line 7 is malformed: the digest/],
    ['a negative size', `a.txt,${D},-1`, /line 7 is malformed: the size/],
    ['a leading slash', `/a.txt,${D},1`, /line 7 has an invalid relative path/],
    ['a dot-dot segment', `a/../b,${D},1`, /line 7 has an invalid relative path/],
    ['an empty segment', `a//b,${D},1`, /line 7 has an invalid relative path/],
    ['a NUL byte', `a\u0000b,${D},1`, /line 7 has an invalid relative path/],
    ['a question mark', `a?b,${D},1`, /line 7 has an invalid relative path/],
    ['a leading space', ` a.txt,${D},1`, /line 7 has an invalid relative path/],
    ['a trailing space', `a.txt ,${D},1`, /line 7 has an invalid relative path/],
    ['a percent-encoded dot-dot segment', `%2e%2e/x,${D},1`, /line 7 has an invalid relative path/],
    ['a percent-encoded dot segment', `a/%2E/x,${D},1`, /line 7 has an invalid relative path/],
    ['a half-encoded dot-dot segment', `.%2e/x,${D},1`, /line 7 has an invalid relative path/],
  ])('refuses %s, naming the line', (_name, text, message) => {
    expect(() => parseManifestLine(text, 7)).toThrow(ManifestError);
    expect(() => parseManifestLine(text, 7)).toThrow(message);
  });

  it('resolves entries relative to the manifest directory, percent-quoting the path', () => {
    expect(entryUrl('http://h:1/repo/PULP_MANIFEST?x=1', 'dir/a b#c.txt')).toBe('http://h:1/repo/dir/a%20b%23c.txt');
    expect(entryUrl('http://h/PULP_MANIFEST', 'x,y.txt')).toBe('http://h/x%2Cy.txt');
  });
});
