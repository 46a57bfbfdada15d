/* eslint-disable @typescript-eslint/no-explicit-any -- walking an untyped JSON document */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApi, type TestApi } from '../../helpers/api.js';

/*
 * The operations pulp-cli 0.38.4's `pulp python ...` commands call (pulp_glue/python/context.py: ID_PREFIX +
 * action, HREF as the path parameter), which must exist with these ids and parameters.
 */
const CRUD = ['list', 'create', 'read', 'partial_update', 'delete'];
const ROLES = ['list_roles', 'add_role', 'remove_role', 'my_permissions'];
const LABELS = ['set_label', 'unset_label'];
const ENTITY = (prefix: string, actions: string[]) => actions.map((a) => `${prefix}_${a}`);

const OPERATIONS = [
  ...ENTITY('content_python_packages', ['list', 'create', 'read', 'upload', ...LABELS]),
  ...ENTITY('distributions_python_pypi', [...CRUD, ...LABELS, ...ROLES]),
  ...ENTITY('publications_python_pypi', ['list', 'create', 'read', 'delete', ...ROLES]),
  ...ENTITY('remotes_python_python', [...CRUD, ...LABELS, ...ROLES, 'from_bandersnatch']),
  ...ENTITY('repositories_python_python', [...CRUD, ...LABELS, ...ROLES, 'sync', 'modify']),
  ...ENTITY('repositories_python_python_versions', ['list', 'read', 'delete', 'repair']),
];

const PATH_PARAMS: Record<string, string> = {
  content_python_packages_read: 'python_python_package_content_href',
  distributions_python_pypi_partial_update: 'python_python_distribution_href',
  publications_python_pypi_read: 'python_python_publication_href',
  remotes_python_python_partial_update: 'python_python_remote_href',
  repositories_python_python_sync: 'python_python_repository_href',
  repositories_python_python_modify: 'python_python_repository_href',
  repositories_python_python_versions_read: 'python_python_repository_version_href',
};

let api: TestApi;
let doc: Record<string, any>;
const byId = new Map<string, { path: string; op: Record<string, any> }>();

beforeAll(async () => {
  api = await createTestApi();
  doc = (await api.app.inject({ method: 'GET', url: '/pulp/api/v3/docs/api.json' })).json();
  for (const [path, item] of Object.entries(doc.paths as Record<string, any>))
    for (const op of Object.values(item as Record<string, any>)) byId.set(op.operationId, { path, op });
});
afterAll(async () => {
  await api.close();
});

describe('the python operations pulp-glue calls', () => {
  it('all exist', () => {
    expect(OPERATIONS.filter((id) => !byId.has(id))).toEqual([]);
  });

  it('take the href path parameters pulp-glue passes', () => {
    for (const [id, name] of Object.entries(PATH_PARAMS)) {
      const p = (byId.get(id)!.op.parameters as any[]).find((x) => x.name === name);
      expect(p, `${id} ${name}`).toMatchObject({ in: 'path', required: true });
    }
  });

  it('advertise pulp_python 3.25.1 in the schema and /status/', async () => {
    expect(doc.info['x-pulp-app-versions']).toMatchObject({ python: '3.25.1' });
    const status = (await api.app.inject({ url: '/pulp/api/v3/status/' })).json();
    expect(status.versions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ component: 'python', version: '3.25.1', package: 'pulp-python' }),
      ]),
    );
  });

  it('describe the package fields and the distribution defaults', () => {
    const pkg = doc.components.schemas['python.PythonPackageContentResponse'].properties;
    for (const f of ['filename', 'packagetype', 'name', 'version', 'sha256', 'requires_dist', 'metadata_sha256'])
      expect(pkg[f], f).toBeDefined();
    const dist = doc.components.schemas['python.PythonDistribution'].properties;
    expect(dist.allow_uploads).toMatchObject({ type: 'boolean', default: true });
    const remote = doc.components.schemas['python.PythonRemote'].properties;
    expect(remote.policy.default).toBe('on_demand');
  });
});
