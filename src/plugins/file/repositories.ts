import { Type } from '@sinclair/typebox';

import { defineRepositoryType, ValidationError } from '../../plugin-api/index.js';
import { finalizeFileVersion } from './finalize.js';
import { publishVersion } from './publish.js';

export const SYNC_TASK = 'pulp_file.app.tasks.synchronizing.synchronize';

/** `repositories/file/file/`: sync from a PULP_MANIFEST, autopublish, pulp_file's path rules. */
export const fileRepository = defineRepositoryType({
  app: 'file',
  type: 'file',
  model: 'FileRepository',
  contentTypes: ['file.file'],
  fields: {
    autopublish: Type.Optional(Type.Boolean({ default: false })),
    manifest: Type.Optional(
      Type.Union([Type.String({ default: 'PULP_MANIFEST' }), Type.Null()], { default: 'PULP_MANIFEST' }),
    ),
  },
  readOnlyFields: { last_sync_details: Type.Record(Type.String(), Type.Unknown(), { readOnly: true }) },
  serializeExtra: (row) => ({
    last_sync_details: (row.detail as { last_sync_details?: unknown }).last_sync_details ?? {},
  }),
  sync: {
    task: SYNC_TASK,
    component: 'FileRepositorySyncURL',
    fields: { optimize: Type.Optional(Type.Boolean({ default: true })) },
    validate(repo, body) {
      if (body.mirror === true && (repo.detail as { autopublish?: boolean }).autopublish)
        throw new ValidationError(['Cannot use mirror mode with autopublished repository.']);
    },
    args: (body) => ({ optimize: body.optimize !== false }),
  },
  finalizeVersion: (trx, repositoryId, number, options) => finalizeFileVersion(trx, repositoryId, number, options),
  /** pulp_file's autopublish: the task that created the version publishes it too. */
  async afterVersion(ctx, repositoryId, version) {
    const repo = await ctx.services.db
      .selectFrom('repository')
      .select('detail')
      .where('pulp_id', '=', repositoryId)
      .executeTakeFirst();
    const detail = (repo?.detail ?? {}) as { autopublish?: boolean; manifest?: string | null };
    if (!detail.autopublish) return;
    const id = await publishVersion(ctx.services, version.pulp_id, {
      manifest: detail.manifest === undefined ? 'PULP_MANIFEST' : detail.manifest,
    });
    await ctx.addCreatedResource(`${ctx.services.apiPrefix}publications/file/file/${id}/`);
  },
});
