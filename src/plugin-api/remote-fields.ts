/** Secrets of every remote type: write-only, reported only through `hidden_fields` (Pulp's order). */
export const REMOTE_SECRET_FIELDS = ['client_key', 'proxy_username', 'proxy_password', 'username', 'password'] as const;

/** The base fields every remote type returns (spec 7.8), after its identity fields; secrets never appear. */
export function remoteBaseFields(r: Record<string, unknown>): Record<string, unknown> {
  return {
    name: r.name,
    url: r.url,
    ca_cert: r.ca_cert,
    client_cert: r.client_cert,
    tls_validation: r.tls_validation,
    proxy_url: r.proxy_url,
    pulp_labels: r.pulp_labels,
    download_concurrency: r.download_concurrency,
    max_retries: r.max_retries,
    policy: r.policy,
    total_timeout: r.total_timeout,
    connect_timeout: r.connect_timeout,
    sock_connect_timeout: r.sock_connect_timeout,
    sock_read_timeout: r.sock_read_timeout,
    headers: r.headers,
    rate_limit: r.rate_limit,
    hidden_fields: REMOTE_SECRET_FIELDS.map((name) => ({
      name,
      is_set: typeof r[name] === 'string' && r[name] !== '',
    })),
  };
}
