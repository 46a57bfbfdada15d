/** One access-policy statement, in drf-access-policy's shape (as Pulp stores it). */
export interface PolicyStatement {
  action: string[] | string;
  principal: string[] | string;
  effect: 'allow' | 'deny';
  condition?: string[] | string;
  condition_expression?: string[] | string;
}

/** A viewset's access policy: who may do what, the roles given to creators, and how lists are scoped. */
export interface AccessPolicyDefinition {
  statements: PolicyStatement[];
  creation_hooks: Array<{ function: string; parameters?: Record<string, unknown> | null }>;
  queryset_scoping: { function: string; parameters?: Record<string, unknown> | null } | null;
}

export interface LockedRoleDefinition {
  description: string | null;
  permissions: string[];
}
