import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';

/** The process (and thread) that created a temporary file, read back from its name. */
export interface TempOwner {
  pid: number;
  threadId: number;
  host: string;
}

/**
 * A temporary file name that says who owns it: `<kind>-<pid>.<thread>@<host>-<random>`. A process killed
 * hard cannot remove its temporary files; its name lets the next process (or a periodic sweep) tell a file
 * whose owner is gone from one still being written, without any shared state: on the owner's host the pid is
 * checked, elsewhere the owner's heartbeat (`app_status` names are `<pid>@<host>`).
 */
export function ownedTempName(kind: string): string {
  return `${kind}-${process.pid}.${threadId}@${hostname()}-${randomBytes(12).toString('hex')}`;
}

const OWNED = /^[a-z][a-z0-9]*-(\d+)\.(\d+)@(.+)-[0-9a-f]{24}$/;

/** The owner encoded by ownedTempName, or null for any other name. */
export function tempOwner(name: string): TempOwner | null {
  const m = OWNED.exec(name);
  if (!m) return null;
  return { pid: Number(m[1]), threadId: Number(m[2]), host: m[3]! };
}
