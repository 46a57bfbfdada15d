import { PULP_VERSION } from '../core/version.js';
import type { OperationModule, Services } from '../plugin-api/operations.js';
import type { PluginRegistry } from '../plugin-api/registry.js';
import { statusRoutes, type VersionEntry } from './routes/status.js';

/** Versions reported by `/status/` and the schema's `x-pulp-app-versions` (they must agree). */
export function versionEntries(registry: PluginRegistry): VersionEntry[] {
  return [
    { component: 'core', version: PULP_VERSION, package: 'pulpcore', module: 'pulpcore.app', domain_compatible: true },
    ...registry.plugins.map((p) => ({ component: p.name, version: PULP_VERSION, package: 'pulpcore', module: p.module, domain_compatible: true })),
  ];
}

/** Every operation module of the API: core routes first, then each installed plugin's. */
export function apiModules(registry: PluginRegistry): (services: Services) => OperationModule[] {
  return (services) => [
    statusRoutes(versionEntries(registry)),
    ...registry.plugins.flatMap((p) => (p.operations ? [p.operations(services)] : [])),
  ];
}
