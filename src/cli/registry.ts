import { coreTasks } from '../tasking/core-tasks/index.js';
import { registerSettingSchemas, type Settings } from '../core/settings.js';
import { buildRegistry, type PluginRegistry } from '../plugin-api/registry.js';
import { builtinPlugins } from '../plugins/builtin.js';

// Plugins' settings are validated with core's in every process that loads this module (every entry point).
for (const plugin of builtinPlugins) registerSettingSchemas(plugin.settings ?? {});

/** The registry every process builds at start: installed plugins plus core tasks. */
export function loadRegistry(settings: Settings): PluginRegistry {
  return buildRegistry(builtinPlugins, settings.INSTALLED_PLUGINS ?? builtinPlugins.map((p) => p.name), coreTasks);
}
