import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';

import {
  AuthenticationError,
  authenticateClient,
  importArtifactFromFile,
  lockName,
  modelByLabel,
  userHasPermission,
  type Services,
} from '../../plugin-api/index.js';
import { EXTENSION_MESSAGE, parseDistFilename } from './filenames.js';
import { readMultipartForm } from './multipart-form.js';
import { extractPackageMetadata, PackageError } from './package-metadata.js';
import { PACKAGE_TYPE } from './package-rows.js';
import { findPythonIndex } from './pypi-index.js';
import { UPLOAD_TASK } from './upload-task.js';

/** Twine's upload size bound (PyPI's default limit is 100 MB per file). */
export const uploadLimits = { fileSize: 1024 * 1024 * 1024, fields: 200, fieldSize: 4 * 1024 * 1024 };

/** An answer with the reason in the status line (Django's HttpResponse(reason=...), which twine reads) and body. */
function refuse(reply: FastifyReply, status: number, reason: string) {
  reply.raw.statusMessage = reason;
  return reply.code(status).type('text/plain').send(reason);
}

function fieldError(reply: FastifyReply, errors: Record<string, string[]> | string[]) {
  return reply.code(400).type('application/json').send(JSON.stringify(errors));
}

/**
 * An upload to the index (`POST /pypi/<base_path>/legacy/` or `simple/`), as pulp_python's
 * PackageUploadMixin takes it: 403 when the index refuses uploads, 400 without a repository, the form
 * (`:action=file_upload`, `content`, `sha256_digest`) checked, 400 "already exists" when the served
 * version holds the filename, then the artifact stored and the upload task dispatched (202). Stricter than
 * Pulp, the package's metadata is read before anything is stored, so a broken file leaves nothing behind.
 */
export async function serveUpload(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  basePath: string,
): Promise<unknown> {
  const index = await findPythonIndex(services.db, basePath);
  const user = await authenticateClient(services, request);
  if (!user) throw new AuthenticationError();
  if (!index.allowUploads) return refuse(reply, 403, 'Index is not allowing uploads');
  if (!index.repositoryId) return refuse(reply, 400, 'Index is not pointing to a repository');
  const model = modelByLabel('python.pythonrepository');
  const allowed =
    model &&
    (await userHasPermission(services, user, 'python.modify_pythonrepository', { model, id: index.repositoryId }));
  if (!allowed) return reply.code(403).send({ detail: 'You do not have permission to perform this action.' });

  const form = await readMultipartForm(request.raw, services.storage.tempDir(), uploadLimits);
  try {
    const action = form.fields.get(':action') ?? 'file_upload';
    if (action !== 'file_upload') return fieldError(reply, [`We do not support the :action ${action}`]);
    const file = form.files.find((f) => f.field === 'content');
    if (!file) return fieldError(reply, { content: ['No file was submitted.'] });
    const digest = form.fields.get('sha256_digest');
    if (!digest) return fieldError(reply, { sha256_digest: ['This field is required.'] });
    if (digest.length !== 64)
      return fieldError(reply, { sha256_digest: ['Ensure this field has exactly 64 characters.'] });
    const parsed = parseDistFilename(file.filename);
    if (!parsed)
      return fieldError(reply, {
        content: [`Extension on ${file.filename} is not a valid python extension ${EXTENSION_MESSAGE}`],
      });
    const filetype = form.fields.get('filetype');
    if (filetype && filetype !== parsed.packagetype)
      return fieldError(reply, {
        filetype: [
          `filetype ${filetype} does not match found filetype ${parsed.packagetype} for file ${file.filename}`,
        ],
      });
    if (digest.toLowerCase() !== file.sha256)
      return fieldError(reply, { sha256_digest: ['The sha256 checksum did not match.'] });
    if (index.version) {
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one FROM python_package_content p
        WHERE p.filename = ${file.filename} AND EXISTS (SELECT 1 FROM repository_content rc
          WHERE rc.repository_id = ${index.version.repositoryId} AND rc.content_id = p.content_id
          AND rc.version_added <= ${index.version.number}
          AND (rc.version_removed IS NULL OR rc.version_removed > ${index.version.number})) LIMIT 1`.execute(
        services.db,
      );
      if (rows.length > 0) return refuse(reply, 400, `Package ${file.filename} already exists in index`);
    }
    try {
      await extractPackageMetadata(file.path, file.filename);
    } catch (err) {
      if (err instanceof PackageError) return fieldError(reply, { content: [err.message] });
      throw err;
    }
    const artifact = await importArtifactFromFile(services, file.path, {
      expected: { digests: { sha256: file.sha256 } },
    });
    const task = await services.dispatcher.dispatch(
      UPLOAD_TASK,
      {
        artifact_sha256: artifact.sha256,
        filename: file.filename,
        attestations: null,
        repository_pk: index.repositoryId,
      },
      {
        exclusiveResources: [
          `prn:core.artifact:${artifact.pulp_id}`,
          lockName(PACKAGE_TYPE, 'repository', index.repositoryId),
        ],
        userId: user.id,
      },
    );
    return reply
      .code(202)
      .type('application/json')
      .send(JSON.stringify({ task: task.href }));
  } finally {
    await form.cleanup();
  }
}
