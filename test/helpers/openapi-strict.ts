/**
 * Checks an OpenAPI document the way pulp-glue >= 0.39 parses it (spec rest-api.md §13.8): spec objects
 * forbid keys that the OpenAPI specification does not define (unless they start with `x-`), path parameters
 * must be required, every operation needs an operationId, every response a description, every media type a
 * schema, and so on. Schema objects may hold any keyword. Returns the list of problems (empty when valid).
 */
type Json = Record<string, unknown>;

const KEYS = {
  root: [
    'openapi',
    'info',
    'jsonSchemaDialect',
    'servers',
    'paths',
    'webhooks',
    'components',
    'security',
    'tags',
    'externalDocs',
  ],
  info: ['title', 'summary', 'description', 'termsOfService', 'contact', 'license', 'version'],
  contact: ['name', 'url', 'email'],
  license: ['name', 'identifier', 'url'],
  server: ['url', 'description', 'variables'],
  pathItem: ['$ref', 'get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'servers', 'parameters'],
  operation: [
    'tags',
    'summary',
    'description',
    'externalDocs',
    'operationId',
    'parameters',
    'requestBody',
    'responses',
    'callbacks',
    'deprecated',
    'security',
    'servers',
  ],
  parameter: [
    'name',
    'in',
    'description',
    'required',
    'deprecated',
    'allowEmptyValue',
    'style',
    'explode',
    'allowedReserved',
    'schema',
    'example',
    'examples',
    'content',
  ],
  requestBody: ['description', 'content', 'required'],
  mediaType: ['schema', 'example', 'examples', 'encoding'],
  response: ['description', 'headers', 'content', 'links'],
  components: [
    'schemas',
    'responses',
    'parameters',
    'examples',
    'requestBodies',
    'headers',
    'securitySchemes',
    'links',
    'callbacks',
    'pathItems',
  ],
  securityScheme: ['type', 'description', 'name', 'in', 'scheme', 'bearerFormat', 'flows', 'openIdConnectUrl'],
} as const;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function openApiProblems(doc: Json, options: { pkPath?: boolean } = {}): string[] {
  const problems: string[] = [];
  const keys = (obj: unknown, allowed: readonly string[], where: string) => {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      problems.push(`${where}: not an object`);
      return;
    }
    for (const k of Object.keys(obj))
      if (!k.startsWith('x-') && !allowed.includes(k)) problems.push(`${where}: unknown key '${k}'`);
  };
  const refs = new Set<string>();
  const collectRefs = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(collectRefs);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') refs.add(v);
        else collectRefs(v);
      }
    }
  };

  keys(doc, KEYS.root, 'document');
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.')) problems.push('openapi: must start with 3.');
  const info = doc.info as Json;
  keys(info, KEYS.info, 'info');
  if (!info?.title || !info?.version) problems.push('info: title and version are required');
  if (info?.contact) keys(info.contact, KEYS.contact, 'info.contact');
  if (info?.license) keys(info.license, KEYS.license, 'info.license');
  for (const [i, s] of ((doc.servers as Json[]) ?? []).entries()) keys(s, KEYS.server, `servers[${i}]`);

  const operationIds = new Map<string, string>();
  for (const [pathKey, item] of Object.entries((doc.paths as Json) ?? {})) {
    keys(item, KEYS.pathItem, `paths[${pathKey}]`);
    const placeholders = [...pathKey.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const method of METHODS) {
      const op = (item as Json)[method] as Json | undefined;
      if (!op) continue;
      const where = `${method.toUpperCase()} ${pathKey}`;
      keys(op, KEYS.operation, where);
      if (typeof op.operationId !== 'string' || op.operationId === '') problems.push(`${where}: no operationId`);
      else if (operationIds.has(op.operationId))
        problems.push(`${where}: operationId ${op.operationId} also used by ${operationIds.get(op.operationId)}`);
      else operationIds.set(op.operationId, where);
      const params = (op.parameters as Json[] | undefined) ?? [];
      const pathParams = params.filter((p) => p.in === 'path');
      for (const p of params) {
        keys(p, KEYS.parameter, `${where} parameter ${String(p.name)}`);
        if (!p.name || !p.in) problems.push(`${where}: parameter without name or in`);
        if (!p.schema && !p.content)
          problems.push(`${where}: parameter ${String(p.name)} has neither schema nor content`);
        if (p.in === 'path' && p.required !== true)
          problems.push(`${where}: path parameter ${String(p.name)} is not required`);
      }
      const names = pathParams.map((p) => p.name);
      if (JSON.stringify(names.sort()) !== JSON.stringify([...placeholders].sort())) {
        problems.push(
          `${where}: path parameters ${JSON.stringify(names)} do not match placeholders ${JSON.stringify(placeholders)}`,
        );
      }
      if (pathParams.length > 1 && !options.pkPath)
        problems.push(`${where}: pulp-glue substitutes only one path parameter`);
      const seen = new Set<string>();
      for (const p of params) {
        const id = `${String(p.in)}:${String(p.name)}`;
        if (seen.has(id)) problems.push(`${where}: duplicate parameter ${id}`);
        seen.add(id);
      }
      if (op.requestBody) {
        const body = op.requestBody as Json;
        keys(body, KEYS.requestBody, `${where} requestBody`);
        if (body.required !== true) problems.push(`${where}: requestBody.required must be true`);
        for (const [type, media] of Object.entries((body.content as Json) ?? {})) {
          keys(media, KEYS.mediaType, `${where} requestBody ${type}`);
          if (!(media as Json).schema) problems.push(`${where}: requestBody ${type} has no schema`);
        }
      }
      const responses = (op.responses as Json | undefined) ?? {};
      if (Object.keys(responses).length === 0) problems.push(`${where}: no responses`);
      for (const [code, response] of Object.entries(responses)) {
        keys(response, KEYS.response, `${where} response ${code}`);
        if (typeof (response as Json).description !== 'string')
          problems.push(`${where}: response ${code} has no description`);
        for (const [type, media] of Object.entries(((response as Json).content as Json) ?? {})) {
          keys(media, KEYS.mediaType, `${where} response ${code} ${type}`);
          if (!(media as Json).schema) problems.push(`${where}: response ${code} ${type} has no schema`);
        }
      }
      for (const requirement of (op.security as Json[] | undefined) ?? []) {
        for (const scheme of Object.keys(requirement)) {
          if (!((doc.components as Json)?.securitySchemes as Json)?.[scheme])
            problems.push(`${where}: unknown security scheme ${scheme}`);
        }
      }
      collectRefs(op);
    }
  }
  const components = (doc.components as Json) ?? {};
  keys(components, KEYS.components, 'components');
  for (const [name, scheme] of Object.entries((components.securitySchemes as Json) ?? {})) {
    keys(scheme, KEYS.securityScheme, `securitySchemes.${name}`);
    if (!['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes(String((scheme as Json).type)))
      problems.push(`securitySchemes.${name}: unknown type`);
  }
  collectRefs(components.schemas);
  const schemas = (components.schemas as Json) ?? {};
  for (const ref of refs) {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (!m) problems.push(`unsupported $ref ${ref}`);
    else if (!schemas[m[1] as string]) problems.push(`dangling $ref ${ref}`);
  }
  return problems;
}
