import { type TObject, Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import {
  baseFields,
  BaseFieldsSchema,
  contentVersionFilters,
  exactFilter,
  identityFilters,
  labelOperations,
  labelSelectFilter,
  listResponse,
  nameFilters,
  NotFoundError,
  routeId,
  type Filter,
  type FilterSet,
  type Operation,
  type RequestContext,
  type ResourceTypeDefinition,
  type Services,
} from '../../plugin-api/index.js';
import { contentCreateOperation, contentUploadOperation, createPythonContent } from './content-create.js';
import { CORE_FIELDS, PackageContentSchema, PackageUploadSchema } from './content-schemas.js';
import type { PythonPackageRow } from './package-row.js';
import { PACKAGE_TYPE } from './package-rows.js';
import { compareVersions, isValidVersion } from './pep440.js';
import { pythonDb } from './tables.js';

export const CONTENT_ENDPOINT = 'content/python/packages';
const TAG = 'Content: Packages';
const PLACEHOLDER = '{python_python_package_content_href}';
const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const PackageResponseSchema = Type.Object({
  ...BaseFieldsSchema,
  pulp_labels: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
  vuln_report: nullable(Type.String()),
  artifact: nullable(Type.String()),
  ...Object.fromEntries(CORE_FIELDS.map(([k, t]) => [k, t === 'json' ? Type.Unknown() : Type.String()])),
  filename: Type.String(),
  packagetype: Type.String(),
  python_version: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  metadata_sha256: nullable(Type.String()),
  provenance: nullable(Type.String()),
}) as TObject;

type ContentRow = PythonPackageRow & {
  pulp_last_updated: string;
  pulp_labels: Record<string, string | null>;
  artifact_id: string | null;
};

function packageUnits(services: Services) {
  return pythonDb(services.db)
    .selectFrom('content as c')
    .innerJoin('python_package_content as p', 'p.content_id', 'c.pulp_id')
    .where('c.pulp_type', '=', PACKAGE_TYPE);
}

function selectContent(services: Services) {
  return packageUnits(services)
    .selectAll('p')
    .select([
      'c.pulp_created',
      'c.pulp_last_updated',
      'c.pulp_labels',
      // The package's own artifact, not its PEP 658 `.metadata` companion.
      sql<string | null>`(SELECT ca.artifact_id FROM content_artifact ca
        WHERE ca.content_id = c.pulp_id AND ca.relative_path = p.filename LIMIT 1)`.as('artifact_id'),
    ]);
}

export function serializePackage(services: Services, r: ContentRow): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...baseFields(
      { pulp_id: r.content_id, pulp_created: r.pulp_created as string, pulp_last_updated: r.pulp_last_updated },
      `${services.apiPrefix}${CONTENT_ENDPOINT}/${r.content_id}/`,
      'python.pythonpackagecontent',
    ),
    pulp_labels: r.pulp_labels,
    vuln_report: null,
    artifact: r.artifact_id ? `${services.apiPrefix}artifacts/${r.artifact_id}/` : null,
  };
  for (const [k] of CORE_FIELDS) out[k] = (r as unknown as Record<string, unknown>)[k];
  Object.assign(out, {
    filename: r.filename,
    packagetype: r.packagetype,
    python_version: r.python_version,
    size: Number(r.size),
    sha256: r.sha256,
    metadata_sha256: r.metadata_sha256,
    provenance: null,
  });
  return out;
}

/** Pulp's `version` lookups compare as strings in SQL; PEP 440 order is what users mean, so compare by it. */
function versionFilters(services: Services): Filter[] {
  const ops: Array<[string, (c: number) => boolean]> = [
    ['gt', (c) => c > 0],
    ['lt', (c) => c < 0],
    ['gte', (c) => c >= 0],
    ['lte', (c) => c <= 0],
  ];
  return [
    exactFilter('version', 'p.version'),
    ...ops.map(([op, test]): Filter => ({
      name: `version__${op}`,
      type: 'string',
      apply: async (values) => {
        const bound = values[values.length - 1] ?? '';
        // The comparison runs over the distinct versions present, then filters by the matching ones.
        const { rows } = await sql<{
          version: string;
        }>`SELECT DISTINCT version FROM python_package_content`.execute(services.db);
        const hits = rows
          .map((r) => r.version)
          .filter((v) => isValidVersion(v) && isValidVersion(bound) && test(compareVersions(v, bound)));
        return sql<boolean>`p.version = ANY(${hits}::text[])`;
      },
    })),
  ];
}

function filterSet(services: Services): FilterSet {
  const pick = (name: string, column: string, lookups: string[]) =>
    nameFilters(name, column).filter((f) => lookups.includes(f.name.slice(name.length)));
  return {
    filters: [
      ...pick('name', 'p.name', ['', '__in', '__contains']),
      ...pick('author', 'p.author', ['', '__in', '__contains']),
      ...pick('packagetype', 'p.packagetype', ['', '__in']),
      ...pick('requires_python', 'p.requires_python', ['', '__in', '__contains']),
      ...pick('filename', 'p.filename', ['', '__in', '__contains']),
      ...pick('keywords', 'p.keywords', ['__in', '__contains']),
      ...pick('sha256', 'p.sha256', ['', '__in']),
      ...versionFilters(services),
      ...contentVersionFilters(services.db, 'c.pulp_id'),
      labelSelectFilter('c.pulp_labels'),
      ...identityFilters('c.pulp_id'),
    ],
    ordering: ['name', 'version', 'filename', 'packagetype', 'pulp_last_updated', 'sha256'],
    orderingColumns: {
      name: 'p.name',
      version: 'p.version',
      filename: 'p.filename',
      packagetype: 'p.packagetype',
      sha256: 'p.sha256',
      pulp_created: 'c.pulp_created',
      pulp_last_updated: 'c.pulp_last_updated',
    },
  };
}

export async function packageById(services: Services, id: string): Promise<Record<string, unknown>> {
  const row = (await selectContent(services).where('c.pulp_id', '=', id).executeTakeFirst()) as ContentRow | undefined;
  if (!row) throw new NotFoundError('No PythonPackageContent matches the given query.');
  return serializePackage(services, row);
}

export function contentOperations(): Operation[] {
  return [
    {
      method: 'GET',
      url: `${CONTENT_ENDPOINT}/`,
      pathKey: `${CONTENT_ENDPOINT}/`,
      operationId: 'content_python_packages_list',
      tag: TAG,
      filters: filterSet({ db: null } as unknown as Services),
      responses: { 200: { schema: 'Paginatedpython.PythonPackageContentResponseList' } },
      access: { viewset: CONTENT_ENDPOINT, action: 'list' },
      async handle(ctx) {
        const fs = filterSet(ctx.services);
        return listResponse(ctx, selectContent(ctx.services), {
          filterSet: fs,
          tableAlias: 'c',
          countQuery: packageUnits(ctx.services),
          serialize: (rows: ContentRow[]) => rows.map((r) => serializePackage(ctx.services, r)),
        });
      },
    },
    contentCreateOperation(),
    contentUploadOperation(packageById),
    {
      method: 'GET',
      url: `${CONTENT_ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      operationId: 'content_python_packages_read',
      tag: TAG,
      responses: { 200: { schema: 'python.PythonPackageContentResponse' } },
      access: { viewset: CONTENT_ENDPOINT, action: 'retrieve' },
      async handle(ctx: RequestContext) {
        return { status: 200, body: await packageById(ctx.services, routeId(ctx, 'PythonPackageContent')) };
      },
    },
    ...labelOperations({
      url: `${CONTENT_ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      opIdPrefix: 'content_python_packages',
      tag: TAG,
      table: 'content',
      pulpType: PACKAGE_TYPE,
      modelName: 'PythonPackageContent',
      viewset: CONTENT_ENDPOINT,
    }),
  ];
}

export const contentComponents = [
  { name: 'python.PythonPackageContent', schema: PackageContentSchema },
  { name: 'PythonPackageContentUpload', schema: PackageUploadSchema },
  { name: 'python.PythonPackageContentResponse', schema: PackageResponseSchema },
];

export const packageContentType: ResourceTypeDefinition = {
  kind: 'content',
  pulpType: PACKAGE_TYPE,
  endpoint: CONTENT_ENDPOINT,
  prnModel: 'python.pythonpackagecontent',
  modelName: 'PythonPackageContent',
  create: createPythonContent,
  async serialize(services, ids) {
    if (ids.length === 0) return [];
    const rows = (await selectContent(services).where('c.pulp_id', 'in', ids).execute()) as ContentRow[];
    return rows.map((r) => serializePackage(services, r));
  },
};
