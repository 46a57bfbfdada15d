import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { sql } from 'kysely';

import { importArtifactFromFile, MultiHasher, type ContentServices, type Digests } from '../../plugin-api/index.js';
import { BLOB_CONTENT_TYPE } from './media-types.js';
import { clientForRemote, loadRemote } from './remote-client.js';

interface Candidate {
  remote_artifact_id: string;
  content_artifact_id: string;
  remote_id: string;
  size: string | null;
}

/**
 * Serves a blob that a sync recorded but did not download: streamed from the remote to the client while it is
 * hashed, and, unless the remote's policy is `streamed`, stored and linked once its digest matched. A blob that
 * does not match is cut off mid-stream (the client sees a broken transfer, never wrong bytes as complete) and
 * its remote artifact is marked failed. Returns false when no remote can serve it.
 */
export async function serveOnDemandBlob(
  services: ContentServices,
  blobId: string,
  digest: string,
  method: string,
  res: ServerResponse,
): Promise<boolean> {
  const { rows } = await sql<Candidate>`
    SELECT ra.pulp_id AS remote_artifact_id, ca.pulp_id AS content_artifact_id, ra.remote_id, ra.size
    FROM content_artifact ca JOIN remote_artifact ra ON ra.content_artifact_id = ca.pulp_id
    WHERE ca.content_id = ${blobId} ORDER BY ra.failed_at NULLS FIRST LIMIT 1`.execute(services.db);
  const candidate = rows[0];
  if (!candidate) return false;
  const remote = await loadRemote(services.db, candidate.remote_id);
  if (!remote) return false;
  if (method === 'HEAD') {
    res.writeHead(200, {
      'content-type': BLOB_CONTENT_TYPE,
      'docker-content-digest': digest,
      ...(candidate.size ? { 'content-length': candidate.size } : {}),
    });
    res.end();
    return true;
  }
  const connection = clientForRemote(remote);
  const client = connection.client;
  const save = remote.policy !== 'streamed';
  const file = path.join(services.storage.tempDir(), `container-ondemand-${randomUUID()}`);
  try {
    const blob = await client.openBlob(digest);
    const hasher = new MultiHasher(services.settings.ALLOWED_CONTENT_CHECKSUMS);
    res.writeHead(200, {
      'content-type': BLOB_CONTENT_TYPE,
      'docker-content-digest': digest,
      ...(blob.size !== null ? { 'content-length': String(blob.size) } : {}),
    });
    await mkdir(path.dirname(file), { recursive: true });
    const out = save ? createWriteStream(file) : null;
    let computed: { size: number; digests: Digests } | null = null;
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hasher.update(chunk);
        if (out && !out.write(chunk)) out.once('drain', () => cb(null, chunk));
        else cb(null, chunk);
      },
      flush(cb) {
        // The last bytes go out only once they are known to be the right ones.
        const digests = hasher.digest();
        if (`sha256:${digests.sha256}` !== digest) cb(new Error(`Blob ${digest} from the remote has another digest.`));
        else {
          computed = { size: hasher.size, digests };
          cb();
        }
      },
    });
    try {
      await pipeline(blob.body, tee, res);
    } finally {
      if (out) await new Promise<void>((r) => out.end(r));
    }
    if (save && computed) {
      const artifact = await importArtifactFromFile(services, file, { computed });
      await sql`UPDATE content_artifact SET artifact_id = ${artifact.pulp_id}
        WHERE pulp_id = ${candidate.content_artifact_id} AND artifact_id IS NULL`.execute(services.db);
    }
    return true;
  } catch (err) {
    await sql`UPDATE remote_artifact SET failed_at = clock_timestamp() WHERE pulp_id = ${candidate.remote_artifact_id}`.execute(
      services.db,
    );
    if (!res.headersSent) {
      services.logger.warn({ digest, err }, 'on-demand blob failed');
      res.writeHead(502, { 'content-type': 'text/plain' }).end('The remote could not provide the blob.\n');
      return true;
    }
    res.destroy(err as Error);
    return true;
  } finally {
    await rm(file, { force: true });
    await connection.close();
  }
}
