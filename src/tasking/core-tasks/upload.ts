import { rm } from 'node:fs/promises';

import { ValidationError } from '../../core/errors.js';
import { importArtifactFromFile } from '../../plugin-api/artifacts.js';
import type { TaskContext } from '../../plugin-api/tasks.js';
import { assembleUpload, deleteUpload } from '../../plugin-api/uploads.js';

/**
 * `pulpcore.app.tasks.upload.commit`. Args: `upload_pk`, `sha256`. Assembles the chunks, checks the whole
 * file's sha256, creates the artifact (an artifact with that sha256 already existing fails the task, as in
 * Pulp), records it in created_resources and deletes the upload.
 */
export async function commitUpload(ctx: TaskContext): Promise<null> {
  const { services, args } = ctx;
  const uploadId = typeof args.upload_pk === 'string' ? args.upload_pk : '';
  const sha256 = typeof args.sha256 === 'string' ? args.sha256.toLowerCase() : '';
  const assembled = await assembleUpload(services, uploadId, ctx.signal);
  try {
    if (assembled.digests.sha256 !== sha256) throw new ValidationError({ sha256: ['The checksum did not match.'] });
    const existing = await services.db
      .selectFrom('artifact')
      .select(['pulp_id', 'file'])
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (existing && (await services.storage.size(existing.file)) !== null) {
      throw new ValidationError({ non_field_errors: [`Artifact with sha256 checksum of '${sha256}' already exists.`] });
    }
    const artifact = await importArtifactFromFile(services, assembled.path, { computed: assembled });
    await ctx.addCreatedResource(`${services.apiPrefix}artifacts/${artifact.pulp_id}/`);
  } finally {
    await rm(assembled.path, { force: true });
  }
  await deleteUpload(services, uploadId);
  return null;
}
