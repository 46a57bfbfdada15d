import { rbacModel, withRoles, type LockedRoleDefinition, type RbacModel } from '../../plugin-api/index.js';

// pulp_file's LOCKED_ROLES and the models its permissions name, as data.

export const fileLockedRoles: Record<string, LockedRoleDefinition> = {
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

export const fileRbacModels: RbacModel[] = [
  rbacModel('file.filerepository', 'FileRepository', 'repositories/file/file', {
    table: 'repository',
    pulpType: 'file.file',
    ...withRoles('file.filerepository', ['sync_filerepository', 'modify_filerepository', 'repair_filerepository']),
  }),
  rbacModel('file.fileremote', 'FileRemote', 'remotes/file/file', {
    table: 'remote',
    pulpType: 'file.file',
    ...withRoles('file.fileremote'),
  }),
  rbacModel('file.filegitremote', 'FileGitRemote', 'remotes/file/git', {
    table: 'remote',
    pulpType: 'file.git',
    ...withRoles('file.filegitremote'),
  }),
  rbacModel('file.filepublication', 'FilePublication', 'publications/file/file', {
    table: 'publication',
    pulpType: 'file.file',
    ...withRoles('file.filepublication'),
  }),
  rbacModel('file.filedistribution', 'FileDistribution', 'distributions/file/file', {
    table: 'distribution',
    pulpType: 'file.file',
    ...withRoles('file.filedistribution'),
  }),
  rbacModel(
    'file.filealternatecontentsource',
    'FileAlternateContentSource',
    'acs/file/file',
    withRoles('file.filealternatecontentsource', ['refresh_filealternatecontentsource']),
  ),
  rbacModel('file.filecontent', 'FileContent', 'content/file/files', {
    table: 'content',
    pulpType: 'file.file',
    extraPermissions: ['upload_files'],
  }),
];
