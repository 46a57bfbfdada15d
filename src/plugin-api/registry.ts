import type { Migration } from 'kysely';

import { ConfigurationError } from '../core/errors.js';
import { PULP_VERSION } from '../core/version.js';
import type { ContentHandler, GuardTypeDefinition, PluginDefinition } from './define-plugin.js';
import { registerGuardTypes } from './guard-types.js';
import { registerPolicyConditions, registerQuerysetScopes } from './policy-conditions.js';
import { registerRbacModels } from './rbac-catalogue.js';
import { registerAccessPolicies, registerLockedRoles } from './rbac-defaults.js';
import { registerReplicators } from './replicator.js';
import { registerResourceTypes } from './resource-types.js';
import type { TaskFunction } from './tasks.js';
import { uiProblems } from './ui-pages.js';

export interface PluginRegistry {
  plugins: readonly PluginDefinition[];
  migrations: Record<string, Migration>;
  tasks: ReadonlyMap<string, TaskFunction>;
  /** Content guard evaluators by `pulp_type`, from every installed plugin. */
  guards: ReadonlyMap<string, GuardTypeDefinition>;
  /** Distribution types whose content the content app serves from publications. */
  publicationDistributionTypes: readonly string[];
  /** Content-app handlers of every installed plugin, in plugin order. */
  contentHandlers: readonly ContentHandler[];
}

/**
 * Builds the immutable registry from the installed plugin names. Every problem (unknown plugin, bad name,
 * duplicate task) is reported together, and start-up stops: no plugin is ever skipped silently.
 */
export function buildRegistry(
  available: PluginDefinition[],
  installed: readonly string[],
  coreTasks: Record<string, TaskFunction> = {},
): PluginRegistry {
  const problems: string[] = [];
  const byName = new Map(available.map((p) => [p.name, p]));
  const plugins: PluginDefinition[] = [];
  for (const name of installed) {
    const plugin = byName.get(name);
    if (!plugin)
      problems.push(`INSTALLED_PLUGINS: unknown plugin '${name}' (available: ${[...byName.keys()].join(', ')})`);
    else if (!/^[a-z][a-z0-9_]*$/.test(name)) problems.push(`plugin name '${name}' must match ^[a-z][a-z0-9_]*$`);
    else plugins.push(plugin);
  }
  const tasks = new Map<string, TaskFunction>(Object.entries(coreTasks));
  const migrations: Record<string, Migration> = {};
  const guards = new Map<string, GuardTypeDefinition>();
  const conditionOwners = new Map<string, string>();
  const scopeOwners = new Map<string, string>();
  for (const plugin of plugins) {
    for (const name of Object.keys(plugin.rbac?.querysetScopes ?? {})) {
      const owner = scopeOwners.get(name);
      if (owner) problems.push(`plugin '${plugin.name}': queryset scoping '${name}' is already declared by '${owner}'`);
      scopeOwners.set(name, plugin.name);
    }
    for (const name of Object.keys(plugin.rbac?.conditions ?? {})) {
      const owner = conditionOwners.get(name);
      if (owner)
        problems.push(`plugin '${plugin.name}': access policy condition '${name}' is already declared by '${owner}'`);
      else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        problems.push(
          `plugin '${plugin.name}': access policy condition name '${name}' must match ^[A-Za-z_][A-Za-z0-9_]*$`,
        );
      conditionOwners.set(name, plugin.name);
    }
    for (const [taskName, fn] of Object.entries(plugin.tasks ?? {})) {
      if (tasks.has(taskName)) problems.push(`plugin '${plugin.name}': task '${taskName}' is already registered`);
      tasks.set(taskName, fn);
    }
    for (const [migrationName, m] of Object.entries(plugin.migrations ?? {})) {
      migrations[`${plugin.name}/${migrationName}`] = m;
    }
    for (const g of plugin.guards ?? []) {
      if (guards.has(g.pulpType))
        problems.push(`plugin '${plugin.name}': guard type '${g.pulpType}' is already registered`);
      guards.set(g.pulpType, g);
    }
  }
  problems.push(...uiProblems(plugins));
  if (problems.length > 0)
    throw new ConfigurationError(`Invalid plugin configuration:\n  - ${problems.join('\n  - ')}`);
  for (const plugin of plugins) {
    registerResourceTypes(plugin.resourceTypes ?? []);
    registerRbacModels(plugin.rbac?.models ?? []);
    registerAccessPolicies(plugin.rbac?.accessPolicies ?? {});
    registerLockedRoles(plugin.rbac?.roles ?? {});
    registerPolicyConditions(plugin.rbac?.conditions ?? {});
    registerQuerysetScopes(plugin.rbac?.querysetScopes ?? {});
    registerGuardTypes(plugin.guards ?? []);
    registerReplicators(plugin.name, plugin.replicators ?? []);
  }
  return Object.freeze({
    plugins: Object.freeze(plugins),
    migrations,
    tasks,
    guards,
    publicationDistributionTypes: Object.freeze(plugins.flatMap((p) => p.content?.publicationDistributionTypes ?? [])),
    contentHandlers: Object.freeze(plugins.flatMap((p) => p.content?.handlers ?? [])),
  });
}

/** One installed component as `/status/` and the schema's `x-pulp-app-versions` report it (they must agree). */
export interface VersionEntry {
  component: string;
  version: string;
  package: string;
  module: string;
  domain_compatible: boolean;
}

/** Core first, then each installed plugin, with the version and package the plugin declares. */
export function versionEntries(registry: PluginRegistry): VersionEntry[] {
  return [
    { component: 'core', version: PULP_VERSION, package: 'pulpcore', module: 'pulpcore.app', domain_compatible: true },
    ...registry.plugins.map((p) => ({
      component: p.name,
      version: p.version ?? PULP_VERSION,
      package: p.package ?? 'pulpcore',
      module: p.module,
      domain_compatible: p.domainCompatible ?? true,
    })),
  ];
}

/** `{component: version}` of every installed component. */
export function versionMap(registry: PluginRegistry): Record<string, string> {
  return Object.fromEntries(versionEntries(registry).map((v) => [v.component, v.version]));
}
