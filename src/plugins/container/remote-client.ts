import { sql } from 'kysely';
import { Agent, type Dispatcher } from 'undici';

import { guardedLookup, processAddressPolicy } from '../../plugin-api/index.js';
import type { Db } from './content-store.js';
import { RegistryClient } from './registry-client.js';

/** A container remote's row, as registry clients need it. */
export interface ContainerRemoteRow {
  pulp_id: string;
  pulp_type: string;
  url: string;
  username: string | null;
  password: string | null;
  tls_validation: boolean;
  ca_cert: string | null;
  client_cert: string | null;
  client_key: string | null;
  proxy_url: string | null;
  proxy_username: string | null;
  proxy_password: string | null;
  download_concurrency: number | null;
  max_retries: number | null;
  policy: string;
  headers: Array<Record<string, string>> | null;
  detail: Record<string, unknown>;
}

export async function loadRemote(db: Db, id: string): Promise<ContainerRemoteRow | undefined> {
  const { rows } = await sql<ContainerRemoteRow>`
    SELECT pulp_id, pulp_type, url, username, password, tls_validation, ca_cert, client_cert, client_key, proxy_url,
      proxy_username, proxy_password, download_concurrency, max_retries, policy, headers, detail
    FROM remote WHERE pulp_id = ${id}`.execute(db);
  return rows[0];
}

/**
 * pulp_container's namespaced upstream name: Docker Hub aligns names without a namespace under `library/`.
 */
export function namespacedUpstreamName(remote: Pick<ContainerRemoteRow, 'url' | 'detail'>): string {
  const name = typeof remote.detail.upstream_name === 'string' ? remote.detail.upstream_name : '';
  return !name.includes('/') && /registry[-,\w]*\.docker\.io/i.test(remote.url) ? `library/${name}` : name;
}

// TODO(#13): use plugin-api's re-export of the downloader's dispatcher builder (proxies, timeouts) once the plugin
// platform (#9) publishes it; until then TLS settings only.
function dispatcherFor(remote: ContainerRemoteRow): Dispatcher {
  return new Agent({
    connections: remote.download_concurrency ?? 10,
    connect: {
      // DENY_PRIVATE_REMOTE_ADDRESSES on the address each socket connects to (names; literals: the client).
      lookup: guardedLookup(processAddressPolicy()),
      rejectUnauthorized: remote.tls_validation,
      ...(remote.ca_cert ? { ca: remote.ca_cert } : {}),
      ...(remote.client_cert ? { cert: remote.client_cert } : {}),
      ...(remote.client_key ? { key: remote.client_key } : {}),
    },
  });
}

/** A registry client for a remote (its URL, credentials, TLS settings and headers); close() frees its pool. */
export function clientForRemote(
  remote: ContainerRemoteRow,
  options: { name?: string; signal?: AbortSignal } = {},
): { client: RegistryClient; close(): Promise<void> } {
  const dispatcher = dispatcherFor(remote);
  const headers: Record<string, string> = {};
  for (const entry of remote.headers ?? [])
    for (const [k, v] of Object.entries(entry)) if (k.toLowerCase() !== 'authorization') headers[k.toLowerCase()] = v;
  const client = new RegistryClient({
    url: remote.url,
    name: options.name ?? namespacedUpstreamName(remote),
    username: remote.username,
    password: remote.password,
    dispatcher,
    headers,
    maxRetries: remote.max_retries || 3,
    signal: options.signal,
  });
  return { client, close: () => dispatcher.close() };
}
