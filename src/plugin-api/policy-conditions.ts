import type { RawBuilder } from 'kysely';

import { ConfigurationError } from '../core/errors.js';
import type { ApiUser, Services } from './operations.js';
import type { ObjectRef } from './rbac-catalogue.js';
import type { UserPermissions } from './rbac-permissions.js';

/**
 * What an access-policy condition sees of the request being authorised: Pulp's condition functions receive
 * `(request, view, action, arg)`; here the request and view are reduced to the parts they read.
 */
export interface ConditionInput {
  /** The caller; null when anonymous (the registry's token endpoint lets anonymous callers ask). */
  user: ApiUser | null;
  perms: UserPermissions;
  /** Access-policy viewset name (`distributions/container/container`). */
  viewset: string;
  /** The view action (`create`, `pull`, ...). */
  action: string;
  /** HTTP method of the request (or of the request the registry pretends to make). */
  method: string;
  /** The request data (the parsed body; for the registry, the few fields Pulp fakes). */
  data: Record<string, unknown>;
  /**
   * The object the view is about (`view.get_object()`): named by the URL (the parent object for nested
   * endpoints such as repository versions), or given by the caller; null for list and create.
   */
  object: ObjectRef | null;
  services: Pick<Services, 'db' | 'apiPrefix' | 'logger'>;
  /**
   * Shares one lookup between the conditions of one evaluation (several statements often ask for the same
   * row): the first caller of a key runs `load`, later ones get its promise.
   */
  once<T>(key: string, load: () => Promise<T>): Promise<T>;
}

/**
 * A named condition, as a policy statement refers to it: `name` or `name:arg` in `condition`, an operand of
 * `condition_expression`. `arg` is the text after the first colon ('' without one). It answers whether the
 * condition holds; it may throw a ValidationError for Pulp's 400s, never to deny.
 */
export type PolicyCondition = (input: ConditionInput, arg: string) => boolean | Promise<boolean>;

const conditions = new Map<string, PolicyCondition>();

/** Adds a plugin's conditions (a later registration of the same name replaces it; the registry refuses clashes). */
export function registerPolicyConditions(map: Record<string, PolicyCondition>): void {
  for (const [name, fn] of Object.entries(map)) conditions.set(name, fn);
}

/** The plugin condition registered under a name, if any. */
export function policyCondition(name: string): PolicyCondition | undefined {
  return conditions.get(name);
}

/** What a queryset scoping function sees: the user, and the policy's `queryset_scoping.parameters`. */
export interface ScopeInput {
  perms: UserPermissions;
  userId: number;
  /** Alias of the table whose rows are being limited (the list's main table, or the object being read). */
  alias: string;
  parameters: Record<string, unknown>;
}

/**
 * A named queryset scoping function (Pulp's `queryset_scoping.function` of a viewset, e.g. pulp_container's
 * `get_dist_qs`): the SQL condition keeping the rows of the viewset's table the user may see, or null when the
 * user sees them all. Lists are filtered by it, and an object outside it answers 404.
 */
export type QuerysetScope = (input: ScopeInput) => RawBuilder<boolean> | null;

const scopes = new Map<string, QuerysetScope>();

/** Adds a plugin's queryset scoping functions (the registry refuses clashes). */
export function registerQuerysetScopes(map: Record<string, QuerysetScope>): void {
  for (const [name, fn] of Object.entries(map)) scopes.set(name, fn);
}

/** The plugin scoping function registered under a name, if any. */
export function querysetScope(name: string): QuerysetScope | undefined {
  return scopes.get(name);
}

/** One access decision asked outside a REST request (the registry's token endpoint, pulp_container's fake view). */
export interface PolicyQuestion {
  /** The viewset whose stored access policy decides. */
  viewset: string;
  action: string;
  method: string;
  user: ApiUser | null;
  object: ObjectRef | null;
  data?: Record<string, unknown>;
}

/** Decides a PolicyQuestion against the access policy in force (installed by the API's RBAC layer). */
export type PolicyEvaluator = (question: PolicyQuestion) => Promise<boolean>;

/** Extension name under which the API process publishes its PolicyEvaluator. */
export const POLICY_EVALUATOR = 'policyEvaluator';

/**
 * Evaluates an access policy the way a REST request would be (same statements, principals and conditions,
 * superusers included), for plugin code that authorises its own protocol. Only the API process can answer.
 */
export function evaluateAccessPolicy(services: Pick<Services, 'extensions'>, question: PolicyQuestion) {
  const evaluator = services.extensions.get(POLICY_EVALUATOR) as PolicyEvaluator | undefined;
  if (!evaluator) throw new ConfigurationError('access policies can only be evaluated in the API process');
  return evaluator(question);
}
