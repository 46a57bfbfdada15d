import { sql } from 'kysely';

import { objectIdsWithPermission, type QuerysetScope } from '../../plugin-api/index.js';
import { DISTRIBUTION_MODEL, DISTRIBUTION_TYPE, NAMESPACE_MODEL } from './resource-names.js';

// pulp_container's queryset scoping of distributions and push repositories (app/viewsets.py get_dist_qs and
// get_push_repos_qs): what a user may see is not only what they hold a role on, but every public distribution
// and everything in a namespace they may view. A model-wide permission shows everything.

const param = (parameters: Record<string, unknown>, name: string, fallback: string) =>
  typeof parameters[name] === 'string' ? parameters[name] : fallback;

/** Distributions: public ones, those with the view permission, and those of namespaces the user may view. */
const getDistQs: QuerysetScope = ({ perms, userId, alias, parameters }) => {
  const nsPerm = param(parameters, 'ns_perm', 'container.view_containernamespace');
  const distPerm = param(parameters, 'dist_perm', 'container.view_containerdistribution');
  if (perms.hasModel(distPerm) || perms.hasModel(nsPerm)) return null;
  const detail = sql.ref(`${alias}.detail`);
  return sql<boolean>`(
    (${detail}->>'private')::boolean IS NOT TRUE
    OR ${sql.ref(`${alias}.pulp_id`)}::text IN ${objectIdsWithPermission(userId, DISTRIBUTION_MODEL.label, distPerm)}
    OR (${detail}->>'namespace_id') IN ${objectIdsWithPermission(userId, NAMESPACE_MODEL.label, nsPerm)}
    OR (${detail}->>'namespace_id') IN ${objectIdsWithPermission(userId, NAMESPACE_MODEL.label, distPerm)})`;
};

/** Push repositories served by a public distribution, a viewable one, or one in a viewable namespace. */
const getPushReposQs: QuerysetScope = ({ perms, userId, alias, parameters }) => {
  const nsPerm = param(parameters, 'ns_perm', 'container.view_containernamespace');
  const distPerm = param(parameters, 'dist_perm', 'container.view_containerdistribution');
  if (perms.hasModel(distPerm) || perms.hasModel(nsPerm)) return null;
  return sql<boolean>`${sql.ref(`${alias}.pulp_id`)} IN (
    SELECT sd.repository_id FROM distribution sd
     WHERE sd.pulp_type = ${DISTRIBUTION_TYPE} AND sd.repository_id IS NOT NULL AND (
       (sd.detail->>'private')::boolean IS NOT TRUE
       OR sd.pulp_id::text IN ${objectIdsWithPermission(userId, DISTRIBUTION_MODEL.label, distPerm)}
       OR (sd.detail->>'namespace_id') IN ${objectIdsWithPermission(userId, NAMESPACE_MODEL.label, nsPerm)}))`;
};

export const containerQuerysetScopes: Record<string, QuerysetScope> = {
  get_dist_qs: getDistQs,
  get_push_repos_qs: getPushReposQs,
};
