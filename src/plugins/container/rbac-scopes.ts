import { sql } from 'kysely';

import { objectIdsWithPermission, type QuerysetScope } from '../../plugin-api/index.js';
import {
  DISTRIBUTION_MODEL,
  DISTRIBUTION_TYPE,
  NAMESPACE_MODEL,
  PUSH_REPOSITORY_TYPE,
  REPOSITORY_TYPE,
} from './resource-names.js';

// pulp_container's queryset scoping of distributions, push repositories and content (app/viewsets.py
// get_dist_qs, get_push_repos_qs, get_content_qs): what a user may see is not only what they hold a role on, but every public distribution
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

/**
 * Content (tags, manifests, blobs, signatures): what is in a push repository served by a distribution the user
 * may view (`push_perm`), or in a mirror repository they may view (`mirror_perm`); both model-wide show all,
 * orphans included.
 */
const getContentQs: QuerysetScope = ({ perms, userId, alias, parameters }) => {
  const pushPerm = param(parameters, 'push_perm', 'container.view_containerdistribution');
  const mirrorPerm = param(parameters, 'mirror_perm', 'container.view_containerrepository');
  const allPush = perms.hasModel(pushPerm);
  const allMirror = perms.hasModel(mirrorPerm);
  if (allPush && allMirror) return null;
  const pushRepos = allPush
    ? sql<boolean>`cr.pulp_type = ${PUSH_REPOSITORY_TYPE}`
    : sql<boolean>`cr.pulp_id IN (SELECT cd.repository_id FROM distribution cd WHERE cd.pulp_type = ${DISTRIBUTION_TYPE}
        AND cd.pulp_id::text IN ${objectIdsWithPermission(userId, DISTRIBUTION_MODEL.label, pushPerm)})`;
  const mirrorRepos = allMirror
    ? sql<boolean>`cr.pulp_type = ${REPOSITORY_TYPE}`
    : sql<boolean>`(cr.pulp_type = ${REPOSITORY_TYPE}
        AND cr.pulp_id::text IN ${objectIdsWithPermission(userId, 'container.containerrepository', mirrorPerm)})`;
  return sql<boolean>`EXISTS (SELECT 1 FROM repository_content crc JOIN repository cr ON cr.pulp_id = crc.repository_id
    WHERE crc.content_id = ${sql.ref(`${alias}.pulp_id`)} AND (${pushRepos} OR ${mirrorRepos}))`;
};

export const containerQuerysetScopes: Record<string, QuerysetScope> = {
  get_dist_qs: getDistQs,
  get_push_repos_qs: getPushReposQs,
  get_content_qs: getContentQs,
};
