import type { TObject, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';

import type { Settings } from '../core/settings.js';
import type { Database } from '../db/database.js';
import type { Storage } from '../storage/storage.js';
import type { FilterSet } from './filters.js';
import type { Dispatcher } from './tasks.js';

/** An authenticated API user. */
export interface ApiUser {
  id: number;
  username: string;
  isSuperuser: boolean;
  isStaff: boolean;
}

/** A file part of a multipart request, already spooled to a temporary file (removed after the request). */
export interface UploadedFile {
  field: string;
  filename: string;
  path: string;
  size: number;
}

/**
 * Services every handler may use. Built once per process by the API app; later layers (tasking, storage,
 * RBAC) attach their own services through `extensions`, looked up by name.
 */
export interface Services {
  db: Database;
  settings: Settings;
  logger: Logger;
  /** `<API_ROOT>api/v3/` */
  apiPrefix: string;
  /** Artifact and published-file storage. */
  storage: Storage;
  /** Dispatches tasks (see tasking/). */
  dispatcher: Dispatcher;
  extensions: Map<string, unknown>;
}

export interface RequestContext {
  params: Record<string, string>;
  /** Every query parameter, repeated ones as several values. */
  query: Record<string, string[]>;
  /** The validated body: form values already coerced to the schema's types. */
  body: Record<string, unknown>;
  files: UploadedFile[];
  headers: Record<string, string | string[] | undefined>;
  user: ApiUser | null;
  services: Services;
  correlationId: string;
  /** Absolute URL of the request, used for pagination links. */
  url: URL;
  /** Raw request for the rare handler that streams (chunk uploads). */
  raw: import('node:http').IncomingMessage;
  /** The operation being served. */
  operation: Operation;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseSpec {
  description?: string;
  /** Name of a registered component schema, or an inline schema. Absent for 204. */
  schema?: string | TSchema;
}

export interface BodySpec {
  /** Component name of the request schema, e.g. `file.FileRepository`. */
  name: string;
  schema: TObject;
  /** `json` lists JSON, urlencoded and multipart; `file` lists multipart and urlencoded only (file fields). */
  encodings?: 'json' | 'file';
  /** Extra keys are rejected with "Unexpected field" unless this is true (Pulp's small action bodies). */
  allowUnknown?: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One REST operation: the same definition registers the route, validates the request and produces the
 * OpenAPI entry, so the schema can never drift from what the server enforces.
 */
export interface Operation {
  method: HttpMethod;
  /** Route below the API prefix, Fastify syntax, trailing slash included: `tasks/:pulp_id/`. */
  url: string;
  /** OpenAPI path key: a literal path below the prefix (`tasks/`) or a placeholder form (`{task_href}cancel/`). */
  pathKey: string;
  operationId: string;
  tag: string;
  summary?: string;
  /** Defaults to true; status, livez and docs are the unauthenticated ones. */
  auth?: boolean;
  /** Served but left out of the OpenAPI document (the API root, the docs pages and their assets). */
  hidden?: boolean;
  /** Declared list filters (list operations); enforced and documented. */
  filters?: FilterSet;
  /** Extra declared query parameters for non-list operations. */
  query?: TObject;
  body?: BodySpec;
  responses: Record<number, ResponseSpec>;
  /** Access-policy viewset name and action, consumed by the RBAC layer. */
  access?: { viewset: string; action: string };
  handle(ctx: RequestContext): Promise<Reply>;
}

/** A named component schema for the OpenAPI document (`components.schemas[name]`). */
export interface ComponentSchema {
  name: string;
  schema: TSchema;
}

/** Anything that adds operations: core route modules and plugins. */
export interface OperationModule {
  operations: Operation[];
  components?: ComponentSchema[];
}
