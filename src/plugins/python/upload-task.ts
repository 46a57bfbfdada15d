import { sql } from 'kysely';

import { createRepositoryVersion, type TaskContext } from '../../plugin-api/index.js';
import { artifactToTemp } from './artifact-temp.js';
import { packageBySha256 } from './package-rows.js';
import { storePackageFile } from './package-store.js';
import { pythonRepository } from './repositories.js';

export const UPLOAD_TASK = 'pulp_python.app.tasks.upload.upload';

/**
 * `pulp_python.app.tasks.upload.upload(artifact_sha256, filename, attestations, repository_pk)`: the unit of
 * that sha256 (created from the artifact when new), touched, then a new version of the repository with it.
 */
export async function uploadTask(ctx: TaskContext): Promise<unknown> {
  const args = ctx.args as { artifact_sha256: string; filename: string; repository_pk?: string | null };
  const { services } = ctx;
  let contentId = (await packageBySha256(services.db as never, args.artifact_sha256))?.content_id;
  if (!contentId) {
    const temp = await artifactToTemp(services, args.artifact_sha256, ctx.signal);
    contentId = (await storePackageFile(services, temp, args.filename, { signal: ctx.signal })).contentId;
    await ctx.addCreatedResource(`${services.apiPrefix}content/python/packages/${contentId}/`);
  }
  await sql`UPDATE content SET timestamp_of_interest = clock_timestamp() WHERE pulp_id = ${contentId}`.execute(
    services.db,
  );
  if (args.repository_pk) {
    const version = await createRepositoryVersion(
      services.db,
      args.repository_pk,
      { add: [contentId] },
      { apiPrefix: services.apiPrefix },
    );
    if (version) {
      await ctx.addCreatedResource(version.href);
      await pythonRepository.resourceType.afterVersion?.(ctx, args.repository_pk, version);
    }
  }
  return null;
}
