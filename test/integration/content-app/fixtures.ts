import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { sql } from 'kysely';

import type { Settings } from '../../../src/core/settings.js';
import { bumpContentSerial } from '../../../src/db/content-serial.js';
import type { Database } from '../../../src/db/database.js';
import { artifactPath } from '../../../src/storage/artifact-path.js';
import type { Storage } from '../../../src/storage/storage.js';

/** Builds repositories, publications and distributions with plain rows, as the API and tasks would leave them. */
export class ContentFixtures {
  private n = 0;
  constructor(
    readonly db: Database,
    readonly storage: Storage,
    readonly settings: Settings,
  ) {}

  unique(prefix: string): string {
    return `${prefix}-${process.pid}-${++this.n}-${randomBytes(3).toString('hex')}`;
  }

  async artifact(content: Buffer): Promise<{ pulp_id: string; sha256: string; file: string }> {
    const digest = (a: string) => createHash(a).update(content).digest('hex');
    const sha256 = digest('sha256');
    const file = artifactPath(sha256);
    const tmp = path.join(this.storage.tempDir(), `fixture-${randomBytes(6).toString('hex')}`);
    await mkdir(path.dirname(tmp), { recursive: true });
    await writeFile(tmp, content);
    await this.storage.saveFromFile(tmp, file);
    const row = await sql<{ pulp_id: string }>`INSERT INTO artifact (file, size, sha224, sha256, sha384, sha512)
      VALUES (${file}, ${content.length}, ${digest('sha224')}, ${sha256}, ${digest('sha384')}, ${digest('sha512')})
      ON CONFLICT (sha256) DO UPDATE SET size = EXCLUDED.size RETURNING pulp_id`.execute(this.db);
    return { pulp_id: row.rows[0]!.pulp_id, sha256, file };
  }

  /** A content unit with one content artifact (artifact null = on-demand). */
  async content(
    relativePath: string,
    artifactId: string | null,
  ): Promise<{ contentId: string; contentArtifactId: string }> {
    const c = await this.db
      .insertInto('content')
      .values({ pulp_type: 'file.file' })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    const ca = await this.db
      .insertInto('content_artifact')
      .values({ content_id: c.pulp_id, artifact_id: artifactId, relative_path: relativePath })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    return { contentId: c.pulp_id, contentArtifactId: ca.pulp_id };
  }

  async repository(): Promise<string> {
    const r = await this.db
      .insertInto('repository')
      .values({ pulp_type: 'file.file', name: this.unique('repo') })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    return r.pulp_id;
  }

  /** A complete version `number` whose content is exactly `contentIds` (added at this version). */
  async version(repositoryId: string, number: number, contentIds: string[]): Promise<string> {
    const v = await this.db
      .insertInto('repository_version')
      .values({ repository_id: repositoryId, number, complete: true })
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    await sql`UPDATE repository_content SET version_removed = ${number}
      WHERE repository_id = ${repositoryId} AND version_removed IS NULL AND NOT (content_id = ANY(${contentIds}::uuid[]))`.execute(
      this.db,
    );
    for (const id of contentIds) {
      await sql`INSERT INTO repository_content (repository_id, content_id, version_added)
        SELECT ${repositoryId}, ${id}, ${number}
        WHERE NOT EXISTS (SELECT 1 FROM repository_content WHERE repository_id = ${repositoryId} AND content_id = ${id} AND version_removed IS NULL)`.execute(
        this.db,
      );
    }
    return v.pulp_id;
  }

  async publication(
    versionId: string,
    options: { passThrough?: boolean; metadata?: Record<string, string> } = {},
  ): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const p = await trx
        .insertInto('publication')
        .values({
          pulp_type: 'file.file',
          repository_version_id: versionId,
          complete: true,
          pass_through: options.passThrough ?? true,
        })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      for (const [relativePath, artifactId] of Object.entries(options.metadata ?? {})) {
        await trx
          .insertInto('published_metadata')
          .values({ publication_id: p.pulp_id, artifact_id: artifactId, relative_path: relativePath })
          .execute();
      }
      await bumpContentSerial(trx);
      return p.pulp_id;
    });
  }

  async publishArtifact(publicationId: string, contentArtifactId: string, relativePath: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('published_artifact')
        .values({ publication_id: publicationId, content_artifact_id: contentArtifactId, relative_path: relativePath })
        .execute();
      await bumpContentSerial(trx);
    });
  }

  async distribution(
    basePath: string,
    target: {
      publication_id?: string;
      repository_id?: string;
      repository_version_id?: string;
      hidden?: boolean;
      pulp_type?: string;
    },
  ): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const d = await trx
        .insertInto('distribution')
        .values({
          pulp_type: target.pulp_type ?? 'file.file',
          name: this.unique('dist'),
          base_path: basePath,
          ...target,
        } as never)
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await bumpContentSerial(trx);
      return d.pulp_id;
    });
  }

  async updateDistribution(id: string, values: Record<string, unknown>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('distribution')
        .set(values as never)
        .where('pulp_id', '=', id)
        .execute();
      await bumpContentSerial(trx);
    });
  }

  async remote(url: string, policy: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await this.db
      .insertInto('remote')
      .values({ pulp_type: 'file.file', name: this.unique('remote'), url, policy, ...extra } as never)
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    return r.pulp_id;
  }

  async remoteArtifact(
    contentArtifactId: string,
    remoteId: string,
    url: string,
    content: Buffer | null,
    overrides: Record<string, unknown> = {},
  ): Promise<string> {
    const sha256 = content ? createHash('sha256').update(content).digest('hex') : null;
    const r = await this.db
      .insertInto('remote_artifact')
      .values({
        content_artifact_id: contentArtifactId,
        remote_id: remoteId,
        url,
        size: content?.length ?? null,
        sha256,
        ...overrides,
      } as never)
      .returning('pulp_id')
      .executeTakeFirstOrThrow();
    return r.pulp_id;
  }
}
