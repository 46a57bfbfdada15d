import type { PluginDefinition } from '../plugin-api/index.js';
import certguard from './certguard/index.js';
import container from './container/index.js';
import file from './file/index.js';
import python from './python/index.js';

/** Every plugin shipped with pulp-ts; INSTALLED_PLUGINS chooses among them. */
export const builtinPlugins: PluginDefinition[] = [file, certguard, python, container];
