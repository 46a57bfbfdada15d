import { arch, platform } from 'node:os';

import { type Dispatcher, interceptors } from 'undici';

import { PULP_VERSION } from '../core/version.js';
import { DEFAULT_TOTAL_TIMEOUT_S, type DownloaderConfig, requestHeaders } from '../download/config.js';
import { buildDispatcher } from '../download/downloader.js';

const USER_AGENT = `pulpcore/${PULP_VERSION} (node ${process.version}, ${platform()} ${arch()}) (undici) content-app`;

export interface UpstreamRemote extends DownloaderConfig {
  pulp_id: string;
  pulp_last_updated: string;
}

/**
 * Streaming GETs against remotes for on-demand content. The sync downloader (src/download) writes whole files
 * before returning; the content app must pass bytes on as they arrive, so it keeps its own undici dispatchers,
 * configured from the same remote fields (TLS, client certificate, proxy and its credentials, headers, basic
 * auth, timeouts) and reused while the remote row is unchanged.
 */
export class UpstreamClients {
  private readonly dispatchers = new Map<string, { version: string; dispatcher: Dispatcher }>();

  private dispatcherFor(remote: UpstreamRemote): Dispatcher {
    const hit = this.dispatchers.get(remote.pulp_id);
    if (hit && hit.version === remote.pulp_last_updated) return hit.dispatcher;
    if (hit) void hit.dispatcher.close().catch(() => undefined);
    const dispatcher = buildDispatcher(remote).compose(interceptors.redirect({ maxRedirections: 10 }));
    this.dispatchers.set(remote.pulp_id, { version: remote.pulp_last_updated, dispatcher });
    return dispatcher;
  }

  /** Starts a GET; resolves when the status line and headers are in. */
  async get(remote: UpstreamRemote, url: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported URL scheme ${u.protocol}`);
    const readTimeout = (remote.sock_read_timeout ?? DEFAULT_TOTAL_TIMEOUT_S) * 1000;
    return this.dispatcherFor(remote).request({
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      headers: requestHeaders(remote, USER_AGENT),
      signal,
      headersTimeout: readTimeout,
      bodyTimeout: readTimeout,
    });
  }

  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((d) => d.dispatcher.close().catch(() => undefined)));
  }
}
