import type { AccessPolicyDefinition } from '../../plugin-api/index.js';

// pulp_container 2.26's DEFAULT_ACCESS_POLICY of its repositories viewsets, as data (app/viewsets.py).
export const repositoriesAccessPolicies: Record<string, AccessPolicyDefinition> = {
  'repositories/container/container': {
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
        condition: 'has_model_or_domain_perms:container.add_containerrepository',
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_model_or_domain_or_obj_perms:container.view_containerrepository',
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.delete_containerrepository',
          'has_model_or_domain_or_obj_perms:container.view_containerrepository',
        ],
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.change_containerrepository',
          'has_model_or_domain_or_obj_perms:container.view_containerrepository',
        ],
      },
      {
        action: ['sync'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.sync_containerrepository',
          'has_remote_param_model_or_domain_or_obj_perms:container.view_containerremote',
          'has_model_or_domain_or_obj_perms:container.view_containerrepository',
        ],
      },
      {
        action: ['add', 'remove', 'tag', 'untag', 'copy_tags', 'copy_manifests', 'sign'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.modify_content_containerrepository',
          'has_model_or_domain_or_obj_perms:container.view_containerrepository',
        ],
      },
      {
        action: ['build_image'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:container.build_image_containerrepository',
          'has_model_or_domain_or_obj_perms:container.view_containerrepository',
          'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:file.view_filerepository',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:container.manage_roles_containerrepository'],
      },
    ],
    creation_hooks: [
      {
        function: 'add_roles_for_object_creator',
        parameters: {
          roles: 'container.containerrepository_owner',
        },
      },
    ],
    queryset_scoping: {
      function: 'scope_queryset',
    },
  },
  'repositories/container/container/versions': {
    statements: [
      {
        action: ['list', 'retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: 'has_repository_model_or_domain_or_obj_perms:container.view_containerrepository',
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_repository_model_or_domain_or_obj_perms:container.delete_containerrepository_versions',
          'has_repository_model_or_domain_or_obj_perms:container.view_containerrepository',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_repository_model_or_domain_or_obj_perms:container.delete_containerrepository',
          'has_repository_model_or_domain_or_obj_perms:container.view_containerrepository',
        ],
      },
      {
        action: ['repair'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_repository_model_or_domain_or_obj_perms:container.sync_containerrepository',
          'has_repository_model_or_domain_or_obj_perms:container.view_containerrepository',
        ],
      },
    ],
    creation_hooks: [],
    queryset_scoping: null,
  },
  'repositories/container/container-push': {
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
        condition_expression: [
          'has_namespace_obj_perms:container.namespace_view_containerpush_repository or has_distribution_perms:container.view_containerdistribution',
        ],
      },
      {
        action: ['tag', 'untag', 'remove_image', 'sign', 'remove_signatures'],
        principal: 'authenticated',
        effect: 'allow',
        condition_expression: [
          'has_namespace_obj_perms:container.namespace_modify_content_containerpushrepository or has_distribution_perms:container.modify_content_containerpushrepository',
        ],
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition_expression: [
          'has_namespace_obj_perms:container.namespace_change_containerpushrepository or has_distribution_perms:container.change_containerdistribution',
        ],
      },
    ],
    creation_hooks: [],
    queryset_scoping: {
      function: 'get_push_repos_qs',
      parameters: {
        ns_perm: 'container.view_containernamespace',
        dist_perm: 'container.view_containerdistribution',
      },
    },
  },
  'repositories/container/container-push/versions': {
    statements: [
      {
        action: ['list', 'retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition_expression:
          'has_namespace_obj_perms:container.namespace_view_containerdistribution or has_distribution_perms:container.view_containerdistribution',
      },
    ],
    creation_hooks: [],
    queryset_scoping: null,
  },
};
