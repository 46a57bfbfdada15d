import type { LockedRoleDefinition } from '../../plugin-api/index.js';

// pulp_container 2.26's LOCKED_ROLES, as data (app/viewsets.py).
export const containerLockedRoles: Record<string, LockedRoleDefinition> = {
  'container.containerremote_creator': {
    description: null,
    permissions: ['container.add_containerremote'],
  },
  'container.containerremote_owner': {
    description: null,
    permissions: [
      'container.view_containerremote',
      'container.change_containerremote',
      'container.delete_containerremote',
      'container.manage_roles_containerremote',
    ],
  },
  'container.containerremote_viewer': {
    description: null,
    permissions: ['container.view_containerremote'],
  },
  'container.containerpullthroughremote_creator': {
    description: null,
    permissions: ['container.add_containerpullthroughremote'],
  },
  'container.containerpullthroughremote_owner': {
    description: null,
    permissions: [
      'container.view_containerpullthroughremote',
      'container.change_containerpullthroughremote',
      'container.delete_containerpullthroughremote',
      'container.manage_roles_containerpullthroughremote',
    ],
  },
  'container.containerpullthroughremote_viewer': {
    description: null,
    permissions: ['container.view_containerpullthroughremote'],
  },
  'container.containerrepository_creator': {
    description: null,
    permissions: ['container.add_containerrepository'],
  },
  'container.containerrepository_owner': {
    description: null,
    permissions: [
      'container.view_containerrepository',
      'container.change_containerrepository',
      'container.delete_containerrepository',
      'container.delete_containerrepository_versions',
      'container.sync_containerrepository',
      'container.modify_content_containerrepository',
      'container.build_image_containerrepository',
      'container.manage_roles_containerrepository',
    ],
  },
  'container.containerrepository_content_manager': {
    description: null,
    permissions: [
      'container.view_containerrepository',
      'container.delete_containerrepository_versions',
      'container.sync_containerrepository',
      'container.modify_content_containerrepository',
      'container.build_image_containerrepository',
    ],
  },
  'container.containerrepository_viewer': {
    description: null,
    permissions: ['container.view_containerrepository'],
  },
  'container.containerdistribution_creator': {
    description: null,
    permissions: ['container.add_containerdistribution'],
  },
  'container.containerdistribution_owner': {
    description: null,
    permissions: [
      'container.view_containerdistribution',
      'container.pull_containerdistribution',
      'container.push_containerdistribution',
      'container.delete_containerdistribution',
      'container.change_containerdistribution',
      'container.manage_roles_containerdistribution',
    ],
  },
  'container.containerdistribution_collaborator': {
    description: null,
    permissions: [
      'container.view_containerdistribution',
      'container.pull_containerdistribution',
      'container.push_containerdistribution',
    ],
  },
  'container.containerdistribution_consumer': {
    description: null,
    permissions: ['container.view_containerdistribution', 'container.pull_containerdistribution'],
  },
  'container.containerpullthroughdistribution_creator': {
    description: null,
    permissions: ['container.add_containerpullthroughdistribution'],
  },
  'container.containerpullthroughdistribution_owner': {
    description: null,
    permissions: [
      'container.view_containerpullthroughdistribution',
      'container.delete_containerpullthroughdistribution',
      'container.change_containerpullthroughdistribution',
      'container.manage_roles_containerpullthroughdistribution',
      'container.pull_new_containerdistribution',
    ],
  },
  'container.containerpullthroughdistribution_collaborator': {
    description: null,
    permissions: ['container.view_containerpullthroughdistribution', 'container.pull_new_containerdistribution'],
  },
  'container.containerpullthroughdistribution_consumer': {
    description: null,
    permissions: ['container.view_containerpullthroughdistribution', 'container.pull_new_containerdistribution'],
  },
  'container.containernamespace_creator': {
    description: null,
    permissions: ['container.add_containernamespace'],
  },
  'container.containernamespace_owner': {
    description: null,
    permissions: [
      'container.view_containernamespace',
      'container.delete_containernamespace',
      'container.namespace_add_containerdistribution',
      'container.namespace_delete_containerdistribution',
      'container.namespace_view_containerdistribution',
      'container.namespace_pull_containerdistribution',
      'container.namespace_push_containerdistribution',
      'container.namespace_change_containerdistribution',
      'container.namespace_view_containerpushrepository',
      'container.namespace_modify_content_containerpushrepository',
      'container.namespace_modify_content_containerrepository',
      'container.namespace_change_containerpushrepository',
      'container.manage_roles_containernamespace',
    ],
  },
  'container.containernamespace_collaborator': {
    description: null,
    permissions: [
      'container.view_containernamespace',
      'container.namespace_add_containerdistribution',
      'container.namespace_delete_containerdistribution',
      'container.namespace_view_containerdistribution',
      'container.namespace_pull_containerdistribution',
      'container.namespace_push_containerdistribution',
      'container.namespace_change_containerdistribution',
      'container.namespace_view_containerpushrepository',
      'container.namespace_modify_content_containerpushrepository',
      'container.namespace_modify_content_containerrepository',
      'container.namespace_change_containerpushrepository',
    ],
  },
  'container.containernamespace_consumer': {
    description: null,
    permissions: [
      'container.view_containernamespace',
      'container.namespace_view_containerdistribution',
      'container.namespace_pull_containerdistribution',
      'container.namespace_view_containerpushrepository',
    ],
  },
};
