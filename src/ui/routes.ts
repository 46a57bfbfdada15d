import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import type { Settings } from '../core/settings.js';
import { apiPrefix } from '../core/ids.js';
import type { ClientRoute } from '../plugin-api/define-plugin.js';
import type { PluginRegistry } from '../plugin-api/registry.js';
import { diffRoute } from './diff.js';
import { navigationRoute } from './navigation.js';

/** Where `npm run build:ui` (scripts/build-ui.js) writes the bundle: `ui/dist/` of the package, never committed. */
export const UI_DIST = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

/** Whether the bundle exists (when it does not, the UI's page says how to build it). */
async function uiBuilt(): Promise<boolean> {
  return stat(`${UI_DIST}app.js`).then(
    () => true,
    () => false,
  );
}

/** The path the UI is served at. */
export const UI_PREFIX = '/ui/';

/** The static folder of the bundle, served at `<STATIC_URL>ui/` and copied by collectstatic. */
export const UI_ASSETS = { name: 'ui', dir: UI_DIST };

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function indexPage(settings: Settings): string {
  const config = {
    apiPrefix: apiPrefix(settings.API_ROOT),
    uiPrefix: UI_PREFIX,
    staticUrl: settings.STATIC_URL,
  };
  const assets = `${settings.STATIC_URL}ui/`;
  // The configuration travels in an attribute, not an inline script, so a strict CSP needs no exception.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pulp</title>
<link rel="stylesheet" href="${assets}app.css">
<script type="module" src="${assets}app.js"></script>
</head>
<body>
<div id="app" data-config="${escapeAttribute(JSON.stringify(config))}"></div>
<noscript>The Pulp web UI needs JavaScript; the browsable API at ${escapeAttribute(config.apiPrefix)} does not.</noscript>
</body>
</html>
`;
}

/**
 * `/ui/` and every path below it answer the UI's page (the UI routes in the browser); the page needs no
 * credentials, its API calls do. `/ui/api/` holds the few answers made for the UI alone (navigation, diffs). When the bundle was never built the answer says how to build it.
 */
export function uiRoutes(settings: Settings, registry: PluginRegistry): ClientRoute[] {
  const page = indexPage(settings);
  const handler: ClientRoute['handler'] = async (_request, reply) => {
    if (!(await uiBuilt())) {
      return reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .send('The web UI is not built: run `npm run build:ui` (npm install and npm start run it).\n');
    }
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
  };
  return [
    { method: 'GET', url: '/ui', handler: async (_r, reply) => reply.redirect(UI_PREFIX, 301) },
    { method: 'GET', url: UI_PREFIX, handler },
    { method: 'GET', url: `${UI_PREFIX}*`, handler },
    navigationRoute(registry, UI_PREFIX),
    diffRoute(registry, UI_PREFIX),
    // Anything else below /ui/api/ is an unknown UI endpoint, not a page of the UI.
    {
      method: 'GET',
      url: `${UI_PREFIX}api/*`,
      handler: async (_r, reply) => reply.code(404).send({ detail: 'Not found.' }),
    },
  ];
}
