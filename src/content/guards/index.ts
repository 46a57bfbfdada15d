import type { IncomingMessage } from 'node:http';

import type { Database } from '../../db/database.js';

export interface GuardRequest {
  /** The raw request: headers (X-CLIENT-CERT, custom guard headers) and URL (signed redirect parameters). */
  request: IncomingMessage;
  /** Path below CONTENT_PATH_PREFIX, as requested. */
  path: string;
}

/**
 * Whether the content guard with this id lets the request through. The RBAC/guards work fills this in;
 * until then every request passes.
 */
export async function isAllowedByGuard(_db: Database, _guardId: string, _req: GuardRequest): Promise<boolean> {
  return true;
}
