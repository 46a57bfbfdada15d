import { registerSettingSchemas } from '../core/settings.js';
import { builtinPluginSettings } from '../plugins/builtin-settings.js';

// Plugins' settings are validated with core's in every process that loads this module (every entry point).
for (const settings of Object.values(builtinPluginSettings)) registerSettingSchemas(settings);
