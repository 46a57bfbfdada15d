import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

import { RemoteFetchError } from '../core/errors.js';

/** Which addresses remotes may connect to. */
export interface AddressPolicy {
  /** Refuse loopback, link-local, private and other non-public ranges (setting DENY_PRIVATE_REMOTE_ADDRESSES). */
  denyPrivate: boolean;
}

export const ALLOW_ALL: AddressPolicy = { denyPrivate: false };

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address (`::ffff:127.0.0.1`, `64:ff9b::7f00:1`). */
function embeddedIpv4(address: string): string | null {
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return null;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether an IP address is outside the public unicast ranges. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    return v4 !== null ? NON_PUBLIC.check(v4, 'ipv4') : NON_PUBLIC.check(address, 'ipv6');
  }
  return false;
}

function refused(host: string, address: string): RemoteFetchError {
  return new RemoteFetchError(
    `Connecting to ${host} (${address}) is not allowed: DENY_PRIVATE_REMOTE_ADDRESSES refuses loopback, link-local and private addresses.`,
    { status: 403 },
  );
}

/** Refuses a URL host that is itself a non-public IP literal (no name lookup happens for those). */
export function checkLiteralHost(hostname: string, policy: AddressPolicy): void {
  if (!policy.denyPrivate) return;
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) throw refused(host, host);
  if (isIP(host) && isNonPublicAddress(host)) throw refused(host, host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * dns.lookup for sockets, refusing non-public results when the policy says so. The check runs on the address
 * the socket will connect to, so a name that resolves to a public address when the remote is saved and to
 * 127.0.0.1 when it is used (DNS rebinding) is refused as well.
 */
export function guardedLookup(
  policy: AddressPolicy,
): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses;
      if (policy.denyPrivate) {
        const bad = list.find((a) => isNonPublicAddress(a.address));
        if (bad) return callback(refused(hostname, bad.address), '');
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

let processPolicy: AddressPolicy = ALLOW_ALL;

/**
 * Sets the policy of every downloader this process creates afterwards (each process entry point calls it
 * once with its settings), so that plugins, which build downloaders themselves, need not pass it along.
 */
export function setProcessAddressPolicy(policy: AddressPolicy): void {
  processPolicy = policy;
}

export function processAddressPolicy(): AddressPolicy {
  return processPolicy;
}
