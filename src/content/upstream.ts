import { arch, platform } from 'node:os';

import { PULP_VERSION } from '../core/version.js';
import type { AddressPolicy } from '../download/address-policy.js';
import { DEFAULT_TOTAL_TIMEOUT_S, type DownloaderConfig, requestHeaders } from '../download/config.js';
import { HttpClient, type HttpResponse } from '../download/http-client.js';

const USER_AGENT = `pulpcore/${PULP_VERSION} (node ${process.version}, ${platform()} ${arch()}) content-app`;

export interface UpstreamRemote extends DownloaderConfig {
  pulp_id: string;
  pulp_last_updated: string;
}

/**
 * Streaming GETs against remotes for on-demand content. The sync downloader (src/download) writes whole files
 * before returning; the content app must pass bytes on as they arrive, so it keeps its own HTTP clients,
 * configured from the same remote fields (TLS, client certificate, proxy and its credentials, headers, basic
 * auth, timeouts) and reused while the remote row is unchanged.
 */
export class UpstreamClients {
  private readonly clients = new Map<string, { version: string; client: HttpClient }>();

  constructor(private readonly policy: AddressPolicy) {}

  private clientFor(remote: UpstreamRemote): HttpClient {
    const hit = this.clients.get(remote.pulp_id);
    if (hit && hit.version === remote.pulp_last_updated) return hit.client;
    if (hit) void hit.client.close().catch(() => undefined);
    const client = new HttpClient(remote, this.policy, remote.download_concurrency ?? 10);
    this.clients.set(remote.pulp_id, { version: remote.pulp_last_updated, client });
    return client;
  }

  /** Starts a GET; resolves when the status line and headers are in. */
  async get(remote: UpstreamRemote, url: string, signal: AbortSignal): Promise<HttpResponse> {
    return this.clientFor(remote).get(url, {
      headers: requestHeaders(remote, USER_AGENT),
      signal,
      readTimeoutMs: (remote.sock_read_timeout ?? DEFAULT_TOTAL_TIMEOUT_S) * 1000,
    });
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((d) => d.client.close().catch(() => undefined)));
  }
}
