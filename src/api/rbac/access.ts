import type { Operation } from '../../plugin-api/operations.js';

export interface Access {
  viewset: string;
  action: string;
}

const STANDARD: Array<[string, string]> = [
  ['_partial_update', 'partial_update'],
  ['_list', 'list'],
  ['_create', 'create'],
  ['_read', 'retrieve'],
  ['_update', 'update'],
  ['_delete', 'destroy'],
];

function byMethod(operation: Operation, endsWithParam: boolean): string {
  switch (operation.method) {
    case 'GET':
      return endsWithParam ? 'retrieve' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'partial_update';
    default:
      return 'destroy';
  }
}

const cache = new WeakMap<Operation, Access>();

/**
 * The access-policy viewset and action of an operation: declared (`operation.access`) or derived from its
 * URL and operationId the way Pulp names them (`repositories/file/file/:id/sync/` -> `repositories/file/file`,
 * `sync`; `tasks_cancel` (PATCH) -> `tasks`, `partial_update`).
 */
export function accessOf(operation: Operation): Access {
  if (operation.access) return operation.access;
  const hit = cache.get(operation);
  if (hit) return hit;
  const segments = operation.url.split('/').filter(Boolean);
  const endsWithParam = segments[segments.length - 1]?.startsWith(':') ?? false;
  const names = segments.filter((s) => !s.startsWith(':'));
  let action: string | undefined;
  for (const [suffix, name] of STANDARD) {
    if (operation.operationId.endsWith(suffix)) {
      action = name;
      break;
    }
  }
  const last = names[names.length - 1];
  if (
    !action &&
    !endsWithParam &&
    last &&
    operation.operationId.endsWith(`_${last.replace(/-/g, '_')}`) &&
    names.length > 1
  ) {
    action = last;
    names.pop();
  }
  const access = { viewset: names.join('/'), action: action ?? byMethod(operation, endsWithParam) };
  cache.set(operation, access);
  return access;
}
