import type { FetchedPage, IndexFetcher } from '../../src/plugins/python/upstream-index.js';

async function page(res: Response): Promise<FetchedPage> {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, headers, body: await res.text() };
}

/** A plain fetch-based IndexFetcher for tests of the index reader. */
export const fetchFetcher: IndexFetcher = {
  async get(url, headers, signal) {
    return page(await fetch(url, { headers, signal: signal ?? null }));
  },
  async post(url, body, headers, signal) {
    return page(await fetch(url, { method: 'POST', body, headers, signal: signal ?? null }));
  },
};
