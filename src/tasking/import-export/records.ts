import { sql } from 'kysely';

import { formatTimestamp, prn } from '../../core/ids.js';
import type { Database } from '../../db/database.js';
import type { Services } from '../../plugin-api/operations.js';
import { versionHref } from '../../plugin-api/repository-versions.js';
import { type ResourceTypeDefinition, typedHref } from '../../plugin-api/resource-types.js';

/*
 * Exporters, exports, importers and imports as Pulp serializes them (pulpcore/app/serializers/exporter.py,
 * importer.py), shared by the API routes and the tasks that return them (general update of an exporter).
 */

export const PULP_EXPORTER = 'core.pulp';
export const FILESYSTEM_EXPORTER = 'core.filesystem';
export const PULP_IMPORTER = 'core.pulp';

export const exporterHref = (prefix: string, type: string, id: string) =>
  `${prefix}exporters/core/${type === FILESYSTEM_EXPORTER ? 'filesystem' : 'pulp'}/${id}/`;
export const exportHref = (prefix: string, type: string, exporterId: string, id: string) =>
  `${exporterHref(prefix, type, exporterId)}exports/${id}/`;
export const importerHref = (prefix: string, id: string) => `${prefix}importers/core/pulp/${id}/`;
export const importHref = (prefix: string, importerId: string, id: string) =>
  `${importerHref(prefix, importerId)}imports/${id}/`;
export const exporterPrn = (type: string, id: string) =>
  prn(type === FILESYSTEM_EXPORTER ? 'core.filesystemexporter' : 'core.pulpexporter', id);
export const importerPrn = (id: string) => prn('core.pulpimporter', id);

interface Common {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
}

function common(href: string, prnValue: string, r: Common) {
  return {
    pulp_href: href,
    prn: prnValue,
    pulp_created: formatTimestamp(r.pulp_created),
    pulp_last_updated: formatTimestamp(r.pulp_last_updated),
  };
}

/** Exporters of one type by id, serialized (missing ids are left out). */
export async function serializeExporters(services: Services, ids: string[]): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const { db, apiPrefix } = services;
  const rows = await db
    .selectFrom('exporter as e')
    .leftJoin('export as x', 'x.pulp_id', 'e.last_export_id')
    .selectAll('e')
    .where('e.pulp_id', 'in', ids)
    .execute();
  const repos = await db
    .selectFrom('exporter_repository as er')
    .innerJoin('repository as r', 'r.pulp_id', 'er.repository_id')
    .select(['er.exporter_id', 'r.pulp_id', 'r.pulp_type'])
    .where('er.exporter_id', 'in', ids)
    .orderBy('r.name')
    .execute();
  const byId = new Map(rows.map((r) => [r.pulp_id, r]));
  return ids.flatMap((id): Record<string, unknown>[] => {
    const r = byId.get(id);
    if (!r) return [];
    const base = common(exporterHref(apiPrefix, r.pulp_type, r.pulp_id), exporterPrn(r.pulp_type, r.pulp_id), r);
    if (r.pulp_type === FILESYSTEM_EXPORTER) return [{ ...base, name: r.name, path: r.path, method: r.method }];
    return [
      {
        ...base,
        name: r.name,
        path: r.path,
        repositories: repos
          .filter((x) => x.exporter_id === r.pulp_id)
          .map((x) => typedHref(x.pulp_type, 'repository', x.pulp_id, apiPrefix)),
        last_export: r.last_export_id ? exportHref(apiPrefix, r.pulp_type, r.pulp_id, r.last_export_id) : null,
      },
    ];
  });
}

/** The hrefs of what each export wrote. */
async function exportedResources(db: Database, prefix: string, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await sql<{
    export_id: string;
    version_repo: string | null;
    version_repo_type: string | null;
    number: number | null;
    publication_id: string | null;
    publication_type: string | null;
  }>`SELECT er.export_id, v.repository_id AS version_repo, r.pulp_type AS version_repo_type, v.number,
        p.pulp_id AS publication_id, p.pulp_type AS publication_type
      FROM exported_resource er
      LEFT JOIN repository_version v ON v.pulp_id = er.repository_version_id
      LEFT JOIN repository r ON r.pulp_id = v.repository_id
      LEFT JOIN publication p ON p.pulp_id = er.publication_id
      WHERE er.export_id = ANY(${ids}::uuid[]) ORDER BY r.name, v.number`.execute(db);
  for (const r of rows.rows) {
    const href =
      r.publication_id && r.publication_type
        ? typedHref(r.publication_type, 'publication', r.publication_id, prefix)
        : versionHref(prefix, r.version_repo_type ?? '', r.version_repo ?? '', r.number ?? 0);
    out.set(r.export_id, [...(out.get(r.export_id) ?? []), href]);
  }
  return out;
}

export interface ExportRow extends Common {
  exporter_id: string;
  exporter_type: string;
  task_id: string | null;
  params: Record<string, unknown>;
  output_file_info: Record<string, string> | null;
  toc_info: Record<string, unknown> | null;
}

export async function serializeExports(services: Services, rows: ExportRow[]): Promise<Record<string, unknown>[]> {
  const { db, apiPrefix } = services;
  const resources = await exportedResources(
    db,
    apiPrefix,
    rows.map((r) => r.pulp_id),
  );
  return rows.map((r) => {
    const fs = r.exporter_type === FILESYSTEM_EXPORTER;
    const out: Record<string, unknown> = {
      ...common(
        exportHref(apiPrefix, r.exporter_type, r.exporter_id, r.pulp_id),
        prn(fs ? 'core.filesystemexport' : 'core.pulpexport', r.pulp_id),
        r,
      ),
      task: r.task_id ? `${apiPrefix}tasks/${r.task_id}/` : null,
      exported_resources: resources.get(r.pulp_id) ?? [],
      params: r.params,
    };
    if (!fs) {
      out.output_file_info = r.output_file_info;
      out.toc_info = r.toc_info;
    }
    return out;
  });
}

export function exportRows(db: Database) {
  return db
    .selectFrom('export as x')
    .innerJoin('exporter as e', 'e.pulp_id', 'x.exporter_id')
    .select([
      'x.pulp_id',
      'x.pulp_created',
      'x.pulp_last_updated',
      'x.exporter_id',
      'e.pulp_type as exporter_type',
      'x.task_id',
      'x.params',
      'x.output_file_info',
      'x.toc_info',
    ]);
}

export interface ImporterRow extends Common {
  name: string;
  repo_mapping: Record<string, string>;
}

export function serializeImporter(prefix: string, r: ImporterRow): Record<string, unknown> {
  return {
    ...common(importerHref(prefix, r.pulp_id), importerPrn(r.pulp_id), r),
    name: r.name,
    repo_mapping: r.repo_mapping,
  };
}

export interface ImportRow extends Common {
  importer_id: string;
  task_id: string | null;
  params: Record<string, unknown>;
}

export function serializeImport(prefix: string, r: ImportRow): Record<string, unknown> {
  return {
    ...common(importHref(prefix, r.importer_id, r.pulp_id), prn('core.pulpimport', r.pulp_id), r),
    task: r.task_id ? `${prefix}tasks/${r.task_id}/` : null,
    params: r.params,
  };
}

/**
 * The exporter types for Pulp's generic update and delete tasks (exporter update and delete are asynchronous
 * in Pulp: AsyncUpdateMixin, AsyncRemoveMixin). `data.repositories` holds repository ids.
 */
export const exporterResourceTypes: ResourceTypeDefinition[] = [PULP_EXPORTER, FILESYSTEM_EXPORTER].map((pulpType) => ({
  kind: 'exporter' as const,
  pulpType,
  endpoint: `exporters/core/${pulpType.split('.')[1]}`,
  prnModel: pulpType === FILESYSTEM_EXPORTER ? 'core.filesystemexporter' : 'core.pulpexporter',
  modelName: pulpType === FILESYSTEM_EXPORTER ? 'FilesystemExporter' : 'PulpExporter',
  async update(ctx, id, data) {
    const { repositories, ...columns } = data;
    await ctx.services.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('exporter')
        .set({ ...(columns as Record<string, string>), pulp_last_updated: sql<string>`clock_timestamp()` })
        .where('pulp_id', '=', id)
        .where('pulp_type', '=', pulpType)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new Error('No Exporter matches the given query.');
      if (Array.isArray(repositories)) {
        await trx.deleteFrom('exporter_repository').where('exporter_id', '=', id).execute();
        if (repositories.length > 0)
          await trx
            .insertInto('exporter_repository')
            .values(repositories.map((rid) => ({ exporter_id: id, repository_id: String(rid) })))
            .execute();
      }
    });
  },
  serialize: serializeExporters,
}));
