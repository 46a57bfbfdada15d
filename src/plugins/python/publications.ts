import { definePublicationType, type TaskContext } from '../../plugin-api/index.js';
import { PACKAGE_TYPE } from './package-rows.js';
import { publishPythonVersion } from './publish.js';

export const PUBLISH_TASK = 'pulp_python.app.tasks.publish.publish';

/** `publications/python/pypi/`: the simple pages of a repository version, served by the content app. */
export const pythonPublication = definePublicationType({
  app: 'python',
  type: 'pypi',
  model: 'PythonPublication',
  pulpType: PACKAGE_TYPE,
  repositoryTypes: [PACKAGE_TYPE],
  publishTask: PUBLISH_TASK,
});

/** `pulp_python.app.tasks.publish.publish(repository_version_pk)`: returns the publication, as Pulp does. */
export async function publishTask(ctx: TaskContext): Promise<unknown> {
  const args = ctx.args as { repository_version_pk: string };
  const id = await publishPythonVersion(ctx.services, args.repository_version_pk);
  await ctx.addCreatedResource(`${ctx.services.apiPrefix}publications/python/pypi/${id}/`);
  const [row] = await pythonPublication.byIds(ctx.services, [id]);
  return row ? pythonPublication.serialize(ctx.services, row) : null;
}
