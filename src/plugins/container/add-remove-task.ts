import { createRepositoryVersion, type TaskContext } from '../../plugin-api/index.js';
import { finalizeContainerVersion } from './finalize-version.js';

/** pulp_container's immediate task of a push: one new version adding and removing content units. */
export const ADD_AND_REMOVE_TASK = 'pulp_container.app.tasks.download_image_data.aadd_and_remove';

export async function addAndRemove(ctx: TaskContext): Promise<void> {
  const args = ctx.args as { repository_pk: string; add_content_units?: string[]; remove_content_units?: string[] };
  const version = await createRepositoryVersion(
    ctx.services.db,
    args.repository_pk,
    { add: args.add_content_units ?? [], remove: args.remove_content_units ?? [] },
    { apiPrefix: ctx.services.apiPrefix, finalize: finalizeContainerVersion },
  );
  if (version) await ctx.addCreatedResource(version.href);
}
