import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

import { sql } from 'kysely';

import { verifySignedUrl, type ContentHandler, type ContentServices } from '../../plugin-api/index.js';
import { BLOB_CONTENT_TYPE } from './media-types.js';
import { classifyReference, isValidRepositoryName } from './names.js';
import { REDIRECT_GUARD_NAME } from './push-target.js';
import { DISTRIBUTION_TYPE, PUSH_REPOSITORY_TYPE } from './resource-names.js';
import { serveOnDemandBlob } from './on-demand-blob.js';
import { availableBlobs, blobArtifact, type Scope } from './repository-content.js';

const PREFIX = '/pulp/container/';
const BLOB_PATH = /^\/pulp\/container\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/;

function fail(res: ServerResponse, status: number, message: string): true {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
  return true;
}

interface BlobSource {
  scope: Scope;
  pending: boolean;
  secret: string | null;
}

/** The distribution's scope and the secret its redirect URLs are signed with. */
async function blobSource(services: ContentServices, name: string): Promise<BlobSource | null> {
  const { rows } = await sql<{
    repository_id: string | null;
    repository_type: string | null;
    version_repository_id: string | null;
    version_number: number | null;
    secret: string | null;
  }>`
    SELECT d.repository_id, r.pulp_type AS repository_type, rv.repository_id AS version_repository_id,
      rv.number AS version_number,
      coalesce(g.detail->>'shared_secret', (SELECT detail->>'shared_secret' FROM content_guard
        WHERE name = ${REDIRECT_GUARD_NAME} AND pulp_type = 'core.content_redirect')) AS secret
    FROM distribution d
    LEFT JOIN repository r ON r.pulp_id = d.repository_id
    LEFT JOIN repository_version rv ON rv.pulp_id = d.repository_version_id
    LEFT JOIN content_guard g ON g.pulp_id = d.content_guard_id AND g.pulp_type = 'core.content_redirect'
    WHERE d.base_path = ${name} AND d.pulp_type = ${DISTRIBUTION_TYPE}`.execute(services.db);
  const d = rows[0];
  if (!d) return null;
  if (d.repository_id)
    return {
      scope: { repositoryId: d.repository_id, latest: true },
      pending: d.repository_type === PUSH_REPOSITORY_TYPE,
      secret: d.secret,
    };
  if (d.version_repository_id && d.version_number !== null)
    return {
      scope: { repositoryId: d.version_repository_id, number: d.version_number },
      pending: false,
      secret: d.secret,
    };
  return null;
}

/**
 * `/pulp/container/<name>/blobs/<digest>`: the content app's half of a blob pull. The registry API checked
 * the client's token and redirected here with a URL signed by the distribution's content-redirect guard;
 * without a valid, unexpired signature nothing is served.
 */
export const blobContentHandler: ContentHandler = {
  prefix: PREFIX,
  async handle(req: IncomingMessage, res: ServerResponse, services: ContentServices): Promise<boolean> {
    // The raw path (no dot-segment resolution): names are checked as sent.
    const m = BLOB_PATH.exec((req.url ?? '/').split('?')[0] ?? '');
    if (!m) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'Method not allowed.');
    const [, name = '', digest = ''] = m;
    if (!isValidRepositoryName(name) || classifyReference(digest) !== 'digest') return fail(res, 404, 'Not found.');
    const source = await blobSource(services, name);
    if (!source) return fail(res, 404, 'Not found.');
    if (!source.secret || !verifySignedUrl(source.secret, req.url ?? '')) return fail(res, 403, 'Forbidden.');
    const found = await availableBlobs(services.db, source.scope, [digest], source.pending);
    const blobId = found.get(digest);
    if (!blobId) return fail(res, 404, 'Not found.');
    const artifact = await blobArtifact(services.db, blobId);
    if (!artifact) {
      if (await serveOnDemandBlob(services, blobId, digest, req.method, res)) return true;
      return fail(res, 404, 'Not found.');
    }
    res.writeHead(200, {
      'content-type': BLOB_CONTENT_TYPE,
      'content-length': String(artifact.size),
      'docker-content-digest': digest,
      etag: `"${digest}"`,
    });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    await pipeline(services.storage.createReadStream(artifact.file), res);
    return true;
  },
};
