import type { AccessPolicyDefinition } from '../../plugin-api/index.js';

// pulp_file's shipped DEFAULT_ACCESS_POLICY of each of its viewsets, as data.
export const fileAccessPolicies: Record<string, AccessPolicyDefinition> = {
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
};
