import { sql } from 'kysely';

import type { ConditionInput, ObjectRef, PolicyCondition, RbacModel } from '../../plugin-api/index.js';
import { namespaceOf } from './names.js';
import {
  DISTRIBUTION_MODEL,
  DISTRIBUTION_TYPE,
  NAMESPACE_MODEL,
  PULL_THROUGH_DISTRIBUTION_MODEL,
  PULL_THROUGH_DISTRIBUTION_TYPE,
} from './resource-names.js';

// pulp_container's access-policy conditions (app/global_access_conditions.py), by the names its default
// policies use. Django's has_perm(perm) is perms.hasModel (true for superusers), has_perm(perm, obj) is
// perms.hasObject; domains are not enabled, so the domain-level checks add nothing.

const DISTRIBUTIONS_VIEWSET = 'distributions/container/container';
const DISTRIBUTION_LABELS = new Set([DISTRIBUTION_MODEL.label, PULL_THROUGH_DISTRIBUTION_MODEL.label]);
const PUSH_REPOSITORY_LABEL = 'container.containerpushrepository';
const REPOSITORY_LABELS = new Set(['container.containerrepository', PUSH_REPOSITORY_LABEL]);

interface DistributionFacts {
  pulp_type: string;
  private: boolean;
  namespace_id: string | null;
}

const namespaceRef = (id: string): ObjectRef => ({ model: NAMESPACE_MODEL, id });

/** The distribution the view is about (once per evaluation), or null when the object is something else. */
function distributionOf(input: ConditionInput): Promise<DistributionFacts | null> {
  const object = input.object;
  if (!object || !DISTRIBUTION_LABELS.has(object.model.label)) return Promise.resolve(null);
  return input.once(`container.distribution:${object.id}`, async () => {
    const { rows } = await sql<{ pulp_type: string; private: boolean | null; namespace_id: string | null }>`
      SELECT pulp_type, (detail->>'private')::boolean AS private, detail->>'namespace_id' AS namespace_id
        FROM distribution WHERE pulp_id = ${object.id}`.execute(input.services.db);
    const r = rows[0];
    return r ? { pulp_type: r.pulp_type, private: r.private === true, namespace_id: r.namespace_id } : null;
  });
}

/** Distributions serving a repository (the object, or the parent repository of a versions endpoint). */
function distributionsOfRepository(
  input: ConditionInput,
): Promise<Array<{ ref: ObjectRef; namespace_id: string | null }>> {
  const object = input.object;
  if (!object || !REPOSITORY_LABELS.has(object.model.label)) return Promise.resolve([]);
  return input.once(`container.repository-distributions:${object.id}`, async () => {
    const { rows } = await sql<{ pulp_id: string; pulp_type: string; namespace_id: string | null }>`
      SELECT pulp_id, pulp_type, detail->>'namespace_id' AS namespace_id FROM distribution
       WHERE repository_id = ${object.id} AND pulp_type IN (${DISTRIBUTION_TYPE}, ${PULL_THROUGH_DISTRIBUTION_TYPE})`.execute(
      input.services.db,
    );
    return rows.map((r) => {
      const model: RbacModel =
        r.pulp_type === PULL_THROUGH_DISTRIBUTION_TYPE ? PULL_THROUGH_DISTRIBUTION_MODEL : DISTRIBUTION_MODEL;
      return { ref: { model, id: r.pulp_id }, namespace_id: r.namespace_id };
    });
  });
}

function namespaceByName(input: ConditionInput, name: string): Promise<string | null> {
  return input.once(`container.namespace-by-name:${name}`, async () => {
    const { rows } = await sql<{ pulp_id: string }>`
      SELECT pulp_id FROM container_namespace WHERE name = ${name}`.execute(input.services.db);
    return rows[0]?.pulp_id ?? null;
  });
}

/** `container.pull_containerdistribution` -> `container.namespace_pull_containerdistribution`. */
const namespacePermission = (permission: string) => `container.namespace_${permission.split('.').slice(1).join('.')}`;

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * The permission model-wide, or on the namespace of the object: a distribution's namespace, or for a push
 * repository the namespace of any distribution serving it.
 */
const hasNamespaceObjPerms: PolicyCondition = async (input, permission) => {
  if (input.perms.hasModel(permission)) return true;
  const dist = await distributionOf(input);
  if (dist) return dist.namespace_id !== null && input.perms.hasObject(permission, namespaceRef(dist.namespace_id));
  if (input.object?.model.label !== PUSH_REPOSITORY_LABEL) return false;
  const served = await distributionsOfRepository(input);
  return served.some((d) => d.namespace_id !== null && input.perms.hasObject(permission, namespaceRef(d.namespace_id)));
};

/** Creating in a namespace named by `base_path`: the permission model-wide, or its namespace_ form there. */
const hasNamespacePerms: PolicyCondition = async (input, permission) => {
  const basePath = text(input.data.base_path);
  if (!basePath) return false;
  const namespaceId = await namespaceByName(input, namespaceOf(basePath));
  if (!namespaceId) return false;
  return (
    input.perms.hasModel(permission) ||
    input.perms.hasObject(namespacePermission(permission), namespaceRef(namespaceId))
  );
};

/** The namespace_ form of the permission on the object's namespace, else the permission on the object. */
const hasNamespaceOrObjPerms: PolicyCondition = async (input, permission) => {
  if (await hasNamespaceObjPerms(input, namespacePermission(permission))) return true;
  return input.perms.hasModelOrObject(permission, input.object);
};

/** The permission model-wide or on a distribution serving the repository. */
const hasDistributionPerms: PolicyCondition = async (input, permission) => {
  if (input.perms.hasModel(permission)) return true;
  return (await distributionsOfRepository(input)).some((d) => input.perms.hasObject(permission, d.ref));
};

/** The namespace the request names is the user's username (distributions: from base_path; else `name`). */
const namespaceIsUsername: PolicyCondition = (input) => {
  if (!input.user) return false;
  const name =
    input.viewset === DISTRIBUTIONS_VIEWSET
      ? ((s) => (s ? namespaceOf(s) : null))(text(input.data.base_path))
      : text(input.data.name);
  return name !== null && name === input.user.username;
};

const isPrivate: PolicyCondition = async (input) => (await distributionOf(input))?.private === true;

export const containerPolicyConditions: Record<string, PolicyCondition> = {
  has_namespace_obj_perms: hasNamespaceObjPerms,
  has_namespace_perms: hasNamespacePerms,
  has_namespace_or_obj_perms: hasNamespaceOrObjPerms,
  has_distribution_perms: hasDistributionPerms,
  namespace_is_username: namespaceIsUsername,
  /** The user may create namespaces. */
  has_namespace_model_perms: (input) => input.perms.hasModel('container.add_containernamespace'),
  /** The view is about an existing object (a push to a distribution that exists). */
  obj_exists: (input) => input.object !== null,
  /** The distribution is marked private. */
  is_private: isPrivate,
  /** The distribution exists and is not private. */
  is_public: async (input) => (await distributionOf(input))?.private === false,
};
