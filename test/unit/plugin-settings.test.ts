import { describe, expect, it } from 'vitest';

import { builtinPlugins } from '../../src/plugins/builtin.js';
import { builtinPluginSettings } from '../../src/plugins/builtin-settings.js';

describe('built-in plugin settings', () => {
  it('declares, without loading the plugins, exactly the settings each plugin definition has', () => {
    const fromPlugins = Object.fromEntries(
      builtinPlugins.filter((p) => Object.keys(p.settings ?? {}).length > 0).map((p) => [p.name, p.settings]),
    );
    expect(Object.keys(builtinPluginSettings).sort()).toEqual(Object.keys(fromPlugins).sort());
    for (const [name, settings] of Object.entries(fromPlugins)) expect(builtinPluginSettings[name]).toBe(settings);
  });
});
