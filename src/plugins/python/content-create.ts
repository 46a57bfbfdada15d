import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

import { sql } from 'kysely';

import {
  artifactFromFileUrl,
  artifactFromReference,
  assembleUpload,
  createRepositoryVersion,
  deleteUpload,
  dispatchGeneric,
  GENERAL_CREATE,
  hashFile,
  importArtifactFromFile,
  lockName,
  parseFileUrl,
  resolveReference,
  validateLabels,
  ValidationError,
  type FileUrlSource,
  type Operation,
  type RequestContext,
  type Services,
  type TaskContext,
  uploadIdOf,
} from '../../plugin-api/index.js';
import { artifactToTemp } from './artifact-temp.js';
import { PackageContentSchema, PackageUploadSchema } from './content-schemas.js';
import { EXTENSION_MESSAGE, parseDistFilename } from './filenames.js';
import { extractPackageMetadata, PackageError } from './package-metadata.js';
import { PACKAGE_TYPE } from './package-rows.js';
import { storePackageFile } from './package-store.js';
import { pythonRepository } from './repositories.js';

const ENDPOINT = 'content/python/packages';

/** A package filename as a relative path: one path segment with a distribution extension (Pulp's message). */
export function checkFilename(filename: string): string {
  if (!filename || filename.includes('/') || filename.includes('\\') || filename.startsWith('.'))
    throw new ValidationError({ relative_path: [`${filename} is not a valid package filename.`] });
  if (!parseDistFilename(filename))
    throw new ValidationError([`Extension on ${filename} is not a valid python extension ${EXTENSION_MESSAGE}`]);
  return filename;
}

/** Read the metadata of a file still in the request (a 400 before anything is stored). */
async function checkPackageFile(filePath: string, filename: string): Promise<void> {
  try {
    await extractPackageMetadata(filePath, filename);
  } catch (err) {
    if (err instanceof PackageError) throw new ValidationError([err.message], { cause: err });
    throw err;
  }
}

async function copyToTemp(services: Services, file: string): Promise<string> {
  const target = path.join(services.storage.tempDir(), `pkg-${randomUUID()}`);
  await copyFile(file, target);
  return target;
}

function checkSha256(given: unknown, actual: string): void {
  if (typeof given === 'string' && given !== '' && given !== actual)
    throw new ValidationError({
      sha256: ["The uploaded artifact's sha256 checksum does not match the one provided"],
    });
}

/** `POST content/python/packages/`: 202; the task reads the package and creates the unit (and version). */
export function contentCreateOperation(): Operation {
  return {
    method: 'POST',
    url: `${ENDPOINT}/`,
    pathKey: `${ENDPOINT}/`,
    operationId: 'content_python_packages_create',
    tag: 'Content: Packages',
    body: { name: 'python.PythonPackageContent', schema: PackageContentSchema, encodings: 'file' },
    responses: { 202: { schema: 'AsyncOperationResponse' } },
    access: { viewset: ENDPOINT, action: 'create' },
    async handle(ctx: RequestContext) {
      const relativePath = checkFilename(String(ctx.body.relative_path));
      const file = ctx.files.find((f) => f.field === 'file');
      const sources = [file, ctx.body.upload, ctx.body.artifact, ctx.body.file_url].filter((x) => x !== undefined);
      if (sources.length !== 1)
        throw new ValidationError({
          non_field_errors: ["Exactly one of 'file', 'upload', 'artifact' or 'file_url' must be specified."],
        });
      const data: Record<string, unknown> = { relative_path: relativePath };
      if (typeof ctx.body.sha256 === 'string' && ctx.body.sha256 !== '') data.sha256 = ctx.body.sha256;
      if (ctx.body.pulp_labels !== undefined) data.pulp_labels = validateLabels(ctx.body.pulp_labels);
      const exclusive: string[] = [];
      if (file) {
        await checkPackageFile(file.path, relativePath);
        const artifact = await importArtifactFromFile(ctx.services, await copyToTemp(ctx.services, file.path));
        checkSha256(ctx.body.sha256, artifact.sha256);
        data.artifact_pk = artifact.pulp_id;
      } else if (ctx.body.artifact !== undefined) {
        const ref = typeof ctx.body.artifact === 'string' ? ctx.body.artifact : '';
        data.artifact_pk = (await artifactFromReference(ctx.services.db, 'artifact', ref)).pulp_id;
      } else if (ctx.body.upload !== undefined) {
        data.upload_pk = uploadIdOf(ctx.body.upload);
        const u = await ctx.services.db
          .selectFrom('upload')
          .select('pulp_id')
          .where('pulp_id', '=', data.upload_pk as string)
          .executeTakeFirst();
        if (!u) throw new ValidationError({ upload: ['Invalid hyperlink - Object does not exist.'] });
        exclusive.push(`prn:core.upload:${u.pulp_id}`);
      } else {
        data.file_url = parseFileUrl(ctx.body.file_url);
      }
      if (ctx.body.repository !== undefined) {
        data.repository_pk = await resolveReference(ctx, 'repository', ctx.body.repository, 'repository', [
          PACKAGE_TYPE,
        ]);
        exclusive.push(lockName(PACKAGE_TYPE, 'repository', data.repository_pk as string));
      }
      return dispatchGeneric(ctx, GENERAL_CREATE, 'content', PACKAGE_TYPE, { data }, { exclusiveResources: exclusive });
    },
  };
}

async function setLabels(services: Services, contentId: string, labels: unknown): Promise<void> {
  if (!labels) return;
  await sql`UPDATE content SET pulp_labels = ${JSON.stringify(labels)}::jsonb WHERE pulp_id = ${contentId}`.execute(
    services.db,
  );
}

/**
 * general_create of a `python.python` unit (pulp_python's deferred_validate + create): the artifact's
 * metadata is read and checked, an existing unit with the same sha256 is reused, and with a repository a
 * new version holds it (recorded before the unit, as Pulp orders created_resources).
 */
export async function createPythonContent(ctx: TaskContext, data: Record<string, unknown>): Promise<string> {
  const { services } = ctx;
  const filename = checkFilename(String(data.relative_path));
  let artifactId = data.artifact_pk as string | undefined;
  if (data.upload_pk) {
    const assembled = await assembleUpload(services, data.upload_pk as string, ctx.signal);
    artifactId = (await importArtifactFromFile(services, assembled.path, { computed: assembled, signal: ctx.signal }))
      .pulp_id;
    await deleteUpload(services, data.upload_pk as string);
  }
  if (data.file_url) artifactId = await artifactFromFileUrl(ctx, data.file_url as FileUrlSource);
  if (!artifactId) throw new ValidationError({ artifact: ['This field is required.'] });
  const artifact = await services.db
    .selectFrom('artifact')
    .select(['sha256'])
    .where('pulp_id', '=', artifactId)
    .executeTakeFirstOrThrow();
  checkSha256(data.sha256, artifact.sha256);
  const temp = await artifactToTemp(services, artifact.sha256, ctx.signal);
  const stored = await storePackageFile(services, temp, filename, { signal: ctx.signal });
  if (stored.created) await setLabels(services, stored.contentId, data.pulp_labels);
  if (typeof data.repository_pk === 'string') {
    const version = await createRepositoryVersion(
      services.db,
      data.repository_pk,
      { add: [stored.contentId] },
      { apiPrefix: services.apiPrefix },
    );
    if (version) {
      await ctx.addCreatedResource(version.href);
      await pythonRepository.resourceType.afterVersion?.(ctx, data.repository_pk, version);
    }
  }
  return stored.contentId;
}

/** `POST content/python/packages/upload/`: the file's own name is the filename; done in the request (201). */
export function contentUploadOperation(
  serialize: (services: Services, id: string) => Promise<Record<string, unknown>>,
): Operation {
  return {
    method: 'POST',
    url: `${ENDPOINT}/upload/`,
    pathKey: `${ENDPOINT}/upload/`,
    operationId: 'content_python_packages_upload',
    tag: 'Content: Packages',
    body: { name: 'PythonPackageContentUpload', schema: PackageUploadSchema, encodings: 'file' },
    responses: { 201: { schema: 'python.PythonPackageContentResponse' } },
    access: { viewset: ENDPOINT, action: 'upload' },
    async handle(ctx: RequestContext) {
      const file = ctx.files.find((f) => f.field === 'file');
      if (!file) throw new ValidationError({ file: ['No file was submitted.'] });
      const filename = checkFilename(path.basename(file.filename));
      const labels = ctx.body.pulp_labels !== undefined ? validateLabels(ctx.body.pulp_labels) : undefined;
      const temp = await copyToTemp(ctx.services, file.path);
      const digests = await hashFile(temp, ctx.services.settings.ALLOWED_CONTENT_CHECKSUMS);
      try {
        checkSha256(ctx.body.sha256, digests.digests.sha256);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      const stored = await storePackageFile(ctx.services, temp, filename);
      if (stored.created) await setLabels(ctx.services, stored.contentId, labels);
      return { status: 201, body: await serialize(ctx.services, stored.contentId) };
    },
  };
}
