import { NotFoundError, ValidationError } from '../../core/errors.js';
import { createRepositoryVersion, deleteRepositoryVersion } from '../../plugin-api/repository-versions.js';
import { findResourceType } from '../../plugin-api/resource-types.js';
import type { TaskContext } from '../../plugin-api/tasks.js';

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new ValidationError({ [field]: ['Expected a list of items.'] });
  return value as string[];
}

function requiredString(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw new ValidationError({ [key]: ['This field is required.'] });
  return v;
}

function requiredNumber(args: Record<string, unknown>, key: string): number {
  const v = args[key];
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ValidationError({ [key]: ['A valid integer is required.'] });
  return v;
}

/**
 * `pulpcore.app.tasks.repository.add_and_remove` (modify). Args: `repository_pk`, `add_content_units` and
 * `remove_content_units` (content ids; `["*"]` removes everything), `base_version` (number or null) or
 * `base_version_pk` (a version id of any repository),
 * `overwrite` (default true). Records the new version, if any, in created_resources.
 */
export async function addAndRemove(ctx: TaskContext): Promise<null> {
  const { args, services } = ctx;
  const repositoryId = requiredString(args, 'repository_pk');
  const add = stringList(args.add_content_units, 'add_content_units');
  const removeList = stringList(args.remove_content_units, 'remove_content_units');
  const removeAll = removeList.includes('*');
  const baseVersion = typeof args.base_version === 'number' ? args.base_version : undefined;
  const baseVersionId = typeof args.base_version_pk === 'string' ? args.base_version_pk : undefined;
  if (add.length === 0 && removeList.length === 0 && baseVersion === undefined && baseVersionId === undefined) {
    // Nothing asked of the latest version: no version can result (Pulp discards an unchanged one, and finalize
    // only enforces its rules on what a version changes), so only the repository's existence is checked.
    const repo = await services.db
      .selectFrom('repository')
      .select('pulp_id')
      .where('pulp_id', '=', repositoryId)
      .executeTakeFirst();
    if (!repo) throw new NotFoundError('No Repository matches the given query.');
    return null;
  }
  const version = await createRepositoryVersion(
    services.db,
    repositoryId,
    {
      add,
      remove: removeAll ? [] : removeList,
      removeAll,
      baseVersion,
      baseVersionId,
    },
    { apiPrefix: services.apiPrefix, overwrite: args.overwrite !== false },
  );
  if (version) {
    await ctx.addCreatedResource(version.href);
    const repo = await services.db
      .selectFrom('repository')
      .select('pulp_type')
      .where('pulp_id', '=', repositoryId)
      .executeTakeFirst();
    const type = repo ? findResourceType('repository', repo.pulp_type) : undefined;
    if (type?.afterVersion) await type.afterVersion(ctx, repositoryId, version);
  }
  return null;
}

/** `pulpcore.app.tasks.repository.delete_version`. Args: `repository_pk`, `number`. */
export async function deleteVersion(ctx: TaskContext): Promise<null> {
  await deleteRepositoryVersion(
    ctx.services.db,
    requiredString(ctx.args, 'repository_pk'),
    requiredNumber(ctx.args, 'number'),
  );
  return null;
}
