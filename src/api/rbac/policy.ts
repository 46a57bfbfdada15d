import { ValidationError } from '../../core/errors.js';
import { type ConditionInput, policyCondition } from '../../plugin-api/policy-conditions.js';
import { type ObjectRef, parseObjectRef } from '../../plugin-api/rbac-catalogue.js';
import type { PolicyStatement } from '../../plugin-api/rbac-types.js';
import { cachedConditionExpression, conditionReference, evaluateCondition } from './condition-expression.js';

/** What a statement's principals and conditions are evaluated against. */
export interface PolicyInput extends ConditionInput {
  /** Names of the user's groups (for `group:<name>` principals), loaded on first use. */
  groups: () => Promise<string[]>;
}

const list = (v: string[] | string | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function bodyRef(input: PolicyInput, field: string, nested = false): ObjectRef | null | 'absent' | 'invalid' {
  const value = input.data[field];
  if (value === undefined || value === null || value === '') return 'absent';
  if (typeof value !== 'string') return 'invalid';
  return parseObjectRef(input.services.apiPrefix, value, { nested }) ?? 'invalid';
}

/** `has_*_param_*`: allowed when the parameter is absent, else the user needs one of the permissions on it. */
function paramCheck(input: PolicyInput, field: string, permissions: string[], nested = false): boolean {
  const ref = bodyRef(input, field, nested);
  if (ref === 'absent') return true;
  // An unparsable reference is the handler's 400 to give; it grants nothing here.
  if (ref === 'invalid' || ref === null) return true;
  const applicable = permissions.filter((p) => p.endsWith(`_${ref.model.label.split('.')[1] ?? ''}`));
  return applicable.some((p) => input.perms.hasModelOrObject(p, ref));
}

/** pulpcore's own conditions (pulpcore/app/global_access_conditions.py); undefined for a name it does not know. */
function coreCondition(input: PolicyInput, name: string, arg: string): boolean | undefined {
  const permissions = arg
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const perm = permissions[0] ?? '';
  const { perms, object } = input;
  switch (name) {
    case 'has_model_perms':
    case 'has_model_or_domain_perms':
      return perms.hasModel(perm);
    case 'has_obj_perms':
      return perms.hasObject(perm, object);
    case 'has_domain_perms':
      return perms.superuser;
    case 'has_model_or_obj_perms':
    case 'has_model_or_domain_or_obj_perms':
    case 'has_repository_model_or_domain_or_obj_perms':
    case 'has_repository_model_or_obj_perms':
    case 'has_group_model_or_obj_perms':
    case 'has_group_obj_perms':
      return perms.hasModelOrObject(perm, object);
    case 'has_remote_param_model_or_domain_or_obj_perms':
    case 'has_remote_param_model_or_obj_perms':
    case 'has_remote_param_obj_perms':
      return paramCheck(input, 'remote', permissions);
    case 'has_repo_or_repo_ver_param_model_or_domain_or_obj_perms':
    case 'has_repo_or_repo_ver_param_model_or_obj_perms':
      return paramCheck(input, 'repository', permissions) && paramCheck(input, 'repository_version', permissions, true);
    case 'has_publication_param_model_or_domain_or_obj_perms':
    case 'has_publication_param_model_or_obj_perms':
      return paramCheck(input, 'publication', permissions);
    case 'has_upload_param_model_or_domain_or_obj_perms':
    case 'has_upload_param_model_or_obj_perms':
      return paramCheck(input, 'upload', permissions);
    case 'has_required_repo_perms_on_upload': {
      if (perms.superuser) return true;
      const repo = bodyRef(input, 'repository');
      if (repo === 'absent') throw new ValidationError(['Destination upload repository was not provided.']);
      const labels = input.data.pulp_labels;
      if (
        input.action === 'create' &&
        labels &&
        typeof labels === 'object' &&
        Object.keys(labels).length > 0 &&
        !perms.hasModel('core.manage_content_labels')
      ) {
        throw new ValidationError([
          'pulp_labels cannot be specified by users who do not have the core.manage_labels permission.',
        ]);
      }
      if (repo === 'invalid' || repo === null) return false;
      return perms.hasModelOrObject(perm, repo);
    }
    default:
      return undefined;
  }
}

/** One condition by name: core's, else a plugin's; an unknown name denies (and is logged). */
async function condition(input: PolicyInput, name: string, arg: string): Promise<boolean> {
  const core = coreCondition(input, name, arg);
  if (core !== undefined) return core;
  const plugin = policyCondition(name);
  if (plugin) return (await plugin(input, arg)) === true;
  input.services.logger.warn(
    { condition: name, viewset: input.viewset, action: input.action },
    'unknown access policy condition',
  );
  return false;
}

async function principalMatches(input: PolicyInput, principals: string[]): Promise<boolean> {
  for (const p of principals) {
    if (p === '*') return true;
    const user = input.user;
    if (!user) {
      if (p === 'anonymous') return true;
      continue;
    }
    if (p === 'authenticated') return true;
    if (p === 'admin' && user.isSuperuser) return true;
    if (p === 'staff' && user.isStaff) return true;
    if (p === `id:${user.id}`) return true;
    if (p.startsWith('group:') && (await input.groups()).includes(p.slice(6))) return true;
  }
  return false;
}

function actionMatches(actions: string[], action: string, method: string): boolean {
  return actions.some(
    (a) =>
      a === '*' ||
      a === action ||
      (a === '<safe_methods>' && ['GET', 'HEAD', 'OPTIONS'].includes(method)) ||
      a.toLowerCase() === `<method:${method.toLowerCase()}>`,
  );
}

/** Every `condition` and every `condition_expression` of the statement holds. */
async function conditionsHold(input: PolicyInput, statement: PolicyStatement): Promise<boolean> {
  for (const c of list(statement.condition)) {
    const ref = conditionReference(c.trim());
    if (!(await condition(input, ref.name, ref.arg))) return false;
  }
  for (const expr of list(statement.condition_expression)) {
    const node = cachedConditionExpression(expr);
    if (node instanceof Error) {
      input.services.logger.warn(
        { viewset: input.viewset, err: node.message },
        'invalid access policy condition_expression',
      );
      return false;
    }
    if (!(await evaluateCondition(node, (name, arg) => condition(input, name, arg)))) return false;
  }
  return true;
}

/** drf-access-policy semantics: a matching deny wins; otherwise some matching allow is needed. */
export async function isAllowed(input: PolicyInput, statements: PolicyStatement[]): Promise<boolean> {
  let allowed = false;
  const method = input.method;
  for (const statement of statements) {
    if (!actionMatches(list(statement.action), input.action, method)) continue;
    if (!(await principalMatches(input, list(statement.principal)))) continue;
    if (statement.effect === 'deny') {
      if (await conditionsHold(input, statement)) return false;
      continue;
    }
    if (!allowed && (await conditionsHold(input, statement))) allowed = true;
  }
  return allowed;
}
