import { sql } from 'kysely';

import {
  assignRole,
  createInitialVersion,
  newSharedSecret,
  type ApiUser,
  type Services,
} from '../../plugin-api/index.js';
import type { Db } from './content-store.js';
import { namespaceOf } from './names.js';
import { nameInvalid, nameUnknown } from './registry-errors.js';
import { findDistribution, type RegistryDistribution } from './registry-permissions.js';
import { DISTRIBUTION_MODEL, DISTRIBUTION_TYPE, NAMESPACE_MODEL, PUSH_REPOSITORY_TYPE } from './resource-names.js';

/** pulp_container attaches this content-redirect guard to every container distribution it creates. */
export const REDIRECT_GUARD_NAME = 'content redirect';
/** Advisory lock class serialising the creation of one push target (first pushes run blob uploads in parallel). */
const PUSH_TARGET_LOCK = 710_411;

export interface PushTarget {
  distribution: RegistryDistribution;
  repositoryId: string;
}

const readOnly = (name: string) => nameInvalid(name, 'Repository is read-only.');

async function repositoryType(db: Db, id: string): Promise<string | undefined> {
  const { rows } = await sql<{ pulp_type: string }>`SELECT pulp_type FROM repository WHERE pulp_id = ${id}`.execute(db);
  return rows[0]?.pulp_type;
}

/** The content-redirect guard container distributions get (created once, shared). */
export async function redirectGuardId(db: Db): Promise<string | null> {
  await sql`INSERT INTO content_guard (pulp_type, name, detail)
    VALUES ('core.content_redirect', ${REDIRECT_GUARD_NAME}, ${JSON.stringify({ shared_secret: newSharedSecret() })}::jsonb)
    ON CONFLICT (name) DO NOTHING`.execute(db);
  const { rows } = await sql<{ pulp_id: string }>`
    SELECT pulp_id FROM content_guard WHERE name = ${REDIRECT_GUARD_NAME} AND pulp_type = 'core.content_redirect'`.execute(
    db,
  );
  return rows[0]?.pulp_id ?? null;
}

/**
 * The distribution and push repository a push to `name` writes to (pulp_container's get_dr_push). With
 * `create`, a first push creates what is missing: the namespace (the name's first component), a push
 * repository and a public distribution named like the repository, the pusher getting the owner roles of what
 * was created. A distribution serving a repository that is not a push repository is read-only (NAME_INVALID).
 */
export async function pushTarget(
  services: Pick<Services, 'db'>,
  name: string,
  user: ApiUser | null,
  create: boolean,
): Promise<PushTarget> {
  const existing = await findDistribution(services.db, name);
  if (existing?.repository_id) {
    if ((await repositoryType(services.db, existing.repository_id)) !== PUSH_REPOSITORY_TYPE) throw readOnly(name);
    return { distribution: existing, repositoryId: existing.repository_id };
  }
  if (!create) throw nameUnknown(name);
  const guardId = await redirectGuardId(services.db);
  const created: Array<{ role: string; model: typeof DISTRIBUTION_MODEL; id: string }> = [];
  const target = await services.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${PUSH_TARGET_LOCK}::int, hashtext(${name}))`.execute(trx);
    const again = await findDistribution(trx, name);
    if (again?.repository_id) {
      if ((await repositoryType(trx, again.repository_id)) !== PUSH_REPOSITORY_TYPE) throw readOnly(name);
      return { distribution: again, repositoryId: again.repository_id };
    }
    const repositoryId = await ensurePushRepository(trx, name);
    if (again) {
      await sql`UPDATE distribution SET repository_id = ${repositoryId}, pulp_last_updated = clock_timestamp()
        WHERE pulp_id = ${again.pulp_id}`.execute(trx);
      return { distribution: { ...again, repository_id: repositoryId }, repositoryId };
    }
    const namespace = await ensureNamespace(trx, namespaceOf(name));
    if (namespace.created)
      created.push({ role: 'container.containernamespace_owner', model: NAMESPACE_MODEL, id: namespace.id });
    const taken = await sql<{ pulp_type: string }>`
      SELECT pulp_type FROM distribution WHERE base_path = ${name} OR name = ${name}`.execute(trx);
    if (taken.rows.length > 0) throw nameInvalid(name, 'The name is used by a distribution of another type.');
    const { rows } = await sql<{ pulp_id: string }>`
      INSERT INTO distribution (pulp_type, name, base_path, repository_id, content_guard_id, detail)
      VALUES (${DISTRIBUTION_TYPE}, ${name}, ${name}, ${repositoryId}, ${guardId},
        ${JSON.stringify({ private: false, description: null, namespace_id: namespace.id })}::jsonb)
      RETURNING pulp_id`.execute(trx);
    const distributionId = rows[0]!.pulp_id;
    created.push({ role: 'container.containerdistribution_owner', model: DISTRIBUTION_MODEL, id: distributionId });
    return {
      distribution: {
        pulp_id: distributionId,
        pulp_type: DISTRIBUTION_TYPE,
        base_path: name,
        repository_id: repositoryId,
        repository_version_id: null,
        remote_id: null,
        content_guard_id: guardId,
        private: false,
        namespace_id: namespace.id,
      },
      repositoryId,
    };
  });
  if (user)
    for (const c of created) await assignRole(services.db, { userId: user.id }, c.role, { model: c.model, id: c.id });
  return target;
}

async function ensurePushRepository(trx: Db, name: string): Promise<string> {
  const { rows } = await sql<{ pulp_id: string; pulp_type: string }>`
    SELECT pulp_id, pulp_type FROM repository WHERE name = ${name}`.execute(trx);
  const found = rows[0];
  if (found) {
    if (found.pulp_type !== PUSH_REPOSITORY_TYPE) throw readOnly(name);
    return found.pulp_id;
  }
  const inserted = await sql<{ pulp_id: string }>`
    INSERT INTO repository (pulp_type, name) VALUES (${PUSH_REPOSITORY_TYPE}, ${name}) RETURNING pulp_id`.execute(trx);
  const id = inserted.rows[0]!.pulp_id;
  await createInitialVersion(trx, id);
  return id;
}

/** The namespace `name`, created when missing. */
export async function ensureNamespace(db: Db, name: string): Promise<{ id: string; created: boolean }> {
  const { rows } = await sql<{ pulp_id: string }>`
    INSERT INTO container_namespace (name) VALUES (${name}) ON CONFLICT (name) DO NOTHING RETURNING pulp_id`.execute(
    db,
  );
  if (rows[0]) return { id: rows[0].pulp_id, created: true };
  const found = await sql<{ pulp_id: string }>`SELECT pulp_id FROM container_namespace WHERE name = ${name}`.execute(
    db,
  );
  return { id: found.rows[0]!.pulp_id, created: false };
}
