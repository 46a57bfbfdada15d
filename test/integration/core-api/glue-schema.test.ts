/* eslint-disable @typescript-eslint/no-explicit-any -- walking an untyped JSON document */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApi, type TestApi } from '../../helpers/api.js';

/*
 * pulp-glue renders every call from the schema: a path, query or header parameter it passes must be declared,
 * and a required one it lacks stops the call before anything is sent. These are the operations pulp-cli 0.38.4's
 * core and file commands call (pulp_glue/{common,core,file}/context.py: ID_PREFIX + action).
 */
const ENTITY = (prefix: string, actions: string[]) => actions.map((a) => `${prefix}_${a}`);
const CRUD = ['list', 'create', 'read', 'partial_update', 'delete'];
const ROLES = ['list_roles', 'add_role', 'remove_role', 'my_permissions'];
const LABELS = ['set_label', 'unset_label'];

export const GLUE_OPERATIONS: string[] = [
  'status_read',
  ...ENTITY('access_policies', ['list', 'read', 'partial_update', 'reset']),
  ...ENTITY('artifacts', ['list', 'create', 'read', 'delete']),
  ...ENTITY('content', ['list']),
  ...ENTITY('contentguards', ['list']),
  ...ENTITY('contentguards_core_rbac', [...CRUD, ...ROLES]),
  ...ENTITY('contentguards_core_composite', [...CRUD, ...ROLES]),
  ...ENTITY('contentguards_core_header', [...CRUD, ...ROLES]),
  ...ENTITY('contentguards_core_content_redirect', [...CRUD, ...ROLES]),
  ...ENTITY('contentguards_certguard_x509', CRUD),
  ...ENTITY('contentguards_certguard_rhsm', CRUD),
  ...ENTITY('exporters_core_pulp', CRUD),
  ...ENTITY('exporters_core_pulp_exports', ['list', 'create', 'read', 'delete']),
  ...ENTITY('exporters_core_filesystem', CRUD),
  ...ENTITY('exporters_core_filesystem_exports', ['list', 'create', 'read', 'delete']),
  ...ENTITY('importers_core_pulp', CRUD),
  ...ENTITY('importers_core_pulp_imports', ['list', 'create', 'read', 'delete']),
  'pulp_import_check_post',
  ...ENTITY('distributions', ['list']),
  ...ENTITY('groups', [...CRUD, ...ROLES]),
  ...ENTITY('groups_roles', ['list', 'create', 'read', 'delete']),
  ...ENTITY('groups_users', ['list', 'create', 'delete']),
  'orphans_cleanup_cleanup',
  'repair_post',
  'repositories_reclaim_space_reclaim',
  ...ENTITY('publications', ['list']),
  ...ENTITY('remotes', ['list']),
  ...ENTITY('repositories', ['list']),
  'repository_versions_list',
  ...ENTITY('roles', CRUD),
  ...ENTITY('signing_services', ['list', 'read']),
  ...ENTITY('tasks', ['list', 'read', 'delete', 'cancel', 'purge', 'profile_artifacts', ...ROLES]),
  ...ENTITY('distributions_core_artifacts', ['list', 'read']),
  ...ENTITY('task_groups', ['list', 'read']),
  ...ENTITY('task_schedules', ['list', 'read', ...ROLES]),
  ...ENTITY('uploads', ['list', 'create', 'read', 'update', 'delete', 'commit', ...ROLES]),
  ...ENTITY('users', CRUD),
  ...ENTITY('users_roles', ['list', 'create', 'read', 'delete']),
  ...ENTITY('workers', ['list', 'read']),
  ...ENTITY('content_file_files', ['list', 'create', 'read', 'set_label', 'unset_label']),
  ...ENTITY('distributions_file_file', [...CRUD, ...LABELS, ...ROLES]),
  ...ENTITY('publications_file_file', ['list', 'create', 'read', 'delete', ...ROLES]),
  ...ENTITY('remotes_file_file', [...CRUD, ...LABELS, ...ROLES]),
  ...ENTITY('repositories_file_file', [...CRUD, ...LABELS, ...ROLES, 'sync', 'modify']),
  ...ENTITY('repositories_file_file_versions', ['list', 'read', 'delete', 'repair']),
];

/** Parameters pulp-glue passes that the schema must declare as required (name -> location). */
const REQUIRED: Record<string, Record<string, string>> = {
  uploads_update: { upload_href: 'path', 'Content-Range': 'header' },
  uploads_commit: { upload_href: 'path' },
  groups_users_list: { group_href: 'path' },
  groups_users_delete: { groups_user_href: 'path' },
  tasks_read: { task_href: 'path' },
  repositories_file_file_modify: { file_file_repository_href: 'path' },
  exporters_core_pulp_exports_create: { pulp_exporter_href: 'path' },
  exporters_core_pulp_exports_read: { pulp_pulp_export_href: 'path' },
  exporters_core_filesystem_exports_create: { filesystem_exporter_href: 'path' },
  importers_core_pulp_imports_create: { pulp_importer_href: 'path' },
  contentguards_certguard_rhsm_read: { certguard_r_h_s_m_cert_guard_href: 'path' },
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

describe('the operations pulp-glue calls', () => {
  it('all exist', () => {
    expect(GLUE_OPERATIONS.filter((id) => !byId.has(id))).toEqual([]);
  });

  it('declare the parameters the client passes as required ones', () => {
    for (const [id, params] of Object.entries(REQUIRED)) {
      const op = byId.get(id)?.op;
      expect(op, id).toBeDefined();
      for (const [name, where] of Object.entries(params)) {
        const p = (op!.parameters as any[]).find((x) => x.name === name);
        expect(p, `${id} ${name}`).toMatchObject({ in: where, required: true });
      }
    }
  });

  it('declare limit and offset on every paginated list', () => {
    const missing: string[] = [];
    for (const [id, { op }] of byId) {
      const ref = op.responses?.['200']?.content?.['application/json']?.schema?.$ref as string | undefined;
      if (!ref || !/\/Paginated.+List$/.test(ref)) continue;
      const names = new Set((op.parameters as any[]).filter((p) => p.in === 'query').map((p) => p.name));
      if (!names.has('limit') || !names.has('offset')) missing.push(id);
    }
    expect(missing).toEqual([]);
    expect(byId.get('groups_users_list')!.op.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'offset']),
    );
  });

  it('declare X-Task-Diagnostics as an optional header array everywhere', () => {
    for (const [id, { op }] of byId) {
      const p = (op.parameters as any[]).find((x) => x.name === 'X-Task-Diagnostics');
      expect(p, id).toMatchObject({ in: 'header', schema: { type: 'array', items: { type: 'string' } } });
      expect(p.required, id).toBeFalsy();
    }
  });

  it('declare the resource filters as comma-joined lists', () => {
    const params = byId.get('tasks_list')!.op.parameters as any[];
    for (const name of ['reserved_resources__in', 'exclusive_resources__in', 'shared_resources__in'])
      expect(
        params.find((p) => p.name === name),
        name,
      ).toMatchObject({ style: 'form', explode: false });
  });

  it('declare file_url on file content creation', () => {
    const schema = doc.components.schemas['file.FileContent'];
    expect(schema.properties.file_url).toMatchObject({ type: 'string', writeOnly: true });
  });
});
