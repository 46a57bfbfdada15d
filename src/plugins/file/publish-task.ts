import type { TaskContext } from '../../plugin-api/index.js';
import { publishVersion } from './publish.js';
import { publicationById, PUBLISH_TASK } from './publications.js';

export { PUBLISH_TASK };

/** `pulp_file.app.tasks.publishing.publish(manifest, repository_version_pk, checkpoint)`. */
export async function publishTask(ctx: TaskContext): Promise<unknown> {
  const args = ctx.args as { manifest?: string | null; repository_version_pk: string; checkpoint?: boolean };
  const id = await publishVersion(ctx.services, args.repository_version_pk, {
    manifest: args.manifest === undefined ? 'PULP_MANIFEST' : args.manifest,
    checkpoint: args.checkpoint ?? false,
  });
  await ctx.addCreatedResource(`${ctx.services.apiPrefix}publications/file/file/${id}/`);
  return publicationById(ctx.services, id);
}
