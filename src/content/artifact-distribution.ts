import type { IncomingMessage, ServerResponse } from 'node:http';

import { isUuid } from '../core/ids.js';
import type { Database } from '../db/database.js';
import type { Storage } from '../storage/storage.js';
import { prepareStoredFile, sendStoredFile } from './serve-file.js';

export { ARTIFACT_DISTRIBUTION_TYPE } from '../core/artifact-distribution.js';

/**
 * Serves `<base_path>/<artifact uuid>` of the artifact distribution; false when there is no such artifact (the
 * caller answers 404). The guard has already checked the signed URL.
 */
export async function serveArtifactById(
  db: Database,
  storage: Storage,
  req: IncomingMessage,
  res: ServerResponse,
  relativePath: string,
): Promise<boolean> {
  const id = relativePath.replace(/\/+$/, '');
  if (!isUuid(id)) return false;
  const artifact = await db
    .selectFrom('artifact')
    .select(['file', 'size'])
    .where('pulp_id', '=', id)
    .executeTakeFirst();
  if (!artifact) return false;
  const file = await prepareStoredFile(
    storage,
    artifact.file,
    Number(artifact.size),
    'application/octet-stream',
    false,
  );
  res.setHeader('Content-Disposition', `attachment;filename=${id}`);
  await sendStoredFile(req, res, storage, file);
  return true;
}
