import type { Selectable } from 'kysely';

import { PulpError } from '../../core/errors.js';
import { PULP_VERSION } from '../../core/version.js';
import type { UpstreamPulpTable } from '../../db/tables.js';
import { processAddressPolicy } from '../../download/address-policy.js';
import { type DownloaderConfig, requestHeaders } from '../../download/config.js';
import { HttpClient } from '../../download/http-client.js';
import type { UpstreamApi } from '../../plugin-api/replicator.js';

/** A replication that cannot go on: the upstream is unreachable or answers something unexpected. */
export class ReplicationError extends PulpError {}

/** Upstream API documents are small; a larger answer is not a Pulp answering. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const READ_TIMEOUT_MS = 60_000;
const USER_AGENT = `pulpcore/${PULP_VERSION} (replication)`;

/** `<base_url>/<api_root>/[<domain>/]api/v3/`, however the slashes were typed. */
export function upstreamApiBase(server: Pick<UpstreamPulpTable, 'base_url' | 'domain'> & { api_root: string }): string {
  const root = server.api_root.replace(/^\/+|\/+$/g, '');
  const domain = server.domain ? `${server.domain.replace(/^\/+|\/+$/g, '')}/` : '';
  return `${server.base_url.replace(/\/+$/, '')}/${root ? `${root}/` : ''}${domain}api/v3/`;
}

/**
 * Reads the upstream Pulp's REST API with the upstream pulp's credentials and TLS material (its CA added to
 * the system store, a client certificate), through the same HTTP client and address policy as remotes.
 */
export class UpstreamClient implements UpstreamApi {
  private readonly http: HttpClient;
  private readonly headers: Record<string, string>;
  readonly apiBase: string;

  constructor(
    private readonly server: Selectable<UpstreamPulpTable>,
    private readonly signal?: AbortSignal,
  ) {
    const config: DownloaderConfig = {
      tls_validation: server.tls_validation,
      ca_cert: server.ca_cert,
      client_cert: server.client_cert,
      client_key: server.client_key,
      username: server.username,
      password: server.password,
    };
    this.http = new HttpClient(config, processAddressPolicy(), 4);
    this.headers = { ...requestHeaders(config, USER_AGENT), accept: 'application/json' };
    this.apiBase = upstreamApiBase(server);
  }

  /** The absolute URL of an href (`/pulp/api/v3/...`), an absolute URL or a path below the API prefix. */
  url(hrefOrPath: string): string {
    if (/^https?:\/\//i.test(hrefOrPath)) return hrefOrPath;
    if (hrefOrPath.startsWith('/')) return new URL(hrefOrPath, this.server.base_url).href;
    return `${this.apiBase}${hrefOrPath}`;
  }

  async get(hrefOrPath: string): Promise<Record<string, unknown>> {
    const url = this.url(hrefOrPath);
    let text: string;
    let status: number;
    try {
      const res = await this.http.get(url, {
        headers: this.headers,
        signal: this.signal,
        readTimeoutMs: READ_TIMEOUT_MS,
      });
      status = res.statusCode;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          throw new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (this.signal?.aborted) throw err;
      const reason = err instanceof Error ? err.message || err.name : String(err);
      throw new ReplicationError(`Could not reach the upstream Pulp at ${url}: ${reason}`, { cause: err });
    }
    if (status !== 200)
      throw new ReplicationError(`The upstream Pulp answered HTTP ${status} for ${url}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ReplicationError(`The upstream Pulp answered ${url} with something that is not JSON.`, { cause: err });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ReplicationError(`The upstream Pulp answered ${url} with something that is not a JSON object.`);
    return body as Record<string, unknown>;
  }

  /** Every object of a paginated list, 100 at a time (as Pulp's replicator pages). */
  async *list(path: string, params: Record<string, string> = {}): AsyncGenerator<Record<string, unknown>> {
    const size = 100;
    for (let offset = 0; ; offset += size) {
      const query = new URLSearchParams({ ...params, limit: String(size), offset: String(offset) });
      const page = await this.get(`${path}?${query.toString()}`);
      const results = page.results;
      if (!Array.isArray(results))
        throw new ReplicationError(`The upstream Pulp's ${this.url(path)} is not a paginated list.`);
      for (const r of results as Record<string, unknown>[]) yield r;
      if (results.length < size || typeof page.next !== 'string') return;
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
