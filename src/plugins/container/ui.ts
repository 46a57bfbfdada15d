import type { PluginUi } from '../../plugin-api/index.js';

/** pulp_container in the web UI: repositories, tags, manifests, namespaces, and distributions to pull from. */
export const containerUi: PluginUi = {
  pages: [
    {
      title: 'Container repositories',
      path: 'container/repositories/',
      list: 'repositories/container/container/',
      columns: [{ field: 'name' }, { field: 'description' }, { field: 'latest_version_href', label: 'latest version' }],
    },
    {
      title: 'Container push repositories',
      path: 'container/push-repositories/',
      list: 'repositories/container/container-push/',
      description: 'Repositories that `podman push` created.',
      columns: [{ field: 'name' }, { field: 'latest_version_href', label: 'latest version' }],
    },
    {
      title: 'Container tags',
      path: 'container/tags/',
      list: 'content/container/tags/',
      columns: [{ field: 'name' }, { field: 'tagged_manifest', label: 'manifest' }],
    },
    {
      title: 'Container manifests',
      path: 'container/manifests/',
      list: 'content/container/manifests/',
      columns: [{ field: 'digest', copy: true }, { field: 'media_type' }, { field: 'architecture' }, { field: 'os' }],
    },
    {
      title: 'Container namespaces',
      path: 'container/namespaces/',
      list: 'pulp_container/namespaces/',
      columns: [{ field: 'name' }],
    },
    {
      title: 'Container registries',
      path: 'container/distributions/',
      list: 'distributions/container/container/',
      description: 'Container distributions: each is a registry path that podman, docker and skopeo pull from.',
      columns: [
        { field: 'name' },
        { field: 'base_path' },
        { field: 'registry_path', label: 'pull', template: 'podman pull {value}', copy: true },
      ],
      detail: [
        { field: 'name' },
        { field: 'registry_path', label: 'pull', template: 'podman pull {value}:<tag>', copy: true },
        { field: 'repository' },
        { field: 'repository_version' },
        { field: 'private' },
        { field: 'namespace' },
      ],
    },
  ],
  contentNames: [
    { pulpType: 'container.tag', table: 'container_tag', column: 'name' },
    { pulpType: 'container.manifest', table: 'container_manifest', column: 'digest' },
    { pulpType: 'container.blob', table: 'container_blob', column: 'digest' },
  ],
};
