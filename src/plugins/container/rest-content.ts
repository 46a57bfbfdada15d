import { type TProperties, Type } from '@sinclair/typebox';
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
  pluginDb,
  routeId,
  ValidationError,
  type ComponentSchema,
  type Database,
  type Filter,
  type FilterSet,
  type Operation,
  type ResourceTypeDefinition,
  type Services,
} from '../../plugin-api/index.js';
import { BLOB_TYPE, MANIFEST_TYPE, SIGNATURE_TYPE, TAG_TYPE } from './content-store.js';
import { MANIFEST_MEDIA_TYPES } from './media-types.js';

/** The plugin's content tables (migration container/0001) as the REST lists read them. */
interface ContainerTables {
  container_blob: { content_id: string; digest: string };
  container_tag: { content_id: string; name: string; tagged_manifest_id: string };
  container_manifest: {
    content_id: string;
    digest: string;
    schema_version: number;
    media_type: string;
    type: string | null;
    annotations: unknown;
    labels: unknown;
    architecture: string | null;
    os: string | null;
    compressed_image_size: string | null;
    is_bootable: boolean;
    is_flatpak: boolean;
    config_blob_id: string | null;
  };
  container_manifest_signature: {
    content_id: string;
    name: string;
    digest: string;
    type: string;
    key_id: string;
    timestamp: string;
    creator: string;
    signed_manifest_id: string;
  };
}
const cdb = (db: Database) => pluginDb<ContainerTables>(db);
type Row = Record<string, unknown> & {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  pulp_labels: Record<string, string | null>;
};

const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);
const href = (services: Services, endpoint: string, id: string | null) =>
  id ? `${services.apiPrefix}content/container/${endpoint}/${id}/` : null;

interface ContentKind {
  endpoint: 'tags' | 'manifests' | 'blobs' | 'signatures';
  pulpType: string;
  model: string;
  component: string;
  tag: string;
  fields: TProperties;
  filters: Filter[];
  ordering: string[];
  orderingColumns: Record<string, string>;
  select(services: Services): ReturnType<typeof selectBase>;
  /** Page serialization (may batch queries for the page). */
  serialize(services: Services, rows: Row[]): Promise<Record<string, unknown>[]>;
}

function selectBase(services: Services, pulpType: string) {
  return cdb(services.db)
    .selectFrom('content as c')
    .select(['c.pulp_id', 'c.pulp_created', 'c.pulp_last_updated', 'c.pulp_labels'])
    .where('c.pulp_type', '=', pulpType);
}

function digestFilters(column: string): Filter[] {
  return [exactFilter('digest', column), nameFilters('digest', column).find((f) => f.name === 'digest__in')!];
}

const mediaTypeFilter = (column: string): Filter => ({
  name: 'media_type',
  type: 'string-list',
  enum: [...MANIFEST_MEDIA_TYPES],
  apply: (v) => {
    const values = v.flatMap((x) => x.split(','));
    const bad = values.filter((x) => !(MANIFEST_MEDIA_TYPES as readonly string[]).includes(x));
    if (bad.length > 0)
      throw new ValidationError({
        media_type: [`Select a valid choice. ${bad[0]} is not one of the available choices.`],
      });
    return sql<boolean>`${sql.ref(column)} = ANY(${values}::text[])`;
  },
});

const common = (services: Services, r: Row, endpoint: string, prnModel: string) => ({
  ...baseFields(r, href(services, endpoint, r.pulp_id)!, prnModel),
  pulp_labels: r.pulp_labels,
  vuln_report: null,
});

const tagKind: ContentKind = {
  endpoint: 'tags',
  pulpType: TAG_TYPE,
  model: 'Tag',
  component: 'container.TagResponse',
  tag: 'Content: Tags',
  fields: { name: Type.String(), tagged_manifest: Type.String() },
  filters: [
    ...nameFilters('name', 't.name').filter((f) => f.name === 'name' || f.name === 'name__in'),
    mediaTypeFilter('tm.media_type'),
    {
      name: 'digest',
      type: 'string-list',
      apply: (v) => sql<boolean>`tm.digest = ANY(${v.flatMap((x) => x.split(','))}::text[])`,
    },
  ],
  ordering: ['name'],
  orderingColumns: { name: 't.name' },
  select: (services) =>
    selectBase(services, TAG_TYPE)
      .innerJoin('container_tag as t', 't.content_id', 'c.pulp_id')
      .innerJoin('container_manifest as tm', 'tm.content_id', 't.tagged_manifest_id')
      .select(['t.name', 't.tagged_manifest_id']),
  serialize: (services, rows) =>
    Promise.resolve(
      rows.map((r) => ({
        ...common(services, r, 'tags', 'container.tag'),
        name: r.name,
        tagged_manifest: href(services, 'manifests', r.tagged_manifest_id as string),
      })),
    ),
};

const manifestKind: ContentKind = {
  endpoint: 'manifests',
  pulpType: MANIFEST_TYPE,
  model: 'Manifest',
  component: 'container.ManifestResponse',
  tag: 'Content: Manifests',
  fields: {
    digest: Type.String(),
    schema_version: Type.Integer(),
    media_type: Type.String(),
    type: nullable(Type.String()),
    listed_manifests: Type.Array(Type.String()),
    config_blob: nullable(Type.String()),
    blobs: Type.Array(Type.String()),
    annotations: Type.Record(Type.String(), Type.Unknown()),
    labels: Type.Record(Type.String(), Type.Unknown()),
    is_bootable: Type.Boolean(),
    is_flatpak: Type.Boolean(),
    architecture: nullable(Type.String()),
    os: nullable(Type.String()),
    compressed_image_size: nullable(Type.Integer()),
  },
  filters: [
    ...digestFilters('m.digest'),
    exactFilter('is_bootable', 'm.is_bootable', 'boolean'),
    exactFilter('is_flatpak', 'm.is_flatpak', 'boolean'),
    mediaTypeFilter('m.media_type'),
  ],
  ordering: ['digest'],
  orderingColumns: { digest: 'm.digest' },
  select: (services) =>
    selectBase(services, MANIFEST_TYPE)
      .innerJoin('container_manifest as m', 'm.content_id', 'c.pulp_id')
      .select([
        'm.digest',
        'm.schema_version',
        'm.media_type',
        'm.type',
        'm.annotations',
        'm.labels',
        'm.architecture',
        'm.os',
        'm.compressed_image_size',
        'm.is_bootable',
        'm.is_flatpak',
        'm.config_blob_id',
      ]),
  async serialize(services, rows) {
    const ids = rows.map((r) => r.pulp_id);
    const listed = new Map<string, string[]>();
    const blobs = new Map<string, string[]>();
    if (ids.length > 0) {
      const l = await sql<{ list: string; id: string }>`SELECT list_id AS list, manifest_id AS id
        FROM container_manifest_list_manifest WHERE list_id = ANY(${ids}::uuid[]) ORDER BY manifest_id`.execute(
        services.db,
      );
      for (const r of l.rows) listed.set(r.list, [...(listed.get(r.list) ?? []), r.id]);
      const b = await sql<{ m: string; id: string }>`SELECT manifest_id AS m, blob_id AS id
        FROM container_blob_manifest WHERE manifest_id = ANY(${ids}::uuid[]) ORDER BY blob_id`.execute(services.db);
      for (const r of b.rows) blobs.set(r.m, [...(blobs.get(r.m) ?? []), r.id]);
    }
    return rows.map((r) => ({
      ...common(services, r, 'manifests', 'container.manifest'),
      digest: r.digest,
      schema_version: r.schema_version,
      media_type: r.media_type,
      type: r.type ?? null,
      listed_manifests: (listed.get(r.pulp_id) ?? []).map((id) => href(services, 'manifests', id)),
      config_blob: href(services, 'blobs', (r.config_blob_id as string | null) ?? null),
      blobs: (blobs.get(r.pulp_id) ?? []).map((id) => href(services, 'blobs', id)),
      annotations: r.annotations ?? {},
      labels: r.labels ?? {},
      is_bootable: r.is_bootable,
      is_flatpak: r.is_flatpak,
      architecture: r.architecture ?? null,
      os: r.os ?? null,
      compressed_image_size: r.compressed_image_size === null ? null : Number(r.compressed_image_size),
    }));
  },
};

const blobKind: ContentKind = {
  endpoint: 'blobs',
  pulpType: BLOB_TYPE,
  model: 'Blob',
  component: 'container.BlobResponse',
  tag: 'Content: Blobs',
  fields: { artifact: nullable(Type.String()), digest: Type.String() },
  filters: digestFilters('b.digest'),
  ordering: ['digest'],
  orderingColumns: { digest: 'b.digest' },
  select: (services) =>
    selectBase(services, BLOB_TYPE)
      .innerJoin('container_blob as b', 'b.content_id', 'c.pulp_id')
      .leftJoin('content_artifact as ca', 'ca.content_id', 'c.pulp_id')
      .select(['b.digest', 'ca.artifact_id']),
  serialize: (services, rows) =>
    Promise.resolve(
      rows.map((r) => ({
        ...common(services, r, 'blobs', 'container.blob'),
        artifact: r.artifact_id ? `${services.apiPrefix}artifacts/${r.artifact_id as string}/` : null,
        digest: r.digest,
      })),
    ),
};

const signatureKind: ContentKind = {
  endpoint: 'signatures',
  pulpType: SIGNATURE_TYPE,
  model: 'ManifestSignature',
  component: 'container.ManifestSignatureResponse',
  tag: 'Content: Signatures',
  fields: {
    name: Type.String(),
    digest: Type.String(),
    type: Type.String(),
    key_id: Type.String(),
    timestamp: Type.Integer(),
    creator: Type.String(),
    signed_manifest: Type.String(),
  },
  filters: [
    ...nameFilters('name', 's.name'),
    ...digestFilters('s.digest'),
    exactFilter('key_id', 's.key_id'),
    nameFilters('key_id', 's.key_id').find((f) => f.name === 'key_id__in')!,
    {
      name: 'manifest',
      type: 'string-list',
      apply: (v) => sql<boolean>`sm.digest = ANY(${v.flatMap((x) => x.split(','))}::text[])`,
    },
  ],
  ordering: ['name', 'digest'],
  orderingColumns: { name: 's.name', digest: 's.digest' },
  select: (services) =>
    selectBase(services, SIGNATURE_TYPE)
      .innerJoin('container_manifest_signature as s', 's.content_id', 'c.pulp_id')
      .innerJoin('container_manifest as sm', 'sm.content_id', 's.signed_manifest_id')
      .select(['s.name', 's.digest', 's.type', 's.key_id', 's.timestamp', 's.creator', 's.signed_manifest_id']),
  serialize: (services, rows) =>
    Promise.resolve(
      rows.map((r) => ({
        ...common(services, r, 'signatures', 'container.manifestsignature'),
        name: r.name,
        digest: r.digest,
        type: r.type,
        key_id: r.key_id,
        timestamp: Number(r.timestamp),
        creator: r.creator,
        signed_manifest: href(services, 'manifests', r.signed_manifest_id as string),
      })),
    ),
};

const KINDS = [tagKind, manifestKind, blobKind, signatureKind];

function filterSetOf(kind: ContentKind, db: Database): FilterSet {
  return {
    filters: [
      ...kind.filters,
      ...contentVersionFilters(db, 'c.pulp_id'),
      labelSelectFilter('c.pulp_labels'),
      ...identityFilters('c.pulp_id'),
    ],
    ordering: [...kind.ordering, 'pulp_last_updated'],
    orderingColumns: {
      ...kind.orderingColumns,
      pulp_created: 'c.pulp_created',
      pulp_last_updated: 'c.pulp_last_updated',
    },
  };
}

function kindOperations(kind: ContentKind, db: Database): Operation[] {
  const endpoint = `content/container/${kind.endpoint}`;
  const opId = `content_container_${kind.endpoint}`;
  const placeholder = `{container_${kind.endpoint === 'signatures' ? 'manifest_signature' : kind.model.toLowerCase()}_href}`;
  const filterSet = filterSetOf(kind, db);
  return [
    {
      method: 'GET',
      url: `${endpoint}/`,
      pathKey: `${endpoint}/`,
      operationId: `${opId}_list`,
      tag: kind.tag,
      filters: filterSet,
      responses: { 200: { schema: `Paginated${kind.component}List` } },
      access: { viewset: endpoint, action: 'list' },
      async handle(ctx) {
        return listResponse(ctx, kind.select(ctx.services), {
          filterSet,
          tableAlias: 'c',
          serialize: (rows: Row[]) => kind.serialize(ctx.services, rows),
        });
      },
    },
    {
      method: 'GET',
      url: `${endpoint}/:pulp_id/`,
      pathKey: placeholder,
      operationId: `${opId}_read`,
      tag: kind.tag,
      responses: { 200: { schema: kind.component } },
      access: { viewset: endpoint, action: 'retrieve' },
      async handle(ctx) {
        const row = (await kind
          .select(ctx.services)
          .where('c.pulp_id', '=', routeId(ctx, kind.model))
          .executeTakeFirst()) as Row | undefined;
        if (!row) throw new NotFoundError(`No ${kind.model} matches the given query.`);
        const [body] = await kind.serialize(ctx.services, [row]);
        return { status: 200, body };
      },
    },
    ...labelOperations({
      url: `${endpoint}/:pulp_id/`,
      pathKey: placeholder,
      opIdPrefix: opId,
      tag: kind.tag,
      table: 'content',
      pulpType: kind.pulpType,
      modelName: kind.model,
      viewset: endpoint,
    }),
  ];
}

/** Read-only `content/container/{tags,manifests,blobs,signatures}/` with pulp_container's filters. */
export function contentOperations(services: Services): Operation[] {
  return KINDS.flatMap((k) => kindOperations(k, services.db));
}

export const contentComponents: ComponentSchema[] = KINDS.map((k) => ({
  name: k.component,
  schema: Type.Object({
    ...BaseFieldsSchema,
    pulp_labels: Type.Record(Type.String(), nullable(Type.String())),
    vuln_report: nullable(Type.String()),
    ...k.fields,
  }),
}));

export const contentResourceTypes: ResourceTypeDefinition[] = KINDS.map((k) => ({
  kind: 'content',
  pulpType: k.pulpType,
  endpoint: `content/container/${k.endpoint}`,
  prnModel: `container.${k.model.toLowerCase()}`,
  modelName: k.model,
  async serialize(services, ids) {
    if (ids.length === 0) return [];
    const rows = (await k.select(services).where('c.pulp_id', 'in', ids).execute()) as Row[];
    return k.serialize(services, rows);
  },
}));
