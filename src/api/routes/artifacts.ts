import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import {
  ALL_CHECKSUMS,
  ARTIFACT_LOCK_CLASS,
  type ArtifactRow,
  hashFile,
  importArtifactFromFile,
  serializeArtifact,
} from '../../plugin-api/artifacts.js';
import { exactFilter, type Filter, type FilterSet, identityFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext, Services } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';
import { inVersionCondition } from '../../plugin-api/repository-versions.js';
import { orphanMinutes, resolveVersionReference } from '../../plugin-api/version-reference.js';

const nullableString = () => Type.Union([Type.String(), Type.Null()]);

const ArtifactBody = Type.Object({
  file: Type.String({ format: 'binary', description: 'The stored file.' }),
  size: Type.Optional(Type.Integer({ format: 'int64', description: 'The size of the file in bytes.' })),
  md5: Type.Optional(nullableString()),
  sha1: Type.Optional(nullableString()),
  sha224: Type.Optional(nullableString()),
  sha256: Type.Optional(nullableString()),
  sha384: Type.Optional(nullableString()),
  sha512: Type.Optional(nullableString()),
});

export const ArtifactResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
  file: Type.String(),
  size: Type.Integer(),
  md5: nullableString(),
  sha1: nullableString(),
  sha224: nullableString(),
  sha256: nullableString(),
  sha384: nullableString(),
  sha512: nullableString(),
});

function artifactFilterSet(services: Services): FilterSet {
  const db = services.db;
  const filters: Filter[] = [
    ...ALL_CHECKSUMS.map((c) => exactFilter(c, `a.${c}`)),
    {
      name: 'repository_version',
      type: 'string',
      apply: async (values) => {
        const ref = await resolveVersionReference(db, 'repository_version', values[values.length - 1] ?? '');
        return sql<boolean>`EXISTS (SELECT 1 FROM content_artifact ca JOIN repository_content rc ON rc.content_id = ca.content_id
          WHERE ca.artifact_id = a.pulp_id AND rc.repository_id = ${ref.repositoryId} AND ${inVersionCondition('rc', ref.number)})`;
      },
    },
    {
      name: 'orphaned_for',
      type: 'number',
      apply: (values) => {
        const minutes = orphanMinutes(
          'orphaned_for',
          values[values.length - 1] ?? '',
          services.settings.ORPHAN_PROTECTION_TIME,
        );
        return sql<boolean>`(NOT EXISTS (SELECT 1 FROM content_artifact ca WHERE ca.artifact_id = a.pulp_id)
          AND NOT EXISTS (SELECT 1 FROM published_metadata pm WHERE pm.artifact_id = a.pulp_id)
          AND a.timestamp_of_interest < clock_timestamp() - make_interval(mins => ${minutes}::int))`;
      },
    },
    ...identityFilters('a.pulp_id'),
  ];
  return {
    filters,
    ordering: ['file', 'size', ...ALL_CHECKSUMS, 'pulp_last_updated', 'timestamp_of_interest', 'pulp_id'],
  };
}

async function findArtifact(ctx: RequestContext): Promise<ArtifactRow> {
  const id = ctx.params.pulp_id ?? '';
  const row = isUuid(id)
    ? await ctx.services.db.selectFrom('artifact').selectAll().where('pulp_id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No Artifact matches the given query.');
  return row;
}

/** Checks a single upload against the supplied size and digests; every problem is a non-field error, as in Pulp. */
async function createArtifact(ctx: RequestContext): Promise<ArtifactRow> {
  const { services } = ctx;
  const upload = ctx.files.find((f) => f.field === 'file');
  // The value must be the file this request uploaded, never a path a client typed into a form field.
  if (!upload || ctx.body.file !== upload.path)
    throw new ValidationError({ file: ['The submitted data was not a file. Check the encoding type on the form.'] });
  const allowed = services.settings.ALLOWED_CONTENT_CHECKSUMS;
  const errors: string[] = [];
  for (const c of ALL_CHECKSUMS) {
    const v = ctx.body[c];
    if (typeof v === 'string' && v !== '' && !allowed.includes(c))
      errors.push(`Checksum algorithm ${c} forbidden for this Pulp instance.`);
  }
  if (errors.length > 0) throw new ValidationError({ non_field_errors: errors });
  const actual = await hashFile(upload.path, allowed);
  if (typeof ctx.body.size === 'number' && ctx.body.size !== actual.size)
    errors.push('The size did not match actual size of file.');
  for (const c of ALL_CHECKSUMS) {
    const v = ctx.body[c];
    if (typeof v === 'string' && v !== '' && v.toLowerCase() !== actual.digests[c])
      errors.push(`The ${c} checksum did not match.`);
  }
  if (errors.length > 0) throw new ValidationError({ non_field_errors: errors });
  const existing = await services.db
    .selectFrom('artifact')
    .select(['file'])
    .where('sha256', '=', actual.digests.sha256)
    .executeTakeFirst();
  // An existing artifact whose file went missing takes these bytes (self-repair); a complete one is a duplicate.
  if (existing && (await services.storage.size(existing.file)) !== null) {
    throw new ValidationError({
      non_field_errors: [`Artifact with sha256 checksum of '${actual.digests.sha256}' already exists.`],
    });
  }
  return importArtifactFromFile(services, upload.path, { computed: actual });
}

async function deleteArtifact(services: Services, row: ArtifactRow): Promise<void> {
  const inUse = new ConflictError('The artifact is in use by content and cannot be deleted.', {
    body: {
      detail:
        "Cannot delete some instances of model 'Artifact' because they are referenced through protected foreign keys.",
    },
  });
  await services.db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${ARTIFACT_LOCK_CLASS}::int, hashtext(${row.sha256}))`.execute(conn);
    try {
      const used = await sql<{
        used: boolean;
      }>`SELECT EXISTS (SELECT 1 FROM content_artifact WHERE artifact_id = ${row.pulp_id})
        OR EXISTS (SELECT 1 FROM published_metadata WHERE artifact_id = ${row.pulp_id}) AS used`.execute(conn);
      if (used.rows[0]?.used) throw inUse;
      try {
        await sql`DELETE FROM artifact WHERE pulp_id = ${row.pulp_id}`.execute(conn);
      } catch (err) {
        if ((err as { code?: string }).code === '23503') throw inUse;
        throw err;
      }
      // The row is gone (committed) before the file: a crash here leaves an unreferenced file only.
      await services.storage.delete(row.file);
    } finally {
      await sql`SELECT pg_advisory_unlock(${ARTIFACT_LOCK_CLASS}::int, hashtext(${row.sha256}))`.execute(conn);
    }
  });
}

export function artifactRoutes(services: Services): OperationModule {
  const filterSet = artifactFilterSet(services);
  const tag = 'Artifacts';
  const access = (action: string) => ({ viewset: 'artifacts', action });
  return {
    components: [{ name: 'ArtifactResponse', schema: ArtifactResponse }, paginatedComponent('ArtifactResponse')],
    operations: [
      {
        method: 'GET',
        url: 'artifacts/',
        pathKey: 'artifacts/',
        operationId: 'artifacts_list',
        tag,
        summary: 'List artifacts',
        filters: filterSet,
        responses: { 200: { schema: 'PaginatedArtifactResponseList' } },
        access: access('list'),
        handle: (ctx) =>
          listResponse(ctx, ctx.services.db.selectFrom('artifact as a').selectAll('a'), {
            filterSet,
            tableAlias: 'a',
            serialize: (rows: ArtifactRow[]) => rows.map((r) => serializeArtifact(ctx.services.apiPrefix, r)),
          }),
      },
      {
        method: 'POST',
        url: 'artifacts/',
        pathKey: 'artifacts/',
        operationId: 'artifacts_create',
        tag,
        summary: 'Create an artifact',
        body: { name: 'Artifact', schema: ArtifactBody, encodings: 'file' },
        responses: { 201: { schema: 'ArtifactResponse' } },
        access: access('create'),
        async handle(ctx) {
          const row = await createArtifact(ctx);
          return { status: 201, body: serializeArtifact(ctx.services.apiPrefix, row) };
        },
      },
      {
        method: 'GET',
        url: 'artifacts/:pulp_id/',
        pathKey: '{artifact_href}',
        operationId: 'artifacts_read',
        tag,
        summary: 'Inspect an artifact',
        responses: { 200: { schema: 'ArtifactResponse' } },
        access: access('retrieve'),
        async handle(ctx) {
          return { status: 200, body: serializeArtifact(ctx.services.apiPrefix, await findArtifact(ctx)) };
        },
      },
      {
        method: 'DELETE',
        url: 'artifacts/:pulp_id/',
        pathKey: '{artifact_href}',
        operationId: 'artifacts_delete',
        tag,
        summary: 'Delete an artifact',
        responses: { 204: { description: 'No response body' } },
        access: access('destroy'),
        async handle(ctx) {
          await deleteArtifact(ctx.services, await findArtifact(ctx));
          return { status: 204 };
        },
      },
    ],
  };
}
