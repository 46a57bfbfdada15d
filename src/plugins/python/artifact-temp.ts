import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

import { artifactPath, pipeToFile, type Services } from '../../plugin-api/index.js';

/**
 * A private copy of a stored artifact in the storage's temporary directory (the package readers need a file,
 * and S3 storage has none). The caller consumes or removes it.
 */
export async function artifactToTemp(
  services: Pick<Services, 'storage'>,
  sha256: string,
  signal?: AbortSignal,
): Promise<string> {
  const dir = services.storage.tempDir();
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, `pkg-${randomUUID()}`);
  try {
    await pipeToFile(services.storage.createReadStream(artifactPath(sha256)), target, [], { signal });
  } catch (err) {
    await rm(target, { force: true });
    throw err;
  }
  return target;
}
