import { CORE_ACCESS_POLICIES } from './rbac-core-policies.js';
import type { AccessPolicyDefinition, LockedRoleDefinition } from './rbac-types.js';

// Pulp's shipped defaults for pulpcore's viewsets (DEFAULT_ACCESS_POLICY and LOCKED_ROLES), as data; plugins
// add theirs through their definition (`rbac`), registered by the plugin registry.
// Viewsets absent here fall back to admin-only, as Pulp's DefaultAccessPolicy does.

const CORE_LOCKED_ROLES: Record<string, LockedRoleDefinition> = {
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
  'core.upstreampulp_creator': { description: null, permissions: ['core.add_upstreampulp'] },
  'core.upstreampulp_owner': {
    description: null,
    permissions: [
      'core.view_upstreampulp',
      'core.change_upstreampulp',
      'core.delete_upstreampulp',
      'core.replicate_upstreampulp',
      'core.manage_roles_upstreampulp',
    ],
  },
  'core.upstreampulp_user': {
    description: null,
    permissions: ['core.view_upstreampulp', 'core.replicate_upstreampulp'],
  },
  'core.upstreampulp_viewer': { description: null, permissions: ['core.view_upstreampulp'] },
};

const accessPolicies = new Map<string, AccessPolicyDefinition>(Object.entries(CORE_ACCESS_POLICIES));
const lockedRoles = new Map<string, LockedRoleDefinition>(Object.entries(CORE_LOCKED_ROLES));

/** Adds a plugin's shipped access policies (a later registration of the same viewset replaces it). */
export function registerAccessPolicies(policies: Record<string, AccessPolicyDefinition>): void {
  for (const [viewset, policy] of Object.entries(policies)) accessPolicies.set(viewset, policy);
}

/** Adds a plugin's locked roles. */
export function registerLockedRoles(roles: Record<string, LockedRoleDefinition>): void {
  for (const [name, role] of Object.entries(roles)) lockedRoles.set(name, role);
}

/** The shipped access policy of a viewset, or undefined (admin only). */
export function shippedAccessPolicy(viewset: string): AccessPolicyDefinition | undefined {
  return accessPolicies.get(viewset);
}

/** Every shipped access policy, by viewset. */
export function shippedAccessPolicies(): ReadonlyMap<string, AccessPolicyDefinition> {
  return accessPolicies;
}

/** Every locked (built-in) role, by name. */
export function shippedLockedRoles(): ReadonlyMap<string, LockedRoleDefinition> {
  return lockedRoles;
}
