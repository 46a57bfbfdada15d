/** Network settings of a remote (Pulp's remote fields), as the downloader uses them. */
export interface DownloaderConfig {
  download_concurrency?: number | null;
  max_retries?: number | null;
  total_timeout?: number | null;
  connect_timeout?: number | null;
  sock_connect_timeout?: number | null;
  sock_read_timeout?: number | null;
  headers?: Array<Record<string, string>> | null;
  username?: string | null;
  password?: string | null;
  proxy_url?: string | null;
  proxy_username?: string | null;
  proxy_password?: string | null;
  tls_validation?: boolean | null;
  ca_cert?: string | null;
  client_cert?: string | null;
  client_key?: string | null;
  rate_limit?: number | null;
}

export const DEFAULT_DOWNLOAD_CONCURRENCY = 10;
/** Pulp treats 0 as unset too, so both give 3 retries. */
export const DEFAULT_MAX_RETRIES = 3;
/** aiohttp's defaults, which Pulp inherits when a timeout is null. */
export const DEFAULT_TOTAL_TIMEOUT_S = 300;
export const DEFAULT_CONNECT_TIMEOUT_S = 30;

/** Builds the request headers: Pulp's User-Agent (a custom one appended after ", ") plus the remote's headers. */
export function requestHeaders(config: DownloaderConfig, baseUserAgent: string): Record<string, string> {
  const out: Record<string, string> = { 'user-agent': baseUserAgent };
  for (const entry of config.headers ?? []) {
    for (const [k, v] of Object.entries(entry)) {
      const key = k.toLowerCase();
      if (key === 'user-agent') out['user-agent'] = `${baseUserAgent}, ${v}`;
      else out[key] = String(v);
    }
  }
  if (config.username) {
    out.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
  }
  return out;
}
