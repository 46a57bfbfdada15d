import type { IncomingMessage, ServerResponse } from 'node:http';

import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Migration } from 'kysely';

import type { OperationModule, Services } from './operations.js';
import type { PolicyCondition, QuerysetScope } from './policy-conditions.js';
import type { RbacModel } from './rbac-catalogue.js';
import type { AccessPolicyDefinition, LockedRoleDefinition } from './rbac-types.js';
import type { ReplicatorDefinition } from './replicator.js';
import type { ResourceTypeDefinition } from './resource-types.js';
import type { TaskFunction } from './tasks.js';
import type { PluginUi } from './ui-pages.js';

/** What a guard evaluator sees of a content request. */
export interface GuardRequest {
  /** The raw request: headers (X-CLIENT-CERT, custom guard headers) and URL (signed redirect parameters). */
  request: IncomingMessage;
  /** Path below CONTENT_PATH_PREFIX, as requested. */
  path: string;
}

/**
 * A content guard type's check, as the content app runs it. `compile` is called once per guard row and
 * cached until the guard (or anything served) changes; the returned check runs per request.
 */
export interface GuardTypeDefinition {
  /** `certguard.x509` */
  pulpType: string;
  compile(detail: Record<string, unknown>): GuardCheck;
}
export type GuardCheck = (req: GuardRequest) => boolean | Promise<boolean>;

/** RBAC data a plugin ships: the models permissions name, Pulp's default access policies and locked roles. */
export interface PluginRbac {
  models?: RbacModel[];
  /** Default access policy of each viewset (endpoint below the API prefix), as Pulp's DEFAULT_ACCESS_POLICY. */
  accessPolicies?: Record<string, AccessPolicyDefinition>;
  /** Pulp's LOCKED_ROLES: built-in roles that cannot be changed. */
  roles?: Record<string, LockedRoleDefinition>;
  /**
   * Named conditions the plugin's access policies use (its global_access_conditions), by the name statements
   * write (`has_namespace_model_perms`). A name another installed plugin already declares stops start-up.
   */
  conditions?: Record<string, PolicyCondition>;
  /** Queryset scoping functions its policies name in `queryset_scoping.function` (`get_dist_qs`). */
  querysetScopes?: Record<string, QuerysetScope>;
}

/**
 * A path the plugin answers itself in the content app (pulp_container's `/pulp/container/...`). Handlers are
 * tried in order before the distribution lookup; one that does not handle the request returns false.
 */
export interface ContentHandler {
  /** Absolute path prefix, e.g. `/pulp/container/`. */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, services: ContentServices): Promise<boolean>;
}

/** What the content app gives plugin handlers (storage streaming helpers live in plugin-api/serving). */
export type ContentServices = Pick<Services, 'db' | 'settings' | 'logger' | 'storage'>;

/** What a plugin changes in the content app. */
export interface PluginContent {
  /** Distribution types served from publications rather than repository versions (Pulp's SERVE_FROM_PUBLICATION). */
  publicationDistributionTypes?: string[];
  handlers?: ContentHandler[];
}

/**
 * A client-facing route on the API process outside `/pulp/api/v3/` (pulp_python's `/pypi/`, pulp_container's
 * `/v2/` and `/token/`). The request body is not parsed: the handler reads `request.raw` (or uses the body
 * helpers of plugin-api). Errors thrown are mapped like the REST API's unless the handler replies itself.
 */
export interface ClientRoute {
  method:
    'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | Array<'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'>;
  /** Absolute path in Fastify's syntax: `/v2/*`, `/pypi/:base_path/simple/`. */
  url: string;
  handler(request: FastifyRequest, reply: FastifyReply, services: Services): Promise<unknown>;
}

/** A plugin setting: its JSON schema (TypeBox, with `default`) under Pulp's name. */
export type PluginSettings = Record<string, TSchema>;

/** What a plugin declares. A plugin is a value: nothing runs at import time. */
export interface PluginDefinition {
  /** Django-style app label: `file`, `certguard`. */
  name: string;
  /** Python module Pulp reports for the app in `/status/` (`pulp_file.app`). */
  module: string;
  /** Version reported in `/status/` (default: core's version, as for the plugins shipped inside pulpcore). */
  version?: string;
  /** Python distribution Pulp reports (`pulp-python`); default `pulpcore`. */
  package?: string;
  /** Whether the plugin supports domains (default true). */
  domainCompatible?: boolean;
  /** Schema migrations named `NNNN_name`; they run after core's, as `<plugin>/NNNN_name`. */
  migrations?: Record<string, Migration>;
  /** Task functions keyed by Pulp's dotted name (the task record's `name`). */
  tasks?: Record<string, TaskFunction>;
  /** Typed resources (content, repository, remote, ... types) the plugin defines; see resource-types.ts. */
  resourceTypes?: ResourceTypeDefinition[];
  /** REST operations under the API prefix, built from the process's services. */
  operations?(services: Services): OperationModule;
  /** Routes outside the API prefix on the API process. */
  clientRoutes?(services: Services): ClientRoute[];
  rbac?: PluginRbac;
  guards?: GuardTypeDefinition[];
  content?: PluginContent;
  /** Settings the plugin reads (validated at start with core's; unknown names still stop start-up). */
  settings?: PluginSettings;
  /** Pages and content names for the web UI (see ui-pages.ts). */
  ui?: PluginUi;
  /** Distribution types replication from an upstream Pulp mirrors (see replicator.ts). */
  replicators?: ReplicatorDefinition[];
}

/** Identity function that type-checks a plugin definition. */
export function definePlugin(definition: PluginDefinition): PluginDefinition {
  return definition;
}
