import type { Downloader } from '../../plugin-api/index.js';
import type { IndexFetcher } from './upstream-index.js';

/** Largest index answer read (PyPI's biggest project JSON documents are a few tens of MB). */
export const MAX_PAGE_BYTES = 64 * 1024 * 1024;

/** The index reader's fetcher on a remote's downloader (its proxy, TLS, credentials, headers, retries). */
export function downloaderFetcher(downloader: Downloader): IndexFetcher {
  return {
    get: (url, headers, signal) => downloader.fetchPage(url, { headers, maxBytes: MAX_PAGE_BYTES }, signal),
    post: (url, body, headers, signal) =>
      downloader.fetchPage(url, { method: 'POST', body, headers, maxBytes: MAX_PAGE_BYTES }, signal),
  };
}
