import { AuthenticationError } from '../core/errors.js';
import { authenticateClient } from '../plugin-api/client-routes.js';
import type { ClientRoute } from '../plugin-api/define-plugin.js';
import type { PluginRegistry } from '../plugin-api/registry.js';
import { uiNavigation } from '../plugin-api/ui-pages.js';

/**
 * `GET /ui/api/navigation/`: the pages the installed plugins declare (`ui.pages`), each tagged with its plugin,
 * which the UI adds to its menu after core's own entries. Signed-in users only (Basic or the session), as the
 * lists the pages show.
 */
export function navigationRoute(registry: PluginRegistry, prefix: string): ClientRoute {
  const pages = uiNavigation(registry.plugins);
  return {
    method: 'GET',
    url: `${prefix}api/navigation/`,
    handler: async (request, reply, services) => {
      if (!(await authenticateClient(services, request))) throw new AuthenticationError();
      return reply.header('cache-control', 'no-cache').send({ pages });
    },
  };
}
