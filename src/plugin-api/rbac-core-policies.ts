import type { AccessPolicyDefinition } from './rbac-types.js';

// pulpcore's DEFAULT_ACCESS_POLICY of each of its viewsets, as data.
export const CORE_ACCESS_POLICIES: Record<string, AccessPolicyDefinition> = {
  artifacts: {
    statements: [{ action: ['create', 'list', 'retrieve'], principal: 'admin', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: null,
  },
  content: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  contentguards: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'contentguards/core/composite': {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.add_compositecontentguard'],
      },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_compositecontentguard'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.change_compositecontentguard'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.delete_compositecontentguard'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_compositecontentguard'],
      },
    ],
    creation_hooks: [
      { function: 'add_roles_for_object_creator', parameters: { roles: ['core.compositecontentguard_owner'] } },
    ],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'contentguards/core/content_redirect': {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.add_contentredirectcontentguard'],
      },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_contentredirectcontentguard'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.change_contentredirectcontentguard'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.delete_contentredirectcontentguard'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_contentredirectcontentguard'],
      },
    ],
    creation_hooks: [
      { function: 'add_roles_for_object_creator', parameters: { roles: ['core.contentredirectcontentguard_owner'] } },
    ],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'contentguards/core/header': {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.add_headercontentguard'],
      },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_headercontentguard'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.change_headercontentguard'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.delete_headercontentguard'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_headercontentguard'],
      },
    ],
    creation_hooks: [
      { function: 'add_roles_for_object_creator', parameters: { roles: ['core.headercontentguard_owner'] } },
    ],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'contentguards/core/rbac': {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.add_rbaccontentguard'],
      },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_rbaccontentguard'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.change_rbaccontentguard'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.delete_rbaccontentguard'],
      },
      {
        action: ['download'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.download_rbaccontentguard'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_rbaccontentguard'],
      },
    ],
    creation_hooks: [
      {
        function: 'add_roles_for_object_creator',
        parameters: { roles: ['core.rbaccontentguard_owner', 'core.rbaccontentguard_downloader'] },
      },
    ],
    queryset_scoping: { function: 'scope_queryset' },
  },
  distributions: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  groups: {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_perms:core.add_group'],
      },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_obj_perms:core.view_group'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_obj_perms:core.change_group'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_obj_perms:core.delete_group'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_obj_perms:core.manage_roles_group'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'core.group_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'groups/users': {
    statements: [
      {
        action: ['list'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_group_model_or_obj_perms:core.view_group'],
      },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_group_model_or_obj_perms:core.change_group'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_group_model_or_obj_perms:core.change_group'],
      },
    ],
    creation_hooks: [],
    queryset_scoping: null,
  },
  login: {
    statements: [{ action: ['*'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: null,
  },
  publications: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  remotes: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  repositories: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  repository_versions: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'task-groups': {
    statements: [{ action: ['list', 'retrieve', 'partial_update'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'task-schedules': {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_taskschedule'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_taskschedule'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'core.taskschedule_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  tasks: {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_task'],
      },
      {
        action: ['profile_artifacts'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_task_profile_artifacts'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.delete_task'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.change_task'],
      },
      { action: ['purge'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_task'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'core.task_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  uploads: {
    statements: [
      { action: ['list'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.add_upload'],
      },
      {
        action: ['retrieve', 'my_permissions'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_upload'],
      },
      {
        action: ['update', 'partial_update', 'commit'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.change_upload'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.delete_upload'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_upload'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'core.upload_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'upstream-pulps': {
    statements: [
      { action: ['list', 'my_permissions'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.add_upstreampulp'],
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.view_upstreampulp'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.delete_upstreampulp'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.change_upstreampulp'],
      },
      {
        action: ['replicate'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.replicate_upstreampulp'],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:core.manage_roles_upstreampulp'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'core.upstreampulp_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
};
