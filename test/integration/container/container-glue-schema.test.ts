/* eslint-disable @typescript-eslint/no-explicit-any -- walking an untyped JSON document */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApi, type TestApi } from '../../helpers/api.js';

/*
 * The operations pulp-cli 0.38.4's `pulp container ...` commands call (pulp_glue/container/context.py: each
 * context's ID_PREFIX with the generic entity, repository, remote and distribution actions, plus the
 * container ones), and the path parameter each finds its object by (HREF).
 */
const CRUD = ['list', 'create', 'read', 'partial_update', 'delete'];
const ROLES = ['list_roles', 'add_role', 'remove_role', 'my_permissions'];
const LABELS = ['set_label', 'unset_label'];
const ops = (prefix: string, actions: string[]) => actions.map((a) => `${prefix}_${a}`);

const CONTAINER_OPERATIONS: string[] = [
  ...ops('content_container_blobs', ['list', 'read']),
  ...ops('content_container_manifests', ['list', 'read']),
  ...ops('content_container_tags', ['list', 'read']),
  ...ops('pulp_container_namespaces', ['list', 'create', 'read', 'delete', ...ROLES]),
  ...ops('distributions_container_container', [...CRUD, ...LABELS, ...ROLES]),
  ...ops('remotes_container_container', [...CRUD, ...LABELS, ...ROLES]),
  ...ops('repositories_container_container', [
    ...CRUD,
    ...LABELS,
    ...ROLES,
    'sync',
    'add',
    'remove',
    'tag',
    'untag',
    'copy_tags',
    'copy_manifests',
  ]),
  ...ops('repositories_container_container_versions', ['list', 'read', 'delete', 'repair']),
  ...ops('repositories_container_container_push', [
    'list',
    'read',
    'partial_update',
    'tag',
    'untag',
    'remove_image',
    ...ROLES,
  ]),
  ...ops('repositories_container_container_push_versions', ['list', 'read', 'delete', 'repair']),
  ...ops('remotes_container_pull_through', [...CRUD, ...ROLES]),
  ...ops('distributions_container_pull_through', [...CRUD, ...ROLES]),
];

const HREFS: Record<string, string> = {
  content_container_blobs_read: 'container_blob_href',
  content_container_manifests_read: 'container_manifest_href',
  content_container_tags_read: 'container_tag_href',
  pulp_container_namespaces_read: 'container_container_namespace_href',
  distributions_container_container_read: 'container_container_distribution_href',
  remotes_container_container_read: 'container_container_remote_href',
  repositories_container_container_sync: 'container_container_repository_href',
  repositories_container_container_versions_read: 'container_container_repository_version_href',
  repositories_container_container_push_remove_image: 'container_container_push_repository_href',
  repositories_container_container_push_versions_read: 'container_container_push_repository_version_href',
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

describe('the container operations pulp-glue calls', () => {
  it('all exist', () => {
    expect(CONTAINER_OPERATIONS.filter((id) => !byId.has(id))).toEqual([]);
  });

  it('take the path parameters pulp-glue fills in', () => {
    for (const [id, href] of Object.entries(HREFS)) {
      const p = (byId.get(id)!.op.parameters as any[]).find((x) => x.name === href);
      expect(p, `${id} ${href}`).toMatchObject({ in: 'path', required: true });
    }
  });

  it('advertise a pulp_container whose pulpcore range holds the core version', async () => {
    const status = (await api.app.inject({ method: 'GET', url: '/pulp/api/v3/status/' })).json<Record<string, any>>();
    const versions = Object.fromEntries(
      (status.versions as Array<{ component: string; version: string; package: string }>).map((v) => [v.component, v]),
    );
    expect(versions.container).toMatchObject({ version: '2.26.16', package: 'pulp-container' });
    expect(doc.info['x-pulp-app-versions'].container).toBe('2.26.16');
    const [major, minor] = versions.core!.version.split('.').map(Number) as [number, number];
    expect(major === 3 && minor >= 73 && minor < 100).toBe(true);
  });

  it('name the tag filters as 2.26 does and have no base_url on distributions', () => {
    const remote = doc.components.schemas['container.ContainerRemote'];
    expect(Object.keys(remote.properties)).toEqual(
      expect.arrayContaining(['upstream_name', 'include_tags', 'exclude_tags']),
    );
    expect(remote.required).toContain('upstream_name');
    const dist = doc.components.schemas['container.ContainerDistributionResponse'];
    expect(Object.keys(dist.properties)).toEqual(
      expect.arrayContaining(['private', 'registry_path', 'namespace', 'remote', 'description', 'repository_version']),
    );
    expect(dist.properties).not.toHaveProperty('base_url');
  });
});
