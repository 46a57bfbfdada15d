import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls, { rootCertificates } from 'node:tls';

import { RemoteFetchError } from '../core/errors.js';
import { type AddressPolicy, checkLiteralHost, guardedLookup } from './address-policy.js';
import { DEFAULT_CONNECT_TIMEOUT_S, type DownloaderConfig } from './config.js';

/*
 * Why node:http and not undici: undici 7's HTTP/1 parser asserts (`assert(!this.paused)` in Parser.finish) when
 * a server closes the connection while the body is paused by backpressure, which is what every HTTP/1.0 or
 * `Connection: close` server does at the end of a file written to a slower disk. The assertion is thrown from a
 * socket event handler, outside any promise, so it kills the thread (undici#5360, fixed only in undici 8, which
 * needs Node 22). Node's own client parses in C++ (llhttp), applies backpressure by pausing the socket and
 * reports a connection closed early as an error of the response stream, never of the process.
 */

export interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The response body; destroy or consume it. Fails with an error when the connection ends early. */
  body: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: string;
}

export interface HttpGetOptions {
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Longest silence of the server, while waiting for the headers and between body bytes. */
  readTimeoutMs: number;
  /** POST sends `body` (XML-RPC calls of index readers); default GET. A 303 answer is followed with GET. */
  method?: 'GET' | 'POST';
  body?: string | Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** The TLS options of a remote (validation, its CA added to the system store, a client certificate). */
function tlsOptions(config: DownloaderConfig): tls.ConnectionOptions {
  return {
    rejectUnauthorized: config.tls_validation !== false,
    ...(config.tls_validation === false ? { checkServerIdentity: () => undefined } : {}),
    // A remote's ca_cert adds to the system trust store instead of replacing it, as in Pulp.
    ...(config.ca_cert ? { ca: [...rootCertificates, config.ca_cert] } : {}),
    ...(config.client_cert ? { cert: config.client_cert } : {}),
    ...(config.client_key ? { key: config.client_key } : {}),
  };
}

interface ProxyTarget {
  host: string;
  port: number;
  authorization: string | undefined;
}

/**
 * An https agent whose connections are CONNECT tunnels through an HTTP proxy; each tunnel is then a pooled
 * keep-alive TLS connection like any other.
 */
class TunnelingAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly proxy: ProxyTarget,
    private readonly policy: AddressPolicy,
  ) {
    super(options);
  }

  override createConnection(
    requestOptions: http.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const options = requestOptions as tls.ConnectionOptions & { host?: string; port?: number; timeout?: number };
    const fail = (err: Error) => callback?.(err, undefined as unknown as Duplex);
    const target = `${options.host}:${options.port}`;
    const connect = http.request({
      host: this.proxy.host,
      port: this.proxy.port,
      method: 'CONNECT',
      path: target,
      headers: {
        host: target,
        ...(this.proxy.authorization ? { 'proxy-authorization': this.proxy.authorization } : {}),
      },
      lookup: guardedLookup(this.policy),
      agent: false,
      timeout: options.timeout,
    });
    connect.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(new RemoteFetchError(`The proxy refused the tunnel to ${target}: HTTP ${res.statusCode}.`));
        return;
      }
      const secure = tls.connect({ ...options, socket, servername: options.servername ?? options.host });
      callback?.(null, secure);
    });
    connect.once('timeout', () => connect.destroy(new RemoteFetchError(`Connecting to the proxy timed out.`)));
    connect.once('error', fail);
    connect.end();
    return undefined;
  }
}

/**
 * HTTP GETs for one remote: keep-alive pools of `connections` sockets per origin with the remote's TLS, proxy
 * and connect timeout, redirects followed (credentials dropped when the origin changes), and the address
 * policy applied to every connection, proxies included.
 */
export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly proxy: ProxyTarget | null;
  private readonly connectTimeoutMs: number;
  private readonly lookup: ReturnType<typeof guardedLookup>;

  constructor(
    config: DownloaderConfig,
    private readonly policy: AddressPolicy,
    connections = 10,
  ) {
    this.connectTimeoutMs = (config.sock_connect_timeout ?? config.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_S) * 1000;
    const base = { keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: 'lifo' as const };
    this.lookup = guardedLookup(policy);
    this.proxy = config.proxy_url ? parseProxy(config) : null;
    this.httpAgent = new http.Agent(base);
    const secure = { ...base, ...tlsOptions(config) };
    this.httpsAgent = this.proxy ? new TunnelingAgent(secure, this.proxy, policy) : new https.Agent(secure);
  }

  /** GET (or POST) `url`; resolves once the final (non-redirect) response's headers are in. */
  async get(url: string, options: HttpGetOptions): Promise<HttpResponse> {
    let current = new URL(url);
    let headers = { ...options.headers };
    let request = options;
    for (let hop = 0; ; hop++) {
      const res = await this.once(current, headers, request);
      if (res.statusCode === 303 && request.method === 'POST') request = { ...request, method: 'GET', body: undefined };
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode) || !location || hop >= MAX_REDIRECTS) return res;
      res.body.destroy();
      const next = new URL(location, current);
      if (next.origin !== current.origin) {
        const { authorization: _a, cookie: _c, ...rest } = headers;
        headers = rest;
      }
      current = next;
    }
  }

  private once(url: URL, headers: Record<string, string>, options: HttpGetOptions): Promise<HttpResponse> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RemoteFetchError(`Unsupported URL scheme: ${url.href}`, { status: 400 });
    checkLiteralHost(url.hostname, this.policy);
    const secure = url.protocol === 'https:';
    const viaProxy = this.proxy !== null && !secure;
    const port = Number(url.port || (secure ? 443 : 80));
    const request = secure ? https.request : http.request;
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = request({
        host: viaProxy ? this.proxy.host : url.hostname.replace(/^\[|\]$/g, ''),
        port: viaProxy ? this.proxy.port : port,
        path: viaProxy ? url.href : `${url.pathname}${url.search}`,
        method: options.method ?? 'GET',
        headers: {
          ...headers,
          host: url.host,
          ...(viaProxy && this.proxy.authorization ? { 'proxy-authorization': this.proxy.authorization } : {}),
        },
        agent: secure ? this.httpsAgent : this.httpAgent,
        lookup: this.lookup,
        signal: options.signal,
        timeout: options.readTimeoutMs,
      });
      let response: IncomingMessage | null = null;
      // Stays attached for the socket's life: a parse error after the response (a server sending more than
      // its Content-Length) is emitted on the request, and without a listener it would be thrown.
      req.on('error', (err) => {
        if (!response) reject(err);
      });
      req.on('timeout', () => {
        const err = new RemoteFetchError(`No data from ${url.host} for ${options.readTimeoutMs / 1000} s.`);
        // During the body the response stream must fail with this error, not with a generic "aborted".
        response?.destroy(err);
        req.destroy(err);
      });
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => {
          req.destroy(new RemoteFetchError(`Connecting to ${url.host} timed out.`));
        }, this.connectTimeoutMs);
        timer.unref();
        socket.once('connect', () => clearTimeout(timer));
        socket.once('secureConnect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.on('response', (res) => {
        response = res;
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res, url: url.href });
      });
      req.end(options.body);
    });
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function parseProxy(config: DownloaderConfig): ProxyTarget {
  const u = new URL(config.proxy_url as string);
  if (u.protocol !== 'http:') throw new RemoteFetchError(`Unsupported proxy scheme: ${u.protocol}`, { status: 400 });
  const user = config.proxy_username ?? (u.username ? decodeURIComponent(u.username) : null);
  const pass = config.proxy_password ?? (u.password ? decodeURIComponent(u.password) : '');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 80),
    authorization: user ? `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` : undefined,
  };
}
