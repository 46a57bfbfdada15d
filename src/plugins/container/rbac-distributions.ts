import type { AccessPolicyDefinition } from '../../plugin-api/index.js';

// pulp_container 2.26's DEFAULT_ACCESS_POLICY of its distributions viewsets, as data (app/viewsets.py).
export const distributionsAccessPolicies: Record<string, AccessPolicyDefinition> = {
  'distributions/container/container': {
    statements: [
      {
        action: ['list', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['catalog'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_namespace_model_perms',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_namespace_perms:container.add_containerdistribution',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'namespace_is_username',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition_expression: ['not is_private or has_namespace_or_obj_perms:container.view_containerdistribution'],
      },
      {
        action: ['pull'],
        principal: '*',
        effect: 'allow',
        condition_expression: ['not is_private'],
      },
      {
        action: ['pull'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_namespace_or_obj_perms:container.pull_containerdistribution'],
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_namespace_or_obj_perms:container.change_containerdistribution',
          'has_namespace_or_obj_perms:container.view_containerdistribution',
        ],
      },
      {
        action: ['push'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_namespace_or_obj_perms:container.push_containerdistribution', 'obj_exists'],
      },
      {
        action: ['push'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_namespace_or_obj_perms:container.add_containerdistribution',
          'has_namespace_or_obj_perms:container.push_containerdistribution',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_namespace_or_obj_perms:container.delete_containerdistribution',
          'has_namespace_or_obj_perms:container.view_containerdistribution',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:container.manage_roles_containerdistribution'],
      },
      {
        action: ['pull_new_content'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_namespace_obj_perms:container.namespace_modify_content_containerrepository'],
      },
    ],
    creation_hooks: [
      {
        function: 'add_roles_for_object_creator',
        parameters: {
          roles: 'container.containerdistribution_owner',
        },
      },
    ],
    queryset_scoping: {
      function: 'get_dist_qs',
      parameters: {
        ns_perm: 'container.view_containernamespace',
        dist_perm: 'container.view_containerdistribution',
      },
    },
  },
  'distributions/container/pull-through': {
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
        condition: 'has_namespace_model_perms',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_namespace_perms:container.add_containerpullthroughdistribution',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'namespace_is_username',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition_expression: ['has_namespace_or_obj_perms:container.view_containerpullthroughdistribution'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_namespace_or_obj_perms:container.change_containerpullthroughdistribution',
          'has_namespace_or_obj_perms:container.view_containerpullthroughdistribution',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_namespace_or_obj_perms:container.delete_containerpullthroughdistribution',
          'has_namespace_or_obj_perms:container.view_containerpullthroughdistribution',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:container.manage_roles_containerpullthroughdistribution'],
      },
      {
        action: ['pull_new_distribution'],
        principal: 'authenticated',
        effect: 'allow',
        condition_expression: ['has_model_or_domain_or_obj_perms:container.pull_new_containerdistribution'],
      },
    ],
    creation_hooks: [
      {
        function: 'add_roles_for_object_creator',
        parameters: {
          roles: 'container.containerpullthroughdistribution_owner',
        },
      },
    ],
    queryset_scoping: null,
  },
  'pulp_container/namespaces': {
    statements: [
      {
        action: ['list'],
        principal: 'authenticated',
        effect: 'allow',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_perms:container.add_containernamespace',
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'namespace_is_username',
      },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_or_obj_perms:container.view_containernamespace',
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.delete_containernamespace',
          'has_model_or_domain_or_obj_perms:container.view_containernamespace',
        ],
      },
      {
        action: ['create_distribution'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_or_obj_perms:container.namespace_add_containerdistribution',
      },
      {
        action: ['view_distribution'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:container.namespace_view_containerdistribution'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_or_obj_perms:container.manage_roles_containernamespace',
      },
    ],
    creation_hooks: [
      {
        function: 'add_roles_for_object_creator',
        parameters: {
          roles: 'container.containernamespace_owner',
        },
      },
    ],
    queryset_scoping: {
      function: 'scope_queryset',
    },
  },
};
