import type { Migration } from 'kysely';

import type { OperationModule, Services } from './operations.js';
import type { ResourceTypeDefinition } from './resource-types.js';
import type { TaskFunction } from './tasks.js';

/** What a plugin declares. A plugin is a value: nothing runs at import time. */
export interface PluginDefinition {
  /** Django-style app label: `file`, `certguard`. */
  name: string;
  /** Python module Pulp reports for the app in `/status/` (`pulp_file.app`). */
  module: string;
  /** Version reported in `/status/` (default: core's version, as for the plugins shipped inside pulpcore). */
  version?: string;
  /** Python distribution Pulp reports (`pulp-python`); default `pulpcore`. */
  package?: string;
  /** Whether the plugin supports domains (default true). */
  domainCompatible?: boolean;
  /** Schema migrations named `NNNN_name`; they run after core's, as `<plugin>/NNNN_name`. */
  migrations?: Record<string, Migration>;
  /** Task functions keyed by Pulp's dotted name (the task record's `name`). */
  tasks?: Record<string, TaskFunction>;
  /** Typed resources (content, repository, remote, ... types) the plugin defines; see resource-types.ts. */
  resourceTypes?: ResourceTypeDefinition[];
  /** REST operations, built from the process's services. */
  operations?(services: Services): OperationModule;
}

/** Identity function that type-checks a plugin definition. */
export function definePlugin(definition: PluginDefinition): PluginDefinition {
  return definition;
}
