import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { stringify as toYaml } from 'yaml';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Operation, OperationModule, Reply, RequestContext } from '../../plugin-api/operations.js';
import { API_DESCRIPTION, type ApiDescription, buildOpenApiDocument } from '../openapi.js';

/** Files of the swagger-ui-dist package the docs pages load; nothing else of it is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

function swaggerDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

function last(ctx: RequestContext, name: string): string | undefined {
  const values = ctx.query[name];
  return values?.[values.length - 1];
}

/** Pages load their script from a file (not inline), so a strict Content-Security-Policy can stay strict. */
function initScript(schemaUrl: string): string {
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(schemaUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;
}

function page(prefix: string): string {
  const assets = `${prefix}docs/assets/`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Pulp 3 API</title>
  <link rel="stylesheet" href="${assets}swagger-ui.css">
  <link rel="icon" type="image/png" href="${assets}favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${assets}swagger-ui-bundle.js"></script>
  <script src="${assets}swagger-ui-standalone-preset.js"></script>
  <script src="${assets}init.js"></script>
</body>
</html>
`;
}

/**
 * The OpenAPI document (`docs/api.json`, `docs/api.yaml`, with `?component=`, `?bindings`, `?pk_path=1`) and
 * the browsable docs (`docs/`, `swagger/`), all without authentication. The document depends only on the
 * installed plugins and settings, so each variant is rendered once per server URL.
 */
export function docsRoutes(appVersions: Record<string, string>): OperationModule {
  const cache = new Map<string, Record<string, unknown>>();
  // Rendered texts per document: the YAML of the full document takes about a second to produce.
  const rendered = new WeakMap<Record<string, unknown>, { json?: Buffer; yaml?: string }>();
  const render = (doc: Record<string, unknown>) => {
    let r = rendered.get(doc);
    if (!r) rendered.set(doc, (r = {}));
    return r;
  };
  let assetDir: string | undefined;

  function document(ctx: RequestContext): Record<string, unknown> {
    const component = last(ctx, 'component');
    const options = {
      serverUrl: `${ctx.url.protocol}//${ctx.url.host}/`,
      components:
        component === undefined
          ? undefined
          : component
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
      bindings: ctx.query.bindings !== undefined,
      pkPath: /^(1|true)$/i.test(last(ctx, 'pk_path') ?? ''),
    };
    if (ctx.query.plugin !== undefined) {
      throw new ValidationError(['The "plugin" parameter was renamed: use "component" instead.']);
    }
    const key = JSON.stringify(options);
    let doc = cache.get(key);
    if (!doc) {
      const description = ctx.services.extensions.get(API_DESCRIPTION) as ApiDescription | undefined;
      doc = buildOpenApiDocument(
        {
          operations: description?.operations ?? [],
          components: description?.components ?? [],
          prefix: ctx.services.apiPrefix,
          appVersions,
        },
        options,
      );
      if (cache.size > 100) cache.clear();
      cache.set(key, doc);
    }
    return doc;
  }

  const jsonText = (ctx: RequestContext): Buffer => {
    const doc = document(ctx);
    return (render(doc).json ??= Buffer.from(JSON.stringify(doc)));
  };
  const yamlText = (ctx: RequestContext): string => {
    const doc = document(ctx);
    return (render(doc).yaml ??= toYaml(doc, { aliasDuplicateObjects: false }));
  };

  const get = (url: string, operationId: string, handle: (ctx: RequestContext) => Promise<Reply>): Operation => ({
    method: 'GET',
    url,
    pathKey: url,
    operationId,
    tag: 'Docs',
    auth: false,
    hidden: true,
    responses: { 200: {} },
    handle,
  });
  const html = async (ctx: RequestContext): Promise<Reply> => ({
    status: 200,
    body: page(ctx.services.apiPrefix),
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });

  return {
    operations: [
      get('docs/api.json', 'docs_api_json', async (ctx) => ({
        status: 200,
        body: jsonText(ctx),
        headers: { 'content-type': 'application/json' },
      })),
      get('docs/api.yaml', 'docs_api_yaml', async (ctx) => ({
        status: 200,
        body: yamlText(ctx),
        headers: { 'content-type': 'application/yaml; charset=utf-8' },
      })),
      get('docs/', 'docs_read', html),
      get('swagger/', 'swagger_read', html),
      get('docs/assets/init.js', 'docs_assets_init', async (ctx) => ({
        status: 200,
        body: initScript(`${ctx.services.apiPrefix}docs/api.json?pk_path=1`),
        headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
      })),
      get('docs/assets/:file', 'docs_assets_read', async (ctx) => {
        const file = ctx.params.file ?? '';
        const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
        if (!type) throw new NotFoundError('Not found.');
        assetDir ??= swaggerDir();
        return {
          status: 200,
          body: await readFile(path.join(assetDir, file)),
          headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
        };
      }),
    ],
  };
}
