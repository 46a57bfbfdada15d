import type { Readable } from 'node:stream';

import type { Dispatcher } from 'undici';

import { checkLiteralHost, processAddressPolicy, RemoteFetchError, TaskCanceledError } from '../../plugin-api/index.js';
import { MAX_MANIFEST_SIZE } from './manifest.js';
import { MANIFEST_ACCEPT_HEADER } from './media-types.js';
import { nextLink, parseWwwAuthenticate } from './www-authenticate.js';

export interface RegistryClientOptions {
  /** The remote's URL: the registry's origin, optionally with a path prefix. */
  url: string;
  /** Repository name at the remote (pulp_container's namespaced upstream name). */
  name: string;
  username?: string | null;
  password?: string | null;
  /** Connection pool with the remote's TLS, proxy and timeout settings. */
  dispatcher: Dispatcher;
  /** User-Agent and the remote's extra headers; never an Authorization header (the client manages it). */
  headers?: Record<string, string>;
  maxRetries?: number;
  retryBaseMs?: number;
  signal?: AbortSignal;
}

export interface FetchedManifest {
  bytes: Buffer;
  contentType: string | undefined;
  /** Docker-Content-Digest as the registry sent it (checked by the caller against the bytes). */
  digest: string | undefined;
}

export interface OpenedBlob {
  body: Readable;
  size: number | null;
}

const MAX_TAG_PAGES = 10_000;
const MAX_JSON_BODY = 64 * 1024 * 1024;
const MAX_REDIRECTS = 10;

class HttpStatusError extends RemoteFetchError {}

/**
 * A client of the distribution API for sync and pull-through: Docker's token protocol (anonymous, or with the
 * remote's credentials sent to the token realm), Basic auth when the registry asks for it, paged tag lists,
 * manifests in every format we store, and blobs (following redirects to object storage without forwarding
 * credentials to another origin). Bodies are size-capped before they are buffered.
 */
export class RegistryClient {
  private readonly base: URL;
  private authorization: string | null = null;

  constructor(private readonly options: RegistryClientOptions) {
    const base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new RemoteFetchError(`Unsupported URL scheme: ${options.url}`, { status: 400 });
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
  }

  private url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base);
  }

  /** Every tag of the repository, following `Link: <...>; rel="next"` pages on the same origin. */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let url: URL | null = this.url(`v2/${this.options.name}/tags/list`);
    for (let page = 0; url && page < MAX_TAG_PAGES; page++) {
      const res = await this.request('GET', url, { accept: 'application/json' });
      const body = await readLimited(res.body, MAX_JSON_BODY, url);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new RemoteFetchError(`${url.href}: the tag list is not JSON.`, { cause: err });
      }
      const list = (json as { tags?: unknown }).tags;
      if (list !== null && list !== undefined) {
        if (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))
          throw new RemoteFetchError(`${url.href}: the tag list is malformed.`);
        tags.push(...(list as string[]));
      }
      const next = nextLink(headerValue(res.headers.link));
      url = next ? new URL(next, url) : null;
      if (url && url.origin !== this.base.origin)
        throw new RemoteFetchError(`${this.base.origin} sent a tag page link to another origin: ${url.origin}`);
    }
    return [...new Set(tags)];
  }

  /** A manifest by tag or digest, at most MAX_MANIFEST_SIZE bytes; null when the registry does not have it. */
  async getManifest(reference: string): Promise<FetchedManifest | null> {
    const url = this.url(`v2/${this.options.name}/manifests/${encodeURIComponent(reference)}`);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.request('GET', url, { accept: MANIFEST_ACCEPT_HEADER });
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) return null;
      throw err;
    }
    const bytes = await readLimited(res.body, MAX_MANIFEST_SIZE, url);
    return {
      bytes,
      contentType: headerValue(res.headers['content-type']),
      digest: headerValue(res.headers['docker-content-digest']),
    };
  }

  /** The digest a tag points to now (HEAD), or null when the tag is gone. */
  async headManifest(
    reference: string,
  ): Promise<{ digest: string | undefined; contentType: string | undefined } | null> {
    const url = this.url(`v2/${this.options.name}/manifests/${encodeURIComponent(reference)}`);
    try {
      const res = await this.request('HEAD', url, { accept: MANIFEST_ACCEPT_HEADER });
      await res.body.dump();
      return {
        digest: headerValue(res.headers['docker-content-digest']),
        contentType: headerValue(res.headers['content-type']),
      };
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) return null;
      throw err;
    }
  }

  /** A blob's body as a stream; the caller verifies its digest and size while storing it. */
  async openBlob(digest: string): Promise<OpenedBlob> {
    const url = this.url(`v2/${this.options.name}/blobs/${digest}`);
    const res = await this.request('GET', url, {});
    const length = headerValue(res.headers['content-length']);
    return { body: res.body, size: length !== undefined && /^\d+$/.test(length) ? Number(length) : null };
  }

  /** The URL of a blob, for remote artifacts of on-demand syncs. */
  blobUrl(digest: string): string {
    return this.url(`v2/${this.options.name}/blobs/${digest}`).href;
  }

  /**
   * One request with authentication, redirects and retries. Throws HttpStatusError for any final status >= 400
   * (its body drained), RemoteFetchError for transport failures.
   */
  async request(method: 'GET' | 'HEAD', start: URL, headers: Record<string, string>): Promise<Dispatcher.ResponseData> {
    const maxRetries = this.options.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.requestOnce(method, start, headers);
      } catch (err) {
        if (this.options.signal?.aborted) throw new TaskCanceledError('Download canceled.', { cause: err });
        const status = err instanceof RemoteFetchError ? err.status : undefined;
        const retriable = status === undefined || status === 429 || status >= 500;
        if (attempt >= maxRetries || !retriable) throw err;
        await delay(Math.random() * (this.options.retryBaseMs ?? 1000) * 2 ** attempt, this.options.signal);
      }
    }
  }

  private async requestOnce(
    method: 'GET' | 'HEAD',
    start: URL,
    headers: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    let url = start;
    let authenticated = false;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameOrigin = url.origin === this.base.origin;
      const sent: Record<string, string> = { ...this.options.headers, ...headers };
      if (sameOrigin && this.authorization) sent.authorization = this.authorization;
      const res = await this.send(method, url, sent);
      if (res.statusCode === 401 && sameOrigin && !authenticated) {
        const challenge = headerValue(res.headers['www-authenticate']);
        await res.body.dump().catch(() => undefined);
        authenticated = true;
        if (!challenge || !(await this.authenticate(challenge)))
          throw new HttpStatusError(`${url.href}: HTTP 401 Unauthorized.`, { status: 401 });
        hop--;
        continue;
      }
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        await res.body.dump().catch(() => undefined);
        const next = new URL(headerValue(res.headers.location)!, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:')
          throw new RemoteFetchError(`${url.href} redirected to an unsupported URL.`, { status: 400 });
        url = next;
        continue;
      }
      if (res.statusCode >= 400) {
        await res.body.dump().catch(() => undefined);
        throw new HttpStatusError(`${url.href}: HTTP ${res.statusCode}.`, { status: res.statusCode });
      }
      return res;
    }
    throw new RemoteFetchError(`${start.href}: too many redirects.`, { status: 400 });
  }

  private async send(
    method: Dispatcher.HttpMethod,
    url: URL,
    headers: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    // DENY_PRIVATE_REMOTE_ADDRESSES for IP literals, which no lookup sees; redirects and token realms included.
    checkLiteralHost(url.hostname, processAddressPolicy());
    try {
      return await this.options.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        signal: this.options.signal,
      });
    } catch (err) {
      throw new RemoteFetchError(`${url.href}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Answers a challenge: a Basic one with the credentials, a Bearer one with a token from its realm. */
  private async authenticate(header: string): Promise<boolean> {
    const { username, password } = this.options;
    const basic = username ? `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` : null;
    for (const challenge of parseWwwAuthenticate(header)) {
      if (challenge.scheme === 'basic' && basic) {
        this.authorization = basic;
        return true;
      }
      if (challenge.scheme === 'bearer' && challenge.params.realm) {
        this.authorization = `Bearer ${await this.fetchToken(challenge.params, basic)}`;
        return true;
      }
    }
    return false;
  }

  private async fetchToken(params: Record<string, string>, basic: string | null): Promise<string> {
    const realm = new URL(params.realm!);
    if (realm.protocol !== 'http:' && realm.protocol !== 'https:')
      throw new RemoteFetchError(`The token realm ${params.realm} is not an http(s) URL.`, { status: 400 });
    if (params.service) realm.searchParams.set('service', params.service);
    const scope = params.scope ?? `repository:${this.options.name}:pull`;
    for (const s of scope.split(' ')) realm.searchParams.append('scope', s);
    const headers: Record<string, string> = { ...this.options.headers, accept: 'application/json' };
    if (basic) headers.authorization = basic;
    const res = await this.send('GET', realm, headers);
    if (res.statusCode >= 400) {
      await res.body.dump().catch(() => undefined);
      throw new HttpStatusError(`The token server ${realm.origin} answered HTTP ${res.statusCode}.`, {
        status: res.statusCode,
      });
    }
    const body = await readLimited(res.body, 1024 * 1024, realm);
    let json: { token?: unknown; access_token?: unknown };
    try {
      json = JSON.parse(body.toString('utf8')) as typeof json;
    } catch (err) {
      throw new RemoteFetchError(`The token server ${realm.origin} did not answer JSON.`, { cause: err });
    }
    const token = typeof json.token === 'string' ? json.token : json.access_token;
    if (typeof token !== 'string' || token === '')
      throw new RemoteFetchError(`The token server ${realm.origin} sent no token.`);
    return token;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a body of at most `limit` bytes; a longer one is refused before it is buffered further. */
export async function readLimited(body: Readable, limit: number, url: URL): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new RemoteFetchError(`${url.href}: the response is larger than ${limit} bytes.`, { status: 413 });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new TaskCanceledError('Download canceled.'));
      },
      { once: true },
    );
  });
}
