import type { Operation, OperationModule } from '../../plugin-api/operations.js';
import { API_DESCRIPTION, type ApiDescription } from '../openapi.js';

/** Collection endpoints of the API root listing: literal GET paths, in path order. */
export function rootListing(operations: Operation[], base: string): Record<string, string> {
  const keys = operations
    .filter((op) => op.method === 'GET' && !op.hidden && op.pathKey !== '' && !op.pathKey.includes('{'))
    .map((op) => op.pathKey)
    .sort();
  return Object.fromEntries([...new Set(keys)].map((key) => [key.replace(/\/$/, ''), `${base}${key}`]));
}

/** `GET <API_ROOT>api/v3/`: the endpoint names mapped to absolute URLs, without authentication. */
export function rootRoutes(): OperationModule {
  return {
    operations: [
      {
        method: 'GET',
        url: '',
        pathKey: '',
        operationId: 'api_root_read',
        tag: 'Root',
        auth: false,
        hidden: true,
        responses: { 200: {} },
        async handle(ctx) {
          const description = ctx.services.extensions.get(API_DESCRIPTION) as ApiDescription | undefined;
          const base = `${ctx.url.protocol}//${ctx.url.host}${ctx.services.apiPrefix}`;
          return { status: 200, body: rootListing(description?.operations ?? [], base) };
        },
      },
    ],
  };
}
