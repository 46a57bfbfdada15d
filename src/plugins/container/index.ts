import { definePlugin, labelComponents } from '../../plugin-api/index.js';
import { ADD_AND_REMOVE_TASK, addAndRemove } from './add-remove-task.js';
import { blobContentHandler } from './content-blobs.js';
import {
  RECURSIVE_ADD_TASK,
  RECURSIVE_REMOVE_TASK,
  recursiveAdd,
  recursiveRemove,
  TAG_TASK,
  tagImage,
  UNTAG_TASK,
  untagImage,
} from './content-tasks.js';
import * as m0001 from './migrations/0001_initial.js';
import { containerPolicyConditions } from './rbac-conditions.js';
import { distributionsAccessPolicies } from './rbac-distributions.js';
import { containerQuerysetScopes } from './rbac-scopes.js';
import { containerRbacModels } from './rbac-models.js';
import { othersAccessPolicies } from './rbac-others.js';
import { repositoriesAccessPolicies } from './rbac-repositories.js';
import { containerLockedRoles } from './rbac-roles.js';
import { registryRoutes } from './registry-http.js';
import { containerSettingsSchema } from './registry-settings.js';
import { contentComponents, contentOperations, contentResourceTypes } from './rest-content.js';
import { containerDistribution, pullThroughDistribution } from './rest-distributions.js';
import { deleteNamespace, MULTI_DELETE_TASK, namespaceComponents, namespaceOperations } from './rest-namespaces.js';
import { containerRemote, pullThroughRemote } from './rest-remotes.js';
import { containerRepository, pushRepository, repositoryActionComponents } from './rest-repositories.js';
import { SYNC_TASK, synchronize } from './sync-task.js';
import { containerUi } from './ui.js';

const typed = [
  containerRemote,
  pullThroughRemote,
  containerRepository,
  pushRepository,
  containerDistribution,
  pullThroughDistribution,
];

/**
 * pulp_container: an OCI registry on the API process (`/v2/`, `/extensions/v2/`, the token server's
 * `/token/`) whose blobs the content app serves at `/pulp/container/<name>/blobs/<digest>`, and Pulp's REST
 * endpoints for its repositories, remotes, distributions, namespaces and content.
 *
 * Advertised as 2.26.16: its pulpcore range (>=3.73.2,<3.100) holds the core version we report (3.90),
 * it names the remote's tag filters `include_tags`/`exclude_tags`, and pulp-cli 0.38.4 asks for >=2.3.0.
 */
export default definePlugin({
  name: 'container',
  module: 'pulp_container.app',
  version: '2.26.16',
  package: 'pulp-container',
  migrations: { '0001_initial': m0001 },
  resourceTypes: [...contentResourceTypes, ...typed.map((t) => t.resourceType)],
  tasks: {
    [ADD_AND_REMOVE_TASK]: addAndRemove,
    [SYNC_TASK]: synchronize,
    [RECURSIVE_ADD_TASK]: recursiveAdd,
    [RECURSIVE_REMOVE_TASK]: recursiveRemove,
    [TAG_TASK]: tagImage,
    [UNTAG_TASK]: untagImage,
    [MULTI_DELETE_TASK]: deleteNamespace,
  },
  operations: (services) => ({
    operations: [...contentOperations(services), ...namespaceOperations(), ...typed.flatMap((t) => t.operations())],
    components: [
      ...contentComponents,
      ...namespaceComponents,
      ...repositoryActionComponents,
      ...typed.flatMap((t) => t.components),
      ...labelComponents,
    ],
  }),
  clientRoutes: (services) => registryRoutes(services),
  content: { handlers: [blobContentHandler] },
  settings: containerSettingsSchema,
  rbac: {
    models: containerRbacModels,
    accessPolicies: { ...othersAccessPolicies, ...repositoriesAccessPolicies, ...distributionsAccessPolicies },
    roles: containerLockedRoles,
    conditions: containerPolicyConditions,
    querysetScopes: containerQuerysetScopes,
  },
  ui: containerUi,
});
