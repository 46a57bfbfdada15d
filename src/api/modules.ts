import type { ClientRoute } from '../plugin-api/define-plugin.js';
import type { OperationModule, Services } from '../plugin-api/operations.js';
import { withRoleActions } from '../plugin-api/rbac-roles-actions.js';
import { type PluginRegistry, versionEntries } from '../plugin-api/registry.js';
import { accessPolicyRoutes } from './routes/access-policies.js';
import { artifactDistributionRoutes } from './routes/artifact-distributions.js';
import { artifactRoutes } from './routes/artifacts.js';
import { contentGuardRoutes } from './routes/contentguards.js';
import { docsRoutes } from './routes/docs.js';
import { exporterRoutes } from './routes/exporters.js';
import { genericListRoutes } from './routes/generic-lists.js';
import { groupRoutes } from './routes/groups.js';
import { importerRoutes } from './routes/importers.js';
import { loginRoutes } from './routes/login.js';
import { orphanRoutes } from './routes/orphans.js';
import { repairReclaimRoutes } from './routes/repair-reclaim.js';
import { roleAssignmentRoutes } from './routes/role-assignments.js';
import { roleRoutes } from './routes/roles.js';
import { signingServiceRoutes } from './routes/signing-services.js';
import { rootRoutes } from './routes/root.js';
import { statusRoutes } from './routes/status.js';
import { taskGroupRoutes } from './routes/task-groups.js';
import { taskScheduleRoutes } from './routes/task-schedules.js';
import { taskRoutes } from './routes/tasks.js';
import { uploadRoutes } from './routes/uploads.js';
import { upstreamPulpRoutes } from './routes/upstream-pulps.js';
import { userRoutes } from './routes/users.js';
import { workerRoutes } from './routes/workers.js';

/** Routes the installed plugins serve outside the API prefix (`/pypi/`, `/v2/`, ...). */
export function apiClientRoutes(registry: PluginRegistry): (services: Services) => ClientRoute[] {
  return (services) => registry.plugins.flatMap((p) => p.clientRoutes?.(services) ?? []);
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
      taskScheduleRoutes(),
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
      artifactDistributionRoutes(),
      genericListRoutes(services),
      orphanRoutes(),
      repairReclaimRoutes(),
      signingServiceRoutes(),
      exporterRoutes(),
      importerRoutes(),
      upstreamPulpRoutes(),
      docsRoutes(Object.fromEntries(versions.map((v) => [v.component, v.version]))),
      ...registry.plugins.flatMap((p) => (p.operations ? [p.operations(services)] : [])),
    ]);
}
