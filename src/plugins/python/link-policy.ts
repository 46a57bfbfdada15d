import { IndexError } from './index-errors.js';

/**
 * Which file links an index page may carry. A remote is untrusted: a link outside the index host (or the
 * file hosts the remote is known to use, such as PyPI's files.pythonhosted.org) would make the worker fetch
 * whatever URL the page names, and `..` segments that climb above the index root reach other paths of the
 * host. Both are refused. Relative links inside the root (`../../packages/...`, as bandersnatch writes
 * static mirrors) are fine.
 */
export interface LinkPolicy {
  /** Hosts (host:port as URL.host has it) that files may come from, besides the index's own. */
  fileHosts: string[];
}

export const DEFAULT_FILE_HOSTS = ['files.pythonhosted.org'];

/** Resolve `href` on `pageUrl` and check it; returns the absolute URL without its fragment, and the fragment. */
export function resolveFileLink(
  href: string,
  pageUrl: string,
  indexUrl: string,
  policy: LinkPolicy,
): { url: string; fragment: string } {
  let url: URL;
  try {
    url = new URL(href, pageUrl);
  } catch (err) {
    throw new IndexError(`${pageUrl}: link ${JSON.stringify(href)} is not a valid URL`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new IndexError(`${pageUrl}: link ${JSON.stringify(href)} is not http or https`);
  }
  if (url.username || url.password)
    throw new IndexError(`${pageUrl}: link ${JSON.stringify(href)} carries credentials`);
  const index = new URL(indexUrl);
  if (url.host !== index.host && !policy.fileHosts.includes(url.host)) {
    throw new IndexError(`${pageUrl}: link ${JSON.stringify(href)} points outside the index host ${index.host}`);
  }
  if (url.host === index.host && !url.pathname.startsWith(index.pathname)) {
    throw new IndexError(
      `${pageUrl}: link ${JSON.stringify(href)} climbs out of the index root ${index.pathname} with ".."`,
    );
  }
  const fragment = url.hash.replace(/^#/, '');
  url.hash = '';
  return { url: url.toString(), fragment };
}
