import { Type } from '@sinclair/typebox';

import { defineRepositoryType } from '../../plugin-api/index.js';
import { finalizePythonVersion } from './finalize.js';
import { PACKAGE_TYPE } from './package-rows.js';
import { publishPythonVersion } from './publish.js';

export const SYNC_TASK = 'pulp_python.app.tasks.sync.sync';

/** `repositories/python/python/`: sync from a PyPI-like index, modify, versions, autopublish. */
export const pythonRepository = defineRepositoryType({
  app: 'python',
  type: 'python',
  model: 'PythonRepository',
  contentTypes: [PACKAGE_TYPE],
  fields: {
    autopublish: Type.Optional(Type.Boolean({ default: false })),
  },
  sync: { task: SYNC_TASK, component: 'RepositorySyncURL' },
  finalizeVersion: (trx, repositoryId, number) => finalizePythonVersion(trx, repositoryId, number),
  /** pulp_python's on_new_version: autopublish publishes every new version in the task that made it. */
  async afterVersion(ctx, repositoryId, version) {
    const repo = await ctx.services.db
      .selectFrom('repository')
      .select('detail')
      .where('pulp_id', '=', repositoryId)
      .executeTakeFirst();
    if ((repo?.detail as { autopublish?: boolean } | undefined)?.autopublish !== true) return;
    const id = await publishPythonVersion(ctx.services, version.pulp_id);
    await ctx.addCreatedResource(`${ctx.services.apiPrefix}publications/python/pypi/${id}/`);
  },
});
