import { rbacModel, withRoles, type RbacModel } from '../../plugin-api/index.js';
import {
  DISTRIBUTION_TYPE,
  PULL_THROUGH_DISTRIBUTION_TYPE,
  PULL_THROUGH_REMOTE_TYPE,
  PUSH_REPOSITORY_TYPE,
  REMOTE_TYPE,
  REPOSITORY_TYPE,
} from './resource-names.js';

// The models pulp_container's permissions name, with their extra permissions (app/models.py Meta.permissions).
export const containerRbacModels: RbacModel[] = [
  rbacModel('container.containerrepository', 'ContainerRepository', 'repositories/container/container', {
    table: 'repository',
    pulpType: REPOSITORY_TYPE,
    ...withRoles('container.containerrepository', [
      'sync_containerrepository',
      'modify_content_containerrepository',
      'build_image_containerrepository',
      'delete_containerrepository_versions',
    ]),
  }),
  rbacModel('container.containerpushrepository', 'ContainerPushRepository', 'repositories/container/container-push', {
    table: 'repository',
    pulpType: PUSH_REPOSITORY_TYPE,
    ...withRoles('container.containerpushrepository', ['modify_content_containerpushrepository']),
  }),
  rbacModel('container.containerremote', 'ContainerRemote', 'remotes/container/container', {
    table: 'remote',
    pulpType: REMOTE_TYPE,
    ...withRoles('container.containerremote'),
  }),
  rbacModel('container.containerpullthroughremote', 'ContainerPullThroughRemote', 'remotes/container/pull-through', {
    table: 'remote',
    pulpType: PULL_THROUGH_REMOTE_TYPE,
    ...withRoles('container.containerpullthroughremote'),
  }),
  rbacModel('container.containerdistribution', 'ContainerDistribution', 'distributions/container/container', {
    table: 'distribution',
    pulpType: DISTRIBUTION_TYPE,
    ...withRoles('container.containerdistribution', ['pull_containerdistribution', 'push_containerdistribution']),
  }),
  rbacModel(
    'container.containerpullthroughdistribution',
    'ContainerPullThroughDistribution',
    'distributions/container/pull-through',
    {
      table: 'distribution',
      pulpType: PULL_THROUGH_DISTRIBUTION_TYPE,
      ...withRoles('container.containerpullthroughdistribution', ['pull_new_containerdistribution']),
    },
  ),
  rbacModel('container.containernamespace', 'ContainerNamespace', 'pulp_container/namespaces', {
    table: 'container_namespace',
    ...withRoles('container.containernamespace', [
      'namespace_add_containerdistribution',
      'namespace_delete_containerdistribution',
      'namespace_view_containerdistribution',
      'namespace_pull_containerdistribution',
      'namespace_push_containerdistribution',
      'namespace_change_containerdistribution',
      'namespace_view_containerpushrepository',
      'namespace_modify_content_containerpushrepository',
      'namespace_modify_content_containerrepository',
      'namespace_change_containerpushrepository',
    ]),
  }),
  ...(['tag', 'manifest', 'blob', 'manifestsignature'] as const).map((m) =>
    rbacModel(
      `container.${m}`,
      m === 'manifestsignature' ? 'ManifestSignature' : m[0]!.toUpperCase() + m.slice(1),
      `content/container/${m === 'manifestsignature' ? 'signatures' : `${m}s`}`,
      {
        table: 'content',
        pulpType: `container.${m === 'manifestsignature' ? 'signature' : m}`,
      },
    ),
  ),
];
