import {
  rbacModel,
  withRoles,
  type AccessPolicyDefinition,
  type LockedRoleDefinition,
  type RbacModel,
} from '../../plugin-api/index.js';

// pulp_python 3.25's DEFAULT_ACCESS_POLICY of each viewset and its LOCKED_ROLES, as data.

type Statement = AccessPolicyDefinition['statements'][number];
const auth = (action: string[], condition?: string | string[]): Statement => ({
  action,
  principal: 'authenticated',
  effect: 'allow',
  ...(condition === undefined ? {} : { condition }),
});
const owner = (label: string) => ({
  creation_hooks: [{ function: 'add_roles_for_object_creator', parameters: { roles: `python.${label}_owner` } }],
  queryset_scoping: { function: 'scope_queryset' },
});
const none = { creation_hooks: [], queryset_scoping: null };
const perm = (p: string) => `has_model_or_domain_or_obj_perms:python.${p}`;

export const pythonAccessPolicies: Record<string, AccessPolicyDefinition> = {
  'repositories/python/python': {
    statements: [
      auth(['list', 'my_permissions']),
      auth(
        ['create'],
        [
          'has_model_or_domain_perms:python.add_pythonrepository',
          'has_remote_param_model_or_domain_or_obj_perms:python.view_pythonremote',
        ],
      ),
      auth(['retrieve'], perm('view_pythonrepository')),
      auth(['destroy'], [perm('delete_pythonrepository'), perm('view_pythonrepository')]),
      auth(
        ['update', 'partial_update', 'set_label', 'unset_label'],
        [
          perm('change_pythonrepository'),
          perm('view_pythonrepository'),
          'has_remote_param_model_or_domain_or_obj_perms:python.view_pythonremote',
        ],
      ),
      auth(
        ['sync'],
        [
          perm('sync_pythonrepository'),
          'has_remote_param_model_or_domain_or_obj_perms:python.view_pythonremote',
          perm('view_pythonrepository'),
        ],
      ),
      auth(['modify', 'repair_metadata'], [perm('modify_pythonrepository'), perm('view_pythonrepository')]),
      auth(['list_roles', 'add_role', 'remove_role'], [perm('manage_roles_pythonrepository')]),
    ],
    ...owner('pythonrepository'),
  },
  'repositories/python/python/versions': {
    statements: [
      auth(['list', 'retrieve'], 'has_repository_model_or_domain_or_obj_perms:python.view_pythonrepository'),
      auth(
        ['destroy'],
        [
          'has_repository_model_or_domain_or_obj_perms:python.delete_pythonrepository',
          'has_repository_model_or_domain_or_obj_perms:python.view_pythonrepository',
        ],
      ),
      auth(
        ['repair'],
        [
          'has_repository_model_or_domain_or_obj_perms:python.repair_pythonrepository',
          'has_repository_model_or_domain_or_obj_perms:python.view_pythonrepository',
        ],
      ),
      auth(['scan'], ['has_repository_model_or_domain_or_obj_perms:python.view_pythonrepository']),
    ],
    ...none,
  },
  'distributions/python/pypi': {
    statements: [
      auth(['list', 'my_permissions']),
      auth(
        ['create'],
        [
          'has_model_or_domain_perms:python.add_pythondistribution',
          'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:python.view_pythonrepository',
          'has_publication_param_model_or_domain_or_obj_perms:python.view_pythonpublication',
        ],
      ),
      auth(['retrieve'], perm('view_pythondistribution')),
      auth(
        ['update', 'partial_update', 'set_label', 'unset_label'],
        [
          perm('change_pythondistribution'),
          perm('view_pythondistribution'),
          'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:python.view_pythonrepository',
          'has_publication_param_model_or_domain_or_obj_perms:python.view_pythonpublication',
        ],
      ),
      auth(['destroy'], [perm('delete_pythondistribution'), perm('view_pythondistribution')]),
      auth(['list_roles', 'add_role', 'remove_role'], [perm('manage_roles_pythondistribution')]),
    ],
    ...owner('pythondistribution'),
  },
  'content/python/packages': {
    statements: [
      auth(['list', 'retrieve']),
      auth(
        ['create'],
        [
          'has_required_repo_perms_on_upload:python.modify_pythonrepository',
          'has_required_repo_perms_on_upload:python.view_pythonrepository',
          'has_upload_param_model_or_domain_or_obj_perms:core.change_upload',
        ],
      ),
      auth(['upload'], ['has_model_or_domain_perms:python.upload_python_packages']),
    ],
    creation_hooks: [],
    queryset_scoping: { function: 'scope_queryset' },
  },
  'remotes/python/python': {
    statements: [
      auth(['list', 'my_permissions']),
      auth(['create', 'from_bandersnatch'], 'has_model_or_domain_perms:python.add_pythonremote'),
      auth(['retrieve'], perm('view_pythonremote')),
      auth(
        ['update', 'partial_update', 'set_label', 'unset_label'],
        [perm('change_pythonremote'), perm('view_pythonremote')],
      ),
      auth(['destroy'], [perm('delete_pythonremote'), perm('view_pythonremote')]),
      auth(['list_roles', 'add_role', 'remove_role'], [perm('manage_roles_pythonremote')]),
    ],
    ...owner('pythonremote'),
  },
  'publications/python/pypi': {
    statements: [
      auth(['list', 'my_permissions']),
      auth(
        ['create'],
        [
          'has_model_or_domain_perms:python.add_pythonpublication',
          'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:python.view_pythonrepository',
        ],
      ),
      auth(['retrieve'], perm('view_pythonpublication')),
      auth(['destroy'], [perm('delete_pythonpublication'), perm('view_pythonpublication')]),
      auth(['list_roles', 'add_role', 'remove_role'], [perm('manage_roles_pythonpublication')]),
    ],
    ...owner('pythonpublication'),
  },
  // The index views (pulp_python's pypi/views.py names them `pypi/<endpoint_name>`).
  'pypi/simple': {
    statements: [
      { action: ['list', 'retrieve'], principal: '*', effect: 'allow' },
      auth(['create'], 'index_has_repo_perm:python.modify_pythonrepository'),
    ],
    ...none,
  },
  'pypi/legacy': { statements: [auth(['create'], 'index_has_repo_perm:python.modify_pythonrepository')], ...none },
  'pypi/pypi': { statements: [{ action: ['retrieve'], principal: '*', effect: 'allow' }], ...none },
  'pypi/root': { statements: [{ action: ['list', 'retrieve'], principal: '*', effect: 'allow' }], ...none },
};

const role = (permissions: string[]): LockedRoleDefinition => ({ description: null, permissions });
const crud = (model: string, extra: string[] = []) => ({
  [`python.${model}_creator`]: role([`python.add_${model}`]),
  [`python.${model}_owner`]: role([
    `python.view_${model}`,
    ...(model === 'pythonpublication' ? [] : [`python.change_${model}`]),
    `python.delete_${model}`,
    ...extra,
    `python.manage_roles_${model}`,
    ...(model === 'pythonrepository' ? ['python.repair_pythonrepository'] : []),
  ]),
  [`python.${model}_viewer`]: role([`python.view_${model}`]),
});

export const pythonLockedRoles: Record<string, LockedRoleDefinition> = {
  ...crud('pythonrepository', ['python.modify_pythonrepository', 'python.sync_pythonrepository']),
  ...crud('pythondistribution'),
  ...crud('pythonremote'),
  ...crud('pythonpublication'),
  'python.python_package_uploader': role(['python.upload_python_packages']),
};

export const pythonRbacModels: RbacModel[] = [
  rbacModel('python.pythonrepository', 'PythonRepository', 'repositories/python/python', {
    table: 'repository',
    pulpType: 'python.python',
    ...withRoles('python.pythonrepository', [
      'sync_pythonrepository',
      'modify_pythonrepository',
      'repair_pythonrepository',
    ]),
  }),
  rbacModel('python.pythonremote', 'PythonRemote', 'remotes/python/python', {
    table: 'remote',
    pulpType: 'python.python',
    ...withRoles('python.pythonremote'),
  }),
  rbacModel('python.pythonpublication', 'PythonPublication', 'publications/python/pypi', {
    table: 'publication',
    pulpType: 'python.python',
    ...withRoles('python.pythonpublication'),
  }),
  rbacModel('python.pythondistribution', 'PythonDistribution', 'distributions/python/pypi', {
    table: 'distribution',
    pulpType: 'python.python',
    ...withRoles('python.pythondistribution'),
  }),
  rbacModel('python.pythonpackagecontent', 'PythonPackageContent', 'content/python/packages', {
    table: 'content',
    pulpType: 'python.python',
    extraPermissions: ['upload_python_packages'],
  }),
];
