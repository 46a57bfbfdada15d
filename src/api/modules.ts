import { PULP_VERSION } from '../core/version.js';
import type { OperationModule, Services } from '../plugin-api/operations.js';
import { withRoleActions } from '../plugin-api/rbac-roles-actions.js';
import type { PluginRegistry } from '../plugin-api/registry.js';
import { accessPolicyRoutes } from './routes/access-policies.js';
import { artifactRoutes } from './routes/artifacts.js';
import { contentGuardRoutes } from './routes/contentguards.js';
import { docsRoutes } from './routes/docs.js';
import { genericListRoutes } from './routes/generic-lists.js';
import { groupRoutes } from './routes/groups.js';
import { loginRoutes } from './routes/login.js';
import { orphanRoutes } from './routes/orphans.js';
import { roleAssignmentRoutes } from './routes/role-assignments.js';
import { roleRoutes } from './routes/roles.js';
import { rootRoutes } from './routes/root.js';
import { statusRoutes, type VersionEntry } from './routes/status.js';
import { taskGroupRoutes } from './routes/task-groups.js';
import { taskRoutes } from './routes/tasks.js';
import { uploadRoutes } from './routes/uploads.js';
import { userRoutes } from './routes/users.js';
import { workerRoutes } from './routes/workers.js';

/** Versions reported by `/status/` and the schema's `x-pulp-app-versions` (they must agree). */
export function versionEntries(registry: PluginRegistry): VersionEntry[] {
  return [
    { component: 'core', version: PULP_VERSION, package: 'pulpcore', module: 'pulpcore.app', domain_compatible: true },
    ...registry.plugins.map((p) => ({
      component: p.name,
      version: PULP_VERSION,
      package: 'pulpcore',
      module: p.module,
      domain_compatible: true,
    })),
  ];
}

/** Every operation module of the API: core routes first, then each installed plugin's. */
export function apiModules(registry: PluginRegistry): (services: Services) => OperationModule[] {
  const versions = versionEntries(registry);
  // Roles actions (add_role, ...) are mounted on every RolesMixin endpoint that exists (see rbac-roles-actions).
  return (services) =>
    withRoleActions([
      rootRoutes(),
      statusRoutes(versions),
      taskRoutes(),
      taskGroupRoutes(),
      workerRoutes(),
      loginRoutes(),
      userRoutes(),
      groupRoutes(),
      roleRoutes(),
      roleAssignmentRoutes(),
      accessPolicyRoutes(),
      contentGuardRoutes(),
      artifactRoutes(services),
      uploadRoutes(),
      genericListRoutes(services),
      orphanRoutes(),
      docsRoutes(Object.fromEntries(versions.map((v) => [v.component, v.version]))),
      ...registry.plugins.flatMap((p) => (p.operations ? [p.operations(services)] : [])),
    ]);
}
