import { parsePrn } from '../core/ids.js';

/** A model that permissions and role assignments can name (Django's content type). */
export interface RbacModel {
  /** `app_label.modelname`, e.g. `file.filerepository`; also the PRN model. */
  label: string;
  /** Model class name, for Pulp's "No <Model> matches the given query." */
  className: string;
  /** Endpoint below the API prefix, which is also the access-policy viewset name. */
  viewset: string;
  /** Table holding the objects, when there is one, and the `pulp_type` that selects this model in it. */
  table?:
    | 'repository'
    | 'remote'
    | 'publication'
    | 'distribution'
    | 'content'
    | 'content_guard'
    | 'task'
    | 'task_group'
    | 'upload'
    | 'artifact'
    | 'auth_group'
    | 'task_schedule'
    | 'auth_user'
    /** A plugin's own table with a `pulp_id` key (`container_namespace`). */
    | (string & Record<never, never>);
  pulpType?: string;
  /** Integer primary key (users, groups) instead of a UUID. */
  intId?: boolean;
  /** Permission codenames beyond add/view/change/delete. */
  extraPermissions?: string[];
  /** Lists and object reads are limited to objects with this permission (queryset scoping). */
  viewPermission?: string;
  /** Whether the viewset has Pulp's roles actions (add_role, remove_role, list_roles, my_permissions). */
  rolesMixin?: boolean;
}

/** An RBAC model in Pulp's terms (see RbacModel). */
export const rbacModel = (
  label: string,
  className: string,
  viewset: string,
  rest: Partial<RbacModel> = {},
): RbacModel => ({
  label,
  className,
  viewset,
  ...rest,
});
/** The permissions and scoping of a model with Pulp's RolesMixin (manage_roles, view scoping). */
export const withRoles = (label: string, extra: string[] = []): Partial<RbacModel> => ({
  extraPermissions: [...extra, `manage_roles_${label.split('.')[1] ?? ''}`],
  viewPermission: `${label.split('.')[0] ?? ''}.view_${label.split('.')[1] ?? ''}`,
  rolesMixin: true,
});

const CORE_MODELS: RbacModel[] = [
  rbacModel('core.content', 'Content', 'content', { extraPermissions: ['manage_content_labels'] }),
  rbacModel('core.rbaccontentguard', 'RBACContentGuard', 'contentguards/core/rbac', {
    table: 'content_guard',
    pulpType: 'core.rbac',
    ...withRoles('core.rbaccontentguard', ['download_rbaccontentguard']),
  }),
  rbacModel('core.headercontentguard', 'HeaderContentGuard', 'contentguards/core/header', {
    table: 'content_guard',
    pulpType: 'core.header',
    ...withRoles('core.headercontentguard'),
  }),
  rbacModel('core.compositecontentguard', 'CompositeContentGuard', 'contentguards/core/composite', {
    table: 'content_guard',
    pulpType: 'core.composite',
    ...withRoles('core.compositecontentguard'),
  }),
  rbacModel('core.contentredirectcontentguard', 'ContentRedirectContentGuard', 'contentguards/core/content_redirect', {
    table: 'content_guard',
    pulpType: 'core.content_redirect',
    ...withRoles('core.contentredirectcontentguard'),
  }),
  rbacModel('core.task', 'Task', 'tasks', {
    table: 'task',
    ...withRoles('core.task', ['view_task_profile_artifacts']),
  }),
  rbacModel('core.taskgroup', 'TaskGroup', 'task-groups', { table: 'task_group' }),
  rbacModel('core.taskschedule', 'TaskSchedule', 'task-schedules', {
    table: 'task_schedule',
    ...withRoles('core.taskschedule'),
  }),
  rbacModel('core.upload', 'Upload', 'uploads', { table: 'upload', ...withRoles('core.upload') }),
  rbacModel('core.upstreampulp', 'UpstreamPulp', 'upstream-pulps', {
    table: 'upstream_pulp',
    ...withRoles('core.upstreampulp', ['replicate_upstreampulp']),
  }),
  rbacModel('core.artifact', 'Artifact', 'artifacts', { table: 'artifact' }),
  rbacModel('core.group', 'Group', 'groups', { table: 'auth_group', intId: true, ...withRoles('core.group') }),
  rbacModel('auth.user', 'User', 'users', { table: 'auth_user', intId: true }),
  rbacModel('core.role', 'Role', 'roles'),
  rbacModel('core.accesspolicy', 'AccessPolicy', 'access_policies'),
];

const models: RbacModel[] = [];
const byLabel = new Map<string, RbacModel>();
const byViewset = new Map<string, RbacModel>();
// Longest endpoint first, so that `remotes/file/git` wins over a shorter prefix.
let byLength: RbacModel[] = [];
const permissionModel = new Map<string, RbacModel>();

/** Adds models (plugins' through the registry); a model of the same label replaces the earlier one. */
export function registerRbacModels(added: readonly RbacModel[]): void {
  for (const model of added) {
    const i = models.findIndex((x) => x.label === model.label);
    if (i >= 0) models.splice(i, 1, model);
    else models.push(model);
    byLabel.set(model.label, model);
    byViewset.set(model.viewset, model);
    for (const p of modelPermissions(model)) permissionModel.set(p, model);
  }
  byLength = [...models].sort((a, b) => b.viewset.length - a.viewset.length);
}

/** Every model known to this process: core's and the installed plugins'. */
export function rbacModels(): readonly RbacModel[] {
  return models;
}

export function modelByLabel(label: string): RbacModel | undefined {
  return byLabel.get(label);
}

export function modelByViewset(viewset: string): RbacModel | undefined {
  return byViewset.get(viewset);
}

/** Every permission (`app.codename`) of a model. */
export function modelPermissions(model: RbacModel): string[] {
  const [app, name] = model.label.split('.') as [string, string];
  return [
    ...['add', 'view', 'change', 'delete'].map((a) => `${app}.${a}_${name}`),
    ...(model.extraPermissions ?? []).map((c) => `${app}.${c}`),
  ];
}

/** The model a permission belongs to (undefined for an unknown permission). */
export function modelOfPermission(permission: string): RbacModel | undefined {
  return permissionModel.get(permission);
}

export interface ObjectRef {
  model: RbacModel;
  id: string;
}

function idValid(model: RbacModel, id: string): boolean {
  return model.intId
    ? /^\d{1,9}$/.test(id)
    : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

/**
 * The object an href (or PRN) names: `<prefix><endpoint>/<id>/` exactly, or with `nested: true` also the
 * parent object of a nested href (`.../<id>/versions/3/`).
 */
export function parseObjectRef(
  apiPrefix: string,
  reference: string,
  options: { nested?: boolean } = {},
): ObjectRef | null {
  const prn = parsePrn(reference);
  if (prn) {
    const model = byLabel.get(prn.model);
    return model && idValid(model, prn.pk) ? { model, id: prn.pk.toLowerCase() } : null;
  }
  let path = reference;
  if (/^https?:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      return null;
    }
  }
  if (!path.startsWith(apiPrefix)) return null;
  const rest = path.slice(apiPrefix.length);
  for (const model of byLength) {
    if (!rest.startsWith(`${model.viewset}/`)) continue;
    const tail = rest.slice(model.viewset.length + 1).split('/');
    const id = tail[0] ?? '';
    if (!idValid(model, id)) continue;
    const exact = tail.length === 2 && tail[1] === '';
    if (exact || options.nested) return { model, id: id.toLowerCase() };
  }
  return null;
}

export function objectHref(apiPrefix: string, model: RbacModel, id: string): string {
  return `${apiPrefix}${model.viewset}/${id}/`;
}

registerRbacModels(CORE_MODELS);
