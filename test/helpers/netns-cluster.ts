// Hosts on one machine: each is a Linux network namespace with its own address, linked by a veth pair to a
// bridge in the test's namespace (which has the bridge's first address, so services there are reachable by
// address, never by loopback). A host's processes run under `unshare --uts` with a hostname of their own, so
// their app_status names and temporary files look as they would on separate machines. Needs root and iproute2.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

export interface Host {
  name: string;
  namespace: string;
  address: string;
}

export interface HostProcess {
  child: ChildProcess;
  output: () => string;
}

export interface Network {
  /** The test's own address on the bridge. */
  gateway: string;
  /** CIDR of the bridge's subnet. */
  subnet: string;
  hosts: Host[];
  /** Runs `command` on `host` (in its namespace, with its hostname). */
  run(host: Host, command: string, args: string[], env: Record<string, string>): HostProcess;
  /** Cuts the host's link (its processes keep running but reach nothing). */
  cut(host: Host): void;
  /** `kill -9` of every process in the host's namespace. */
  kill(host: Host): number[];
  destroy(): void;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether network namespaces can be made here (root, iproute2, a kernel that allows it). */
export function canUseNetns(): boolean {
  const probe = `ptsprobe${process.pid % 100000}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return true;
  } catch {
    return false;
  }
}

export function createNetwork(count: number): Network {
  // Names are limited to 15 characters; the subnet is picked from the pid so that parallel runs do not collide.
  const id = process.pid % 10000;
  const octet = 10 + (process.pid % 240);
  const subnet = `10.213.${octet}.0/24`;
  const gateway = `10.213.${octet}.1`;
  const bridge = `pts${id}br`;
  const hosts: Host[] = [];
  const destroy = () => {
    for (const h of hosts) {
      killAll(h);
      try {
        ip('netns', 'del', h.namespace);
      } catch {
        // already gone
      }
    }
    try {
      ip('link', 'del', bridge);
    } catch {
      // already gone
    }
  };
  const killAll = (h: Host): number[] => {
    let pids: number[] = [];
    try {
      pids = ip('netns', 'pids', h.namespace).split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    return pids;
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    for (let i = 1; i <= count; i++) {
      const h: Host = { name: `host${i}`, namespace: `pts${id}h${i}`, address: `10.213.${octet}.${10 + i}` };
      hosts.push(h);
      const outside = `pts${id}v${i}`;
      ip('netns', 'add', h.namespace);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.namespace);
      ip('link', 'set', outside, 'master', bridge, 'up');
      ip('-n', h.namespace, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
      ip('-n', h.namespace, 'link', 'set', 'eth0', 'up');
      ip('-n', h.namespace, 'link', 'set', 'lo', 'up');
    }
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    gateway,
    subnet,
    hosts,
    run(host, command, args, env) {
      let out = '';
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          host.namespace,
          'unshare',
          '--uts',
          'sh',
          '-c',
          `hostname ${host.name} && exec "$@"`,
          'sh',
          command,
          ...args,
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-50_000)));
      child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-50_000)));
      return { child, output: () => out };
    },
    cut(host) {
      ip('-n', host.namespace, 'link', 'set', 'eth0', 'down');
    },
    kill: killAll,
    destroy,
  };
}
