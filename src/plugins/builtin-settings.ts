import type { PluginSettings } from '../plugin-api/define-plugin.js';
import { containerSettingsSchema } from './container/registry-settings.js';
import { pythonSettings } from './python/settings-schema.js';

/**
 * The settings the built-in plugins declare, by plugin name, without loading the plugins: a worker's main
 * process validates every setting but runs no plugin code (its task thread loads them). A unit test keeps
 * this equal to each plugin definition's `settings`.
 */
export const builtinPluginSettings: Record<string, PluginSettings> = {
  python: pythonSettings,
  container: containerSettingsSchema,
};
