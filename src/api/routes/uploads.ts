import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { formatTimestamp, isUuid } from '../../core/ids.js';
import type { UploadTable } from '../../db/tables.js';
import { dispatchReply } from '../../plugin-api/dispatch-reply.js';
import { type FilterSet, identityFilters, numberFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';
import { chunkStorageName, deleteUpload } from '../../plugin-api/uploads.js';
import '../header-parameters.js';

type UploadRow = { pulp_id: string; pulp_created: string; pulp_last_updated: string; size: UploadTable['size'] };

const UploadBody = Type.Object({
  size: Type.Integer({ minimum: 0, format: 'int64', description: 'The size of the upload in bytes.' }),
});
const ChunkBody = Type.Object({
  file: Type.String({ format: 'binary', description: 'A chunk of the uploaded file.' }),
  sha256: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
const CommitBody = Type.Object({
  sha256: Type.String({ minLength: 1, description: 'The expected sha256 checksum for the file.' }),
});

const common = {
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
  size: Type.Integer(),
  completed: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { readOnly: true }),
};
const UploadResponse = Type.Object(common);
const UploadDetailResponse = Type.Object({
  ...common,
  chunks: Type.Array(Type.Object({ offset: Type.Integer(), size: Type.Integer() }), { readOnly: true }),
});

function serializeUpload(prefix: string, row: UploadRow): Record<string, unknown> {
  return {
    pulp_href: `${prefix}uploads/${row.pulp_id}/`,
    prn: `prn:core.upload:${row.pulp_id}`,
    pulp_created: formatTimestamp(row.pulp_created),
    pulp_last_updated: formatTimestamp(row.pulp_last_updated),
    size: Number(row.size),
    // Committed uploads are deleted, so an upload that still exists is never completed.
    completed: null,
  };
}

async function findUpload(ctx: RequestContext): Promise<UploadRow> {
  const id = ctx.params.pulp_id ?? '';
  const row = isUuid(id)
    ? await ctx.services.db
        .selectFrom('upload')
        .select(['pulp_id', 'pulp_created', 'pulp_last_updated', 'size'])
        .where('pulp_id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No Upload matches the given query.');
  return row;
}

function contentRange(ctx: RequestContext): { start: number; end: number; total: number | null } {
  const raw = ctx.headers['content-range'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const m = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16}|\*)$/.exec(value ?? '');
  if (!m) throw new ValidationError(['Invalid or missing content range header.']);
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Stores one chunk. A chunk at an offset already uploaded replaces it (a client retrying), and chunks may
 * come in any order. The new chunk's file is in storage before its row points at it; the replaced file is
 * removed after the row changed.
 */
async function putChunk(ctx: RequestContext): Promise<UploadRow> {
  const upload = await findUpload(ctx);
  const part = ctx.files.find((f) => f.field === 'file');
  if (!part || ctx.body.file !== part.path)
    throw new ValidationError({ file: ['The submitted data was not a file. Check the encoding type on the form.'] });
  const { start, end, total } = contentRange(ctx);
  // Beyond Pulp, which ignores the total: a client that means another size is uploading to the wrong upload.
  if (total !== null && total !== Number(upload.size))
    throw new ValidationError(['The total size in the content range does not match the upload size.']);
  if (end < start || end - start + 1 !== part.size)
    throw new ValidationError(['Chunk size does not match content range.']);
  if (end > Number(upload.size) - 1) throw new ValidationError(['End byte is greater than upload size.']);
  const expected = ctx.body.sha256;
  if (typeof expected === 'string' && expected !== '' && expected.toLowerCase() !== (await sha256Of(part.path))) {
    throw new ValidationError({ sha256: ['Checksum does not match chunk upload.'] });
  }
  const { db, storage } = ctx.services;
  const name = chunkStorageName();
  await storage.saveFromFile(part.path, name);
  let replaced: string | null = null;
  try {
    replaced = await db.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM upload WHERE pulp_id = ${upload.pulp_id} FOR UPDATE`.execute(trx);
      const old = await trx
        .selectFrom('upload_chunk')
        .select('file')
        .where('upload_id', '=', upload.pulp_id)
        .where('offset', '=', start)
        .executeTakeFirst();
      await sql`INSERT INTO upload_chunk (upload_id, "offset", size, file) VALUES (${upload.pulp_id}, ${start}, ${part.size}, ${name})
        ON CONFLICT (upload_id, "offset") DO UPDATE SET size = EXCLUDED.size, file = EXCLUDED.file, pulp_last_updated = clock_timestamp()`.execute(
        trx,
      );
      await sql`UPDATE upload SET pulp_last_updated = clock_timestamp() WHERE pulp_id = ${upload.pulp_id}`.execute(trx);
      return old?.file ?? null;
    });
  } catch (err) {
    await storage.delete(name);
    throw err;
  }
  if (replaced) await storage.delete(replaced);
  return findUpload(ctx);
}

const uploadFilterSet: FilterSet = {
  filters: [
    ...numberFilters('size', 'u.size', false).filter((f) =>
      ['size', 'size__gt', 'size__lt', 'size__range'].includes(f.name),
    ),
    ...identityFilters('u.pulp_id'),
  ],
  ordering: ['size', 'pulp_last_updated', 'pulp_id'],
};

export function uploadRoutes(): OperationModule {
  const tag = 'Uploads';
  const access = (action: string) => ({ viewset: 'uploads', action });
  return {
    components: [
      { name: 'UploadResponse', schema: UploadResponse },
      { name: 'UploadDetailResponse', schema: UploadDetailResponse },
      paginatedComponent('UploadResponse'),
    ],
    operations: [
      {
        method: 'GET',
        url: 'uploads/',
        pathKey: 'uploads/',
        operationId: 'uploads_list',
        tag,
        summary: 'List uploads',
        filters: uploadFilterSet,
        responses: { 200: { schema: 'PaginatedUploadResponseList' } },
        access: access('list'),
        handle: (ctx) =>
          listResponse(
            ctx,
            ctx.services.db
              .selectFrom('upload as u')
              .select(['u.pulp_id', 'u.pulp_created', 'u.pulp_last_updated', 'u.size']),
            {
              filterSet: uploadFilterSet,
              tableAlias: 'u',
              serialize: (rows: UploadRow[]) => rows.map((r) => serializeUpload(ctx.services.apiPrefix, r)),
            },
          ),
      },
      {
        method: 'POST',
        url: 'uploads/',
        pathKey: 'uploads/',
        operationId: 'uploads_create',
        tag,
        summary: 'Create an upload',
        body: { name: 'Upload', schema: UploadBody },
        responses: { 201: { schema: 'UploadResponse' } },
        access: access('create'),
        async handle(ctx) {
          const row = await ctx.services.db
            .insertInto('upload')
            .values({ size: ctx.body.size as number, user_id: ctx.user?.id ?? null })
            .returning(['pulp_id', 'pulp_created', 'pulp_last_updated', 'size'])
            .executeTakeFirstOrThrow();
          return { status: 201, body: serializeUpload(ctx.services.apiPrefix, row) };
        },
      },
      {
        method: 'GET',
        url: 'uploads/:pulp_id/',
        pathKey: '{upload_href}',
        operationId: 'uploads_read',
        tag,
        summary: 'Inspect an upload',
        responses: { 200: { schema: 'UploadDetailResponse' } },
        access: access('retrieve'),
        async handle(ctx) {
          const row = await findUpload(ctx);
          const chunks = await ctx.services.db
            .selectFrom('upload_chunk')
            .select(['offset', 'size'])
            .where('upload_id', '=', row.pulp_id)
            .orderBy('offset')
            .execute();
          return {
            status: 200,
            body: {
              ...serializeUpload(ctx.services.apiPrefix, row),
              chunks: chunks.map((c) => ({ offset: Number(c.offset), size: Number(c.size) })),
            },
          };
        },
      },
      {
        method: 'PUT',
        url: 'uploads/:pulp_id/',
        pathKey: '{upload_href}',
        operationId: 'uploads_update',
        tag,
        summary: 'Upload a file chunk',
        headers: [
          {
            name: 'Content-Range',
            required: true,
            description: 'The Content-Range header specifies the location of the file chunk within the file.',
          },
        ],
        body: { name: 'UploadChunk', schema: ChunkBody, encodings: 'file' },
        responses: { 200: { schema: 'UploadResponse' } },
        access: access('update'),
        async handle(ctx) {
          return { status: 200, body: serializeUpload(ctx.services.apiPrefix, await putChunk(ctx)) };
        },
      },
      {
        method: 'DELETE',
        url: 'uploads/:pulp_id/',
        pathKey: '{upload_href}',
        operationId: 'uploads_delete',
        tag,
        summary: 'Delete an upload',
        responses: { 204: { description: 'No response body' } },
        access: access('destroy'),
        async handle(ctx) {
          const row = await findUpload(ctx);
          if (!(await deleteUpload(ctx.services, row.pulp_id)))
            throw new NotFoundError('No Upload matches the given query.');
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        url: 'uploads/:pulp_id/commit/',
        pathKey: '{upload_href}commit/',
        operationId: 'uploads_commit',
        tag,
        summary: 'Finish an upload',
        body: { name: 'UploadCommit', schema: CommitBody },
        responses: { 202: { schema: 'AsyncOperationResponse' } },
        access: access('commit'),
        async handle(ctx) {
          const row = await findUpload(ctx);
          const sha256 = (ctx.body.sha256 as string).toLowerCase();
          if (!/^[0-9a-f]{64}$/.test(sha256))
            throw new ValidationError({ sha256: ['Ensure this field has no more than 64 characters.'] });
          return dispatchReply(
            ctx,
            'pulpcore.app.tasks.upload.commit',
            { upload_pk: row.pulp_id, sha256 },
            {
              exclusiveResources: [`prn:core.upload:${row.pulp_id}`],
            },
          );
        },
      },
    ],
  };
}
