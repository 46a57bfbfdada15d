/* eslint-disable max-lines -- split by plugin in the plugin-platform work */
import type { AccessPolicyDefinition, LockedRoleDefinition } from './rbac-types.js';

// Pulp's shipped defaults (pulpcore and pulp_file viewsets' DEFAULT_ACCESS_POLICY and LOCKED_ROLES), as data.
// Viewsets absent here fall back to admin-only, as Pulp's DefaultAccessPolicy does.

export const DEFAULT_ACCESS_POLICIES: Record<string, AccessPolicyDefinition> = {
  'acs/file/file': {
    statements: [
      { action: ['list', 'my_permissions'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_perms:file.add_filealternatecontentsource',
          'has_remote_param_model_or_domain_or_obj_perms:file.view_fileremote',
        ],
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.view_filealternatecontentsource'],
      },
      {
        action: ['update', 'partial_update'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.change_filealternatecontentsource',
          'has_model_or_domain_or_obj_perms:file.view_filealternatecontentsource',
          'has_remote_param_model_or_domain_or_obj_perms:file.view_fileremote',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.delete_filealternatecontentsource',
          'has_model_or_domain_or_obj_perms:file.view_filealternatecontentsource',
        ],
      },
      {
        action: ['refresh'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.refresh_filealternatecontentsource',
          'has_model_or_domain_or_obj_perms:file.view_filealternatecontentsource',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.manage_roles_filealternatecontentsource'],
      },
    ],
    creation_hooks: [
      { function: 'add_roles_for_object_creator', parameters: { roles: 'file.filealternatecontentsource_owner' } },
    ],
    queryset_scoping: { function: 'scope_queryset' },
  },
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
  'content/file/files': {
    statements: [
      { action: ['list', 'retrieve'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_required_repo_perms_on_upload:file.modify_filerepository',
          'has_required_repo_perms_on_upload:file.view_filerepository',
          'has_upload_param_model_or_domain_or_obj_perms:core.change_upload',
        ],
      },
      {
        action: ['set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:core.manage_content_labels'],
      },
      {
        action: ['upload'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:file.upload_files'],
      },
    ],
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
  'distributions/file/file': {
    statements: [
      { action: ['list', 'my_permissions'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_perms:file.add_filedistribution',
          'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:file.view_filerepository',
          'has_publication_param_model_or_domain_or_obj_perms:file.view_filepublication',
        ],
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.view_filedistribution'],
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.change_filedistribution',
          'has_model_or_domain_or_obj_perms:file.view_filedistribution',
          'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:file.view_filerepository',
          'has_publication_param_model_or_domain_or_obj_perms:file.view_filepublication',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.delete_filedistribution',
          'has_model_or_domain_or_obj_perms:file.view_filedistribution',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.manage_roles_filedistribution'],
      },
    ],
    creation_hooks: [
      { function: 'add_roles_for_object_creator', parameters: { roles: 'file.filedistribution_owner' } },
    ],
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
  'publications/file/file': {
    statements: [
      { action: ['list', 'my_permissions'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_perms:file.add_filepublication',
          'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:file.view_filerepository',
        ],
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.view_filepublication'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.delete_filepublication',
          'has_model_or_domain_or_obj_perms:file.view_filepublication',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.manage_roles_filepublication'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'file.filepublication_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  remotes: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'remotes/file/file': {
    statements: [
      { action: ['list', 'my_permissions'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:file.add_fileremote'],
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.view_fileremote'],
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.change_fileremote',
          'has_model_or_domain_or_obj_perms:file.view_fileremote',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.delete_fileremote',
          'has_model_or_domain_or_obj_perms:file.view_fileremote',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.manage_roles_fileremote'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'file.fileremote_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'remotes/file/git': {
    statements: [
      { action: ['list', 'my_permissions'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_perms:file.add_filegitremote'],
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.view_filegitremote'],
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.change_filegitremote',
          'has_model_or_domain_or_obj_perms:file.view_filegitremote',
        ],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.delete_filegitremote',
          'has_model_or_domain_or_obj_perms:file.view_filegitremote',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.manage_roles_filegitremote'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'file.filegitremote_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  repositories: {
    statements: [{ action: ['list'], principal: 'authenticated', effect: 'allow' }],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'repositories/file/file': {
    statements: [
      { action: ['list', 'my_permissions'], principal: 'authenticated', effect: 'allow' },
      {
        action: ['create'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_perms:file.add_filerepository',
          'has_remote_param_model_or_domain_or_obj_perms:file.view_fileremote',
        ],
      },
      {
        action: ['retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.view_filerepository'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.delete_filerepository',
          'has_model_or_domain_or_obj_perms:file.view_filerepository',
        ],
      },
      {
        action: ['update', 'partial_update', 'set_label', 'unset_label'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.change_filerepository',
          'has_model_or_domain_or_obj_perms:file.view_filerepository',
          'has_remote_param_model_or_domain_or_obj_perms:file.view_fileremote',
        ],
      },
      {
        action: ['sync'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.sync_filerepository',
          'has_remote_param_model_or_domain_or_obj_perms:file.view_fileremote,file.view_filegitremote',
          'has_model_or_domain_or_obj_perms:file.view_filerepository',
        ],
      },
      {
        action: ['modify'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_model_or_domain_or_obj_perms:file.modify_filerepository',
          'has_model_or_domain_or_obj_perms:file.view_filerepository',
        ],
      },
      {
        action: ['list_roles', 'add_role', 'remove_role'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_model_or_domain_or_obj_perms:file.manage_roles_filerepository'],
      },
    ],
    creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: 'file.filerepository_owner' } }],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'repositories/file/file/versions': {
    statements: [
      {
        action: ['list', 'retrieve'],
        principal: 'authenticated',
        effect: 'allow',
        condition: ['has_repository_model_or_domain_or_obj_perms:file.view_filerepository'],
      },
      {
        action: ['destroy'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_repository_model_or_domain_or_obj_perms:file.delete_filerepository',
          'has_repository_model_or_domain_or_obj_perms:file.view_filerepository',
        ],
      },
      {
        action: ['repair'],
        principal: 'authenticated',
        effect: 'allow',
        condition: [
          'has_repository_model_or_domain_or_obj_perms:file.repair_filerepository',
          'has_repository_model_or_domain_or_obj_perms:file.view_filerepository',
        ],
      },
    ],
    creation_hooks: [],
    queryset_scoping: null,
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
};

export const LOCKED_ROLES: Record<string, LockedRoleDefinition> = {
  'core.compositecontentguard_creator': { description: null, permissions: ['core.add_compositecontentguard'] },
  'core.compositecontentguard_owner': {
    description: null,
    permissions: [
      'core.view_compositecontentguard',
      'core.change_compositecontentguard',
      'core.delete_compositecontentguard',
      'core.manage_roles_compositecontentguard',
    ],
  },
  'core.compositecontentguard_viewer': { description: null, permissions: ['core.view_compositecontentguard'] },
  'core.content_labeler': { description: null, permissions: ['core.manage_content_labels'] },
  'core.contentredirectcontentguard_creator': {
    description: null,
    permissions: ['core.add_contentredirectcontentguard'],
  },
  'core.contentredirectcontentguard_owner': {
    description: null,
    permissions: [
      'core.view_contentredirectcontentguard',
      'core.change_contentredirectcontentguard',
      'core.delete_contentredirectcontentguard',
      'core.manage_roles_contentredirectcontentguard',
    ],
  },
  'core.contentredirectcontentguard_viewer': {
    description: null,
    permissions: ['core.view_contentredirectcontentguard'],
  },
  'core.group_creator': { description: null, permissions: ['core.add_group'] },
  'core.group_owner': {
    description: null,
    permissions: ['core.view_group', 'core.change_group', 'core.delete_group', 'core.manage_roles_group'],
  },
  'core.group_viewer': { description: null, permissions: ['core.view_group'] },
  'core.headercontentguard_creator': { description: null, permissions: ['core.add_headercontentguard'] },
  'core.headercontentguard_owner': {
    description: null,
    permissions: [
      'core.view_headercontentguard',
      'core.change_headercontentguard',
      'core.delete_headercontentguard',
      'core.manage_roles_headercontentguard',
    ],
  },
  'core.headercontentguard_viewer': { description: null, permissions: ['core.view_headercontentguard'] },
  'core.rbaccontentguard_creator': { description: null, permissions: ['core.add_rbaccontentguard'] },
  'core.rbaccontentguard_downloader': { description: null, permissions: ['core.download_rbaccontentguard'] },
  'core.rbaccontentguard_owner': {
    description: null,
    permissions: [
      'core.view_rbaccontentguard',
      'core.change_rbaccontentguard',
      'core.delete_rbaccontentguard',
      'core.manage_roles_rbaccontentguard',
    ],
  },
  'core.rbaccontentguard_viewer': { description: null, permissions: ['core.view_rbaccontentguard'] },
  'core.task_owner': {
    description: 'Allow all actions on a task.',
    permissions: [
      'core.view_task',
      'core.view_task_profile_artifacts',
      'core.change_task',
      'core.delete_task',
      'core.manage_roles_task',
    ],
  },
  'core.task_user_dispatcher': { description: null, permissions: ['core.add_task'] },
  'core.task_viewer': { description: null, permissions: ['core.view_task'] },
  'core.taskschedule_owner': {
    description: 'Allow all actions on a taskschedule.',
    permissions: ['core.view_taskschedule', 'core.manage_roles_taskschedule'],
  },
  'core.taskschedule_viewer': { description: null, permissions: ['core.view_taskschedule'] },
  'core.upload_creator': { description: null, permissions: ['core.add_upload'] },
  'core.upload_owner': {
    description: null,
    permissions: ['core.view_upload', 'core.change_upload', 'core.delete_upload', 'core.manage_roles_upload'],
  },
  'core.upload_viewer': { description: null, permissions: ['core.view_upload'] },
  'file.file_uploader': { description: null, permissions: ['file.upload_files'] },
  'file.filealternatecontentsource_creator': {
    description: null,
    permissions: ['file.add_filealternatecontentsource'],
  },
  'file.filealternatecontentsource_owner': {
    description: null,
    permissions: [
      'file.view_filealternatecontentsource',
      'file.change_filealternatecontentsource',
      'file.delete_filealternatecontentsource',
      'file.refresh_filealternatecontentsource',
      'file.manage_roles_filealternatecontentsource',
    ],
  },
  'file.filealternatecontentsource_viewer': {
    description: null,
    permissions: ['file.view_filealternatecontentsource'],
  },
  'file.filedistribution_creator': { description: null, permissions: ['file.add_filedistribution'] },
  'file.filedistribution_owner': {
    description: null,
    permissions: [
      'file.view_filedistribution',
      'file.change_filedistribution',
      'file.delete_filedistribution',
      'file.manage_roles_filedistribution',
    ],
  },
  'file.filedistribution_viewer': { description: null, permissions: ['file.view_filedistribution'] },
  'file.filegitremote_creator': { description: null, permissions: ['file.add_filegitremote'] },
  'file.filegitremote_owner': {
    description: null,
    permissions: [
      'file.view_filegitremote',
      'file.change_filegitremote',
      'file.delete_filegitremote',
      'file.manage_roles_filegitremote',
    ],
  },
  'file.filegitremote_viewer': { description: null, permissions: ['file.view_filegitremote'] },
  'file.filepublication_creator': { description: null, permissions: ['file.add_filepublication'] },
  'file.filepublication_owner': {
    description: null,
    permissions: ['file.view_filepublication', 'file.delete_filepublication', 'file.manage_roles_filepublication'],
  },
  'file.filepublication_viewer': { description: null, permissions: ['file.view_filepublication'] },
  'file.fileremote_creator': { description: null, permissions: ['file.add_fileremote'] },
  'file.fileremote_owner': {
    description: null,
    permissions: [
      'file.view_fileremote',
      'file.change_fileremote',
      'file.delete_fileremote',
      'file.manage_roles_fileremote',
    ],
  },
  'file.fileremote_viewer': { description: null, permissions: ['file.view_fileremote'] },
  'file.filerepository_creator': { description: null, permissions: ['file.add_filerepository'] },
  'file.filerepository_owner': {
    description: null,
    permissions: [
      'file.view_filerepository',
      'file.change_filerepository',
      'file.delete_filerepository',
      'file.modify_filerepository',
      'file.sync_filerepository',
      'file.manage_roles_filerepository',
      'file.repair_filerepository',
    ],
  },
  'file.filerepository_viewer': { description: null, permissions: ['file.view_filerepository'] },
};
