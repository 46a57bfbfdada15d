import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import {
  artifactFromFileUrl,
  artifactFromReference,
  assembleUpload,
  assertSafeRelativePath,
  createRepositoryVersion,
  deleteUpload,
  dispatchGeneric,
  fileUrlField,
  GENERAL_CREATE,
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
import { fileRepository } from './repositories.js';
import { fileDb } from './tables.js';

export const FileContentSchema = Type.Object({
  relative_path: Type.String({ minLength: 1 }),
  file: Type.Optional(Type.String({ format: 'binary', writeOnly: true })),
  upload: Type.Optional(Type.String({ writeOnly: true })),
  artifact: Type.Optional(Type.String()),
  file_url: fileUrlField,
  repository: Type.Optional(Type.String({ writeOnly: true })),
  overwrite: Type.Optional(Type.Boolean({ writeOnly: true })),
  pulp_labels: Type.Optional(
    Type.Union([Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])), Type.String()]),
  ),
});

/** `POST content/file/files/`: stores an uploaded `file` as an artifact first, then dispatches general_create. */
export function contentCreateOperation(): Operation {
  return {
    method: 'POST',
    url: 'content/file/files/',
    pathKey: 'content/file/files/',
    operationId: 'content_file_files_create',
    tag: 'Content: Files',
    body: { name: 'file.FileContent', schema: FileContentSchema, encodings: 'file' },
    responses: { 202: { schema: 'AsyncOperationResponse' } },
    access: { viewset: 'content/file/files', action: 'create' },
    async handle(ctx: RequestContext) {
      const relativePath = assertSafeRelativePath(String(ctx.body.relative_path));
      const file = ctx.files.find((f) => f.field === 'file');
      const sources = [file, ctx.body.upload, ctx.body.artifact, ctx.body.file_url].filter((x) => x !== undefined);
      if (sources.length !== 1)
        throw new ValidationError({
          non_field_errors: ["Exactly one of 'file', 'upload', 'artifact' or 'file_url' must be specified."],
        });
      const data: Record<string, unknown> = { relative_path: relativePath, overwrite: ctx.body.overwrite !== false };
      if (ctx.body.file_url !== undefined) data.file_url = parseFileUrl(ctx.body.file_url);
      if (ctx.body.pulp_labels !== undefined) data.pulp_labels = validateLabels(ctx.body.pulp_labels);
      const exclusive: string[] = [];
      if (file) data.artifact_pk = (await importArtifactFromFile(ctx.services, file.path)).pulp_id;
      else if (ctx.body.artifact !== undefined)
        data.artifact_pk = (
          await artifactFromReference(
            ctx.services.db,
            'artifact',
            typeof ctx.body.artifact === 'string' ? ctx.body.artifact : '',
          )
        ).pulp_id;
      else if (ctx.body.upload !== undefined) {
        data.upload_pk = uploadIdOf(ctx.body.upload);
        const u = await ctx.services.db
          .selectFrom('upload')
          .select('pulp_id')
          .where('pulp_id', '=', data.upload_pk as string)
          .executeTakeFirst();
        if (!u) throw new ValidationError({ upload: ['Invalid hyperlink - Object does not exist.'] });
        exclusive.push(`prn:core.upload:${u.pulp_id}`);
      }
      if (ctx.body.repository !== undefined) {
        data.repository_pk = await resolveReference(ctx, 'repository', ctx.body.repository, 'repository', [
          'file.file',
        ]);
        exclusive.push(lockName('file.file', 'repository', data.repository_pk as string));
      }
      return dispatchGeneric(ctx, GENERAL_CREATE, 'content', 'file.file', { data }, { exclusiveResources: exclusive });
    },
  };
}

/**
 * general_create of a `file.file` unit: an upload becomes an artifact (and is deleted); an existing unit with
 * the same (relative_path, sha256) is reused, its missing artifact re-linked; with a repository, a new
 * version holds the unit (recorded before the unit, as Pulp orders created_resources).
 */
export async function createFileContent(ctx: TaskContext, data: Record<string, unknown>): Promise<string> {
  const { services } = ctx;
  const relativePath = assertSafeRelativePath(String(data.relative_path));
  let artifactId = data.artifact_pk as string | undefined;
  if (data.upload_pk) {
    const assembled = await assembleUpload(services, data.upload_pk as string, ctx.signal);
    artifactId = (await importArtifactFromFile(services, assembled.path, { computed: assembled, signal: ctx.signal }))
      .pulp_id;
    await deleteUpload(services, data.upload_pk as string);
  }
  if (data.file_url) artifactId = await artifactFromFileUrl(ctx, data.file_url as FileUrlSource);
  if (!artifactId) throw new ValidationError({ artifact: ['This field is required.'] });
  const contentId = await saveFileUnit(
    services,
    relativePath,
    artifactId,
    data.pulp_labels as Record<string, string | null> | undefined,
  );
  if (typeof data.repository_pk === 'string') {
    const version = await createRepositoryVersion(
      services.db,
      data.repository_pk,
      { add: [contentId] },
      { apiPrefix: services.apiPrefix, overwrite: data.overwrite !== false },
    );
    if (version) {
      await ctx.addCreatedResource(version.href);
      await fileRepository.resourceType.afterVersion?.(ctx, data.repository_pk, version);
    }
  }
  return contentId;
}

/** Creates the unit for (relative_path, artifact), or reuses the existing one (re-linking a missing artifact). */
export async function saveFileUnit(
  services: Services,
  relativePath: string,
  artifactId: string,
  labels?: Record<string, string | null>,
): Promise<string> {
  const artifact = await services.db
    .selectFrom('artifact')
    .select(['pulp_id', 'sha256'])
    .where('pulp_id', '=', artifactId)
    .executeTakeFirstOrThrow();
  return fileDb(services.db)
    .transaction()
    .execute(async (trx) => {
      const existing = await trx
        .selectFrom('file_content')
        .select('content_id')
        .where('relative_path', '=', relativePath)
        .where('digest', '=', artifact.sha256)
        .executeTakeFirst();
      if (existing) {
        await sql`UPDATE content_artifact SET artifact_id = ${artifact.pulp_id} WHERE content_id = ${existing.content_id} AND artifact_id IS NULL`.execute(
          trx,
        );
        await sql`UPDATE content SET timestamp_of_interest = clock_timestamp() WHERE pulp_id = ${existing.content_id}`.execute(
          trx,
        );
        return existing.content_id;
      }
      const c = await trx
        .insertInto('content')
        .values({ pulp_type: 'file.file', pulp_labels: JSON.stringify(labels ?? {}), upstream_id: null })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('file_content')
        .values({ content_id: c.pulp_id, relative_path: relativePath, digest: artifact.sha256 })
        .execute();
      await trx
        .insertInto('content_artifact')
        .values({ content_id: c.pulp_id, artifact_id: artifact.pulp_id, relative_path: relativePath })
        .execute();
      return c.pulp_id;
    });
}

/** `POST content/file/files/upload/`: the same fields minus `repository`, done in the request (201). */
export function contentUploadOperation(
  serialize: (services: Services, id: string) => Promise<Record<string, unknown>>,
): Operation {
  return {
    method: 'POST',
    url: 'content/file/files/upload/',
    pathKey: 'content/file/files/upload/',
    operationId: 'content_file_files_upload',
    tag: 'Content: Files',
    body: {
      name: 'FileContentUpload',
      schema: Type.Omit(FileContentSchema, ['repository', 'file_url']),
      encodings: 'file',
    },
    responses: { 201: { schema: 'file.FileContentResponse' } },
    access: { viewset: 'content/file/files', action: 'upload' },
    async handle(ctx: RequestContext) {
      const relativePath = assertSafeRelativePath(String(ctx.body.relative_path));
      const file = ctx.files.find((f) => f.field === 'file');
      const sources = [file, ctx.body.upload, ctx.body.artifact].filter((x) => x !== undefined);
      if (sources.length !== 1)
        throw new ValidationError({
          non_field_errors: ["Exactly one of 'file', 'upload' or 'artifact' must be specified."],
        });
      const labels = ctx.body.pulp_labels !== undefined ? validateLabels(ctx.body.pulp_labels) : undefined;
      let artifactId: string;
      if (file) artifactId = (await importArtifactFromFile(ctx.services, file.path)).pulp_id;
      else if (ctx.body.artifact !== undefined)
        artifactId = (
          await artifactFromReference(
            ctx.services.db,
            'artifact',
            typeof ctx.body.artifact === 'string' ? ctx.body.artifact : '',
          )
        ).pulp_id;
      else {
        const id = uploadIdOf(ctx.body.upload);
        const assembled = await assembleUpload(ctx.services, id);
        artifactId = (await importArtifactFromFile(ctx.services, assembled.path, { computed: assembled })).pulp_id;
        await deleteUpload(ctx.services, id);
      }
      const contentId = await saveFileUnit(ctx.services, relativePath, artifactId, labels);
      return { status: 201, body: await serialize(ctx.services, contentId) };
    },
  };
}
