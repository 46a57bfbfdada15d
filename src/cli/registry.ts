import { coreTasks } from '../tasking/core-tasks/index.js';
import type { Settings } from '../core/settings.js';
import { buildRegistry, type PluginRegistry } from '../plugin-api/registry.js';
import { builtinPlugins } from '../plugins/builtin.js';
import './plugin-settings.js';

/** The registry every process builds at start: installed plugins plus core tasks. */
export function loadRegistry(settings: Settings): PluginRegistry {
  return buildRegistry(builtinPlugins, settings.INSTALLED_PLUGINS ?? builtinPlugins.map((p) => p.name), coreTasks);
}
