import type { AccessPolicyDefinition } from '../../plugin-api/index.js';

// pulp_container 2.26's DEFAULT_ACCESS_POLICY of its others viewsets, as data (app/viewsets.py).
export const othersAccessPolicies: Record<string, AccessPolicyDefinition> = {
  'content/container/tags': {
    statements: [
      {
        action: ['list'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.manage_content_labels'],
      },
    ],
    creation_hooks: [],
    queryset_scoping: {
      function: 'get_content_qs',
      parameters: {
        push_perm: 'container.view_containerdistribution',
        mirror_perm: 'container.view_containerrepository',
      },
    },
  },
  'content/container/manifests': {
    statements: [
      {
        action: ['list'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.manage_content_labels'],
      },
    ],
    creation_hooks: [],
    queryset_scoping: {
      function: 'get_content_qs',
      parameters: {
        push_perm: 'container.view_containerdistribution',
        mirror_perm: 'container.view_containerrepository',
      },
    },
  },
  'content/container/blobs': {
    statements: [
      {
        action: ['list'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.manage_content_labels'],
      },
    ],
    creation_hooks: [],
    queryset_scoping: {
      function: 'get_content_qs',
      parameters: {
        push_perm: 'container.view_containerdistribution',
        mirror_perm: 'container.view_containerrepository',
      },
    },
  },
  'content/container/signatures': {
    statements: [
      {
        action: ['list'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.manage_content_labels'],
      },
    ],
    creation_hooks: [],
    queryset_scoping: {
      function: 'get_content_qs',
      parameters: {
        push_perm: 'container.view_containerdistribution',
        mirror_perm: 'container.view_containerrepository',
      },
    },
  },
  'remotes/container/container': {
    statements: [
      {
        action: ['list', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_perms:container.add_containerremote',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_or_obj_perms:container.view_containerremote',
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.change_containerremote',
          'has_model_or_domain_or_obj_perms:container.view_containerremote',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.delete_containerremote',
          'has_model_or_domain_or_obj_perms:container.view_containerremote',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:container.manage_roles_containerremote'],
      },
    ],
    creation_hooks: [
      {
        function: 'add_roles_for_object_creator',
        parameters: {
          roles: 'container.containerremote_owner',
        },
      },
    ],
    queryset_scoping: {
      function: 'scope_queryset',
    },
  },
  'remotes/container/pull-through': {
    statements: [
      {
        action: ['list', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_perms:container.add_containerpullthroughremote',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_or_obj_perms:container.view_containerpullthroughremote',
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.change_containerpullthroughremote',
          'has_model_or_domain_or_obj_perms:container.view_containerpullthroughremote',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.delete_containerpullthroughremote',
          'has_model_or_domain_or_obj_perms:container.view_containerpullthroughremote',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:container.manage_roles_containerpullthroughremote'],
      },
    ],
    creation_hooks: [
      {
        function: 'add_roles_for_object_creator',
        parameters: {
          roles: 'container.containerpullthroughremote_owner',
        },
      },
    ],
    queryset_scoping: {
      function: 'scope_queryset',
    },
  },
};
