import { describe, expect, it } from 'vitest';

import { renderListing } from '../../src/content/listing.js';

const PAGE = 'http://content.example/pulp/content/dist/dir/';

/** Every link of a listing, resolved as a browser resolves it against the page's URL. */
function links(html: string): URL[] {
  return [...html.matchAll(/<a href="([^"]*)">/g)].map(
    (m) =>
      new URL(
        m[1]!
          .replace(/&amp;/g, '&')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'"),
        PAGE,
      ),
  );
}

describe('listing links', () => {
  const names = [
    '%2e%2e',
    '%2E%2e/',
    '.%2e',
    'a b',
    'q?x=1',
    'frag#top',
    '//evil.example',
    'back\\slash',
    'x%2fy',
    'a/b',
  ];

  it('never lead outside the listed folder, whatever the entry is named', () => {
    const html = renderListing(
      '/pulp/content/dist/dir/',
      names.map((name) => ({ name, date: null, size: null })),
      false,
    );
    const resolved = links(html).slice(1); // the first is ../
    expect(resolved).toHaveLength(names.length);
    const decoded: string[] = [];
    for (const url of resolved) {
      const name = url.href;
      expect(url.origin, name).toBe('http://content.example');
      expect(url.search, name).toBe('');
      expect(url.hash, name).toBe('');
      const rest = url.pathname.slice('/pulp/content/dist/dir/'.length);
      expect(url.pathname.startsWith('/pulp/content/dist/dir/'), `${name} -> ${url.pathname}`).toBe(true);
      // One segment below the folder (plus a folder's slash), which decodes back to the entry's name.
      expect(rest.replace(/\/$/, ''), name).not.toContain('/');
      decoded.push(decodeURIComponent(rest));
    }
    expect(decoded.sort()).toEqual([...names].sort());
  });

  it('gives a name of dots alone no link at all', () => {
    const html = renderListing(
      '/x/',
      ['..', '.', '../'].map((name) => ({ name, date: null, size: null })),
      false,
    );
    expect(links(html).map((u) => u.pathname)).toEqual(['/pulp/content/dist/']); // only the parent link
    expect(html).toContain('\n..\n');
  });

  it('keeps plain names readable', () => {
    const html = renderListing(
      '/x/',
      [
        { name: 'PULP_MANIFEST', date: null, size: null },
        { name: 'dir/', date: null, size: null },
      ],
      false,
    );
    expect(html).toContain('<a href="./PULP_MANIFEST">PULP_MANIFEST</a>');
    expect(html).toContain('<a href="./dir/">dir/</a>');
  });
});
