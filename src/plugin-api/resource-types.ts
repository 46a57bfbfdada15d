import type { Transaction } from 'kysely';

import { ValidationError } from '../core/errors.js';
import type { DB } from '../db/tables.js';
import type { Services } from './operations.js';
import type { TaskContext } from './tasks.js';

/** The master models of Pulp's typed ("master/detail") resources. */
export type ResourceKind =
  'content' | 'repository' | 'remote' | 'publication' | 'distribution' | 'contentguard' | 'exporter' | 'importer';

/** Table holding the master rows of each kind. */
export const KIND_TABLES = {
  content: 'content',
  repository: 'repository',
  remote: 'remote',
  publication: 'publication',
  distribution: 'distribution',
  contentguard: 'content_guard',
  exporter: 'exporter',
  importer: 'importer',
} as const satisfies Record<ResourceKind, keyof DB>;

/**
 * One detail type of a master model, as a plugin declares it (`PluginDefinition.resourceTypes`).
 * The generic lists derive typed hrefs and PRNs from it, and the generic tasks (`general_create`,
 * `ageneral_update`, `ageneral_delete`) find the type's hooks through it.
 */
export interface ResourceTypeDefinition {
  kind: ResourceKind;
  /** `<app_label>.<type>`, e.g. `file.file`. */
  pulpType: string;
  /** Collection path below the API prefix, without slashes at the ends: `repositories/file/file`. */
  endpoint: string;
  /** PRN model, e.g. `file.filerepository`. */
  prnModel: string;
  /** Model name used in "No <Model> matches the given query." */
  modelName?: string;
  /**
   * Creates the object for `general_create` and returns its id. The task records the object's href in
   * `created_resources` after the hook returns (a hook may record others before, e.g. a new version).
   * Default: insert `data` into the kind's table with this `pulp_type` (repositories also get version 0).
   * Hooks run their own transactions (`ctx.services.db`), so that they may create repository versions.
   */
  create?(ctx: TaskContext, data: Record<string, unknown>): Promise<string>;
  /** Applies an update for `ageneral_update`. Default: update the kind's table row with `data`. */
  update?(ctx: TaskContext, id: string, data: Record<string, unknown>): Promise<void>;
  /** Deletes for `ageneral_delete`. Default: delete the kind's table row. */
  delete?(ctx: TaskContext, id: string): Promise<void>;
  /** Serializes objects of this type (the result of create/update tasks and the typed endpoints). */
  serialize?(services: Services, ids: string[]): Promise<Record<string, unknown>[]>;
  /**
   * Repository types: the plugin's uniqueness rules, run inside every new version's transaction (see
   * `createRepositoryVersion`, which uses it unless the caller passes its own). `overwrite: false` asks it to
   * fail instead of replacing a unit that collides with an added one (modify's `overwrite`).
   */
  finalizeVersion?(
    trx: Transaction<DB>,
    repositoryId: string,
    number: number,
    options: { overwrite: boolean },
  ): Promise<void>;
  /** Repository types: the content types a version may hold. */
  contentTypes?: string[];
  /** Content types: how exports carry the type; repositories holding a type without it cannot be exported. */
  exportable?: ContentExportSpec;
  /** Repository types: runs after a task created a version (e.g. autopublish). */
  afterVersion?(
    ctx: TaskContext,
    repositoryId: string,
    version: { pulp_id: string; number: number; href: string },
  ): Promise<void>;
}

const registry = new Map<string, ResourceTypeDefinition>();
const key = (kind: ResourceKind, pulpType: string) => `${kind}:${pulpType}`;

/**
 * Registers resource types; called by `buildRegistry` for every installed plugin, so the same types exist
 * in API, worker and content processes. Registering the same kind and type again replaces it (tests build
 * several registries in one process).
 */
export function registerResourceTypes(types: readonly ResourceTypeDefinition[]): void {
  for (const t of types) registry.set(key(t.kind, t.pulpType), t);
}

/** The registered type, or undefined. */
export function findResourceType(kind: ResourceKind, pulpType: string): ResourceTypeDefinition | undefined {
  return registry.get(key(kind, pulpType));
}

/** The registered type; throws a ValidationError naming the unknown type. */
export function getResourceType(kind: ResourceKind, pulpType: string): ResourceTypeDefinition {
  const t = registry.get(key(kind, pulpType));
  if (!t) throw new ValidationError([`Unknown ${kind} type '${pulpType}'.`]);
  return t;
}

/** Every registered type of a kind (the `pulp_type` choices of generic lists). */
export function resourceTypesOf(kind: ResourceKind): ResourceTypeDefinition[] {
  return [...registry.values()].filter((t) => t.kind === kind).sort((a, b) => a.pulpType.localeCompare(b.pulpType));
}

/** Finds the type whose collection path is `endpoint` (used to resolve typed hrefs given by users). */
export function resourceTypeByEndpoint(endpoint: string): ResourceTypeDefinition | undefined {
  const trimmed = endpoint.replace(/^\/+|\/+$/g, '');
  return [...registry.values()].find((t) => t.endpoint === trimmed);
}

/**
 * The typed detail href of an object, e.g. `/pulp/api/v3/repositories/file/file/<uuid>/`. Unknown types
 * (a plugin that is no longer installed) fall back to `<prefix><kind-collection>/<app>/<type>/<id>/`, which
 * is what Pulp's router would produce for the usual naming.
 */
export function typedHref(pulpType: string, kind: ResourceKind, id: string, apiPrefix: string): string {
  const t = registry.get(key(kind, pulpType));
  if (t) return `${apiPrefix}${t.endpoint}/${id}/`;
  const [app, type] = pulpType.split('.');
  return `${apiPrefix}${KIND_COLLECTIONS[kind]}/${app ?? 'core'}/${type ?? pulpType}/${id}/`;
}

/** PRN of an object of a typed kind (`prn:file.filerepository:<uuid>`). */
export function typedPrn(pulpType: string, kind: ResourceKind, id: string): string {
  const t = registry.get(key(kind, pulpType));
  if (t) return `prn:${t.prnModel}:${id}`;
  // Pulp's usual model names: <Type><Kind> (RBACContentGuard, FileRepository); other names are registered.
  const [app = 'core', type = ''] = pulpType.split('.');
  return `prn:${app}.${type.replace(/_/g, '')}${kind}:${id}`;
}

/** Collection path of each master kind below the API prefix. */
export const KIND_COLLECTIONS: Record<ResourceKind, string> = {
  content: 'content',
  repository: 'repositories',
  remote: 'remotes',
  publication: 'publications',
  distribution: 'distributions',
  contentguard: 'contentguards',
  exporter: 'exporters',
  importer: 'importers',
};

/**
 * How Pulp export/import carries a content type (Pulp's `exportable_classes` of pulp_<plugin>.app.modelresource).
 * The detail table's row (minus `content_id`) travels as JSON; on import an existing unit is found by the
 * natural key, else the rows are inserted with `jsonb_populate_recordset`, so the columns need no code.
 */
export interface ContentExportSpec {
  /** The detail table: one row per unit, keyed by `content_id`. */
  table: string;
  /** Columns of the natural key; a UNIQUE constraint over exactly these columns must exist. */
  naturalKey: string[];
  /** Resource file name in each version folder, e.g. `pulp_file.app.modelresource.FileContentResource`. */
  resourceName: string;
}
