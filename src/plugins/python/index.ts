import { definePlugin, labelComponents } from '../../plugin-api/index.js';
import { contentComponents, contentOperations, packageContentType } from './content.js';
import { pythonDistribution } from './distributions.js';
import * as m0001 from './migrations/0001_initial.js';
import { publishedPagesHandler } from './published-pages.js';
import { PUBLISH_TASK, publishTask, pythonPublication } from './publications.js';
import { pypiRoutes } from './pypi-routes.js';
import { pythonAccessPolicies, pythonLockedRoles, pythonRbacModels } from './rbac.js';
import { pythonRemote } from './remotes.js';
import { pythonRepository, SYNC_TASK } from './repositories.js';
import { pythonSettings } from './settings.js';
import { synchronize } from './sync-task.js';
import { pythonUi } from './ui.js';
import { UPLOAD_TASK, uploadTask } from './upload-task.js';

const typed = [pythonRemote, pythonRepository, pythonPublication, pythonDistribution];

export default definePlugin({
  name: 'python',
  module: 'pulp_python.app',
  version: '3.25.1',
  package: 'pulp-python',
  migrations: { '0001_initial': m0001 },
  resourceTypes: [packageContentType, ...typed.map((t) => t.resourceType)],
  tasks: {
    [SYNC_TASK]: synchronize,
    [PUBLISH_TASK]: publishTask,
    [UPLOAD_TASK]: uploadTask,
  },
  operations: () => ({
    operations: [...contentOperations(), ...typed.flatMap((t) => t.operations())],
    components: [...contentComponents, ...typed.flatMap((t) => t.components), ...labelComponents],
  }),
  clientRoutes: () => pypiRoutes(),
  rbac: { models: pythonRbacModels, accessPolicies: pythonAccessPolicies, roles: pythonLockedRoles },
  content: { handlers: [publishedPagesHandler] },
  settings: pythonSettings,
  ui: pythonUi,
});
