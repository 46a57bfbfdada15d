import { sql } from 'kysely';

import {
  dateTimeFilters,
  exactFilter,
  type FilterSet,
  identityFilters,
  labelSelectFilter,
  nameFilters,
  numberFilters,
  parseBoolean,
} from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, OperationModule, Reply, RequestContext, Services } from '../../plugin-api/operations.js';
import {
  repositoryVersionComponents,
  repositoryVersionFilterSet,
} from '../../plugin-api/repository-version-operations.js';
import {
  type RepositoryVersionRow,
  selectRepositoryVersions,
  serializeRepositoryVersion,
} from '../../plugin-api/repository-version-summary.js';
import {
  contentOrphanedForFilter,
  contentVersionFilters,
  resolveVersionReference,
} from '../../plugin-api/version-reference.js';
import {
  contentId,
  distributionWithContent,
  publicationContentCondition,
  pulpTypeFilters,
  relationCondition,
  relationFilter,
  relationInFilter,
  repositoryWithContent,
} from './generic-list-filters.js';
import {
  serializeContentGuardPage,
  serializeContentPage,
  serializeDistributionPage,
  serializePublicationPage,
  serializeRemotePage,
  serializeRepositoryPage,
  type Row,
} from './generic-list-serializers.js';
import { genericListComponents } from './generic-list-schemas.js';

/*
 * The cross-type lists (spec 7.4). Each is one query for the page and one count (plus one batch query for
 * content artifacts), whatever the page size. Filter sets are built per request so that `pulp_type` choices
 * follow the registered types.
 */

type Page = Row[];

function contentFilters(services: Services): FilterSet {
  return {
    filters: [
      ...contentVersionFilters(services.db, 'c.pulp_id'),
      contentOrphanedForFilter('c', services.settings.ORPHAN_PROTECTION_TIME),
      labelSelectFilter('c.pulp_labels'),
      ...pulpTypeFilters('content', 'c.pulp_type'),
      ...identityFilters('c.pulp_id'),
    ],
    ordering: ['pulp_type', 'upstream_id', 'timestamp_of_interest', 'pulp_last_updated', 'pulp_id'],
  };
}

function repositoryFilters(): FilterSet {
  return {
    filters: [
      ...nameFilters('name', 'r.name'),
      ...numberFilters('retain_repo_versions', 'r.retain_repo_versions'),
      ...numberFilters('retain_checkpoints', 'r.retain_checkpoints'),
      labelSelectFilter('r.pulp_labels'),
      relationFilter('remote', 'r.remote_id', 'remote'),
      repositoryWithContent('with_content', false),
      repositoryWithContent('latest_with_content', true),
      ...pulpTypeFilters('repository', 'r.pulp_type'),
      ...identityFilters('r.pulp_id'),
    ],
    ordering: [
      'name',
      'description',
      'next_version',
      'retain_repo_versions',
      'retain_checkpoints',
      'user_hidden',
      'pulp_last_updated',
      'pulp_type',
      'pulp_labels',
      'pulp_id',
    ],
  };
}

function remoteFilters(): FilterSet {
  return {
    filters: [
      ...nameFilters('name', 'm.name'),
      ...dateTimeFilters('pulp_last_updated', 'm.pulp_last_updated'),
      labelSelectFilter('m.pulp_labels'),
      ...pulpTypeFilters('remote', 'm.pulp_type'),
      ...identityFilters('m.pulp_id'),
    ],
    ordering: [
      'name',
      'url',
      'policy',
      'tls_validation',
      'download_concurrency',
      'max_retries',
      'rate_limit',
      'pulp_last_updated',
      'pulp_type',
      'pulp_id',
    ],
  };
}

function publicationFilters(services: Services): FilterSet {
  const listOf = (v: string[]) =>
    v
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    filters: [
      {
        name: 'repository',
        type: 'string',
        apply: (v) => relationCondition('repository', v[v.length - 1] ?? '', 'pv.repository_id', 'repository'),
      },
      {
        name: 'repository_version',
        type: 'string',
        apply: async (v) => {
          const r = await resolveVersionReference(services.db, 'repository_version', v[v.length - 1] ?? '');
          return sql<boolean>`p.repository_version_id = ${r.versionId}`;
        },
      },
      {
        name: 'content',
        type: 'string',
        apply: (v) => publicationContentCondition([contentId('content', v[v.length - 1] ?? '')]),
      },
      {
        name: 'content__in',
        type: 'string-list',
        apply: (v) => publicationContentCondition(listOf(v).map((x) => contentId('content__in', x))),
      },
      ...dateTimeFilters('pulp_created', 'p.pulp_created'),
      exactFilter('checkpoint', 'p.checkpoint', 'boolean'),
      ...pulpTypeFilters('publication', 'p.pulp_type'),
      ...identityFilters('p.pulp_id'),
    ],
    ordering: ['complete', 'pass_through', 'checkpoint', 'pulp_last_updated', 'pulp_type', 'pulp_id'],
  };
}

/** The filters of `distributions/` (also what an upstream pulp's `q_select` is checked against). */
export function distributionFilters(): FilterSet {
  return {
    filters: [
      ...nameFilters('name', 'd.name'),
      ...nameFilters('base_path', 'd.base_path').filter((f) =>
        ['base_path', 'base_path__contains', 'base_path__icontains', 'base_path__in'].includes(f.name),
      ),
      relationFilter('repository', 'd.repository_id', 'repository'),
      relationInFilter('repository__in', 'd.repository_id', 'repository'),
      {
        name: 'checkpoint',
        type: 'boolean',
        apply: (v) =>
          sql<boolean>`coalesce((d.detail ->> 'checkpoint')::boolean, false) = ${parseBoolean('checkpoint', v[v.length - 1] ?? '')}`,
      },
      labelSelectFilter('d.pulp_labels'),
      distributionWithContent('with_content'),
      ...pulpTypeFilters('distribution', 'd.pulp_type'),
      ...identityFilters('d.pulp_id'),
    ],
    ordering: ['name', 'base_path', 'hidden', 'pulp_last_updated', 'pulp_type', 'pulp_labels', 'pulp_id'],
  };
}

function contentGuardFilters(): FilterSet {
  return {
    filters: [
      ...nameFilters('name', 'g.name'),
      ...pulpTypeFilters('contentguard', 'g.pulp_type'),
      ...identityFilters('g.pulp_id'),
    ],
    ordering: ['name', 'description', 'pulp_last_updated', 'pulp_type', 'pulp_id'],
  };
}

function listOperation(
  path: string,
  operationId: string,
  tag: string,
  viewset: string,
  schema: string,
  filters: () => FilterSet,
  handle: (ctx: RequestContext, filterSet: FilterSet) => Promise<Reply>,
): Operation {
  // Types are registered before the API modules are built, so the pulp_type choices are known here.
  const filterSet = filters();
  return {
    method: 'GET',
    url: path,
    pathKey: path,
    operationId,
    tag,
    summary: `List ${tag.toLowerCase()}`,
    filters: filterSet,
    responses: { 200: { schema } },
    access: { viewset, action: 'list' },
    handle: (ctx) => handle(ctx, filterSet),
  };
}

export function genericListRoutes(services: Services): OperationModule {
  const { db } = services;
  const prefix = services.apiPrefix;
  return {
    components: [...genericListComponents, ...repositoryVersionComponents],
    operations: [
      listOperation(
        'content/',
        'content_list',
        'Content',
        'content',
        'PaginatedMultipleArtifactContentResponseList',
        () => contentFilters(services),
        (ctx, filterSet) =>
          listResponse(
            ctx,
            db
              .selectFrom('content as c')
              .select(['c.pulp_id', 'c.pulp_type', 'c.pulp_created', 'c.pulp_last_updated', 'c.pulp_labels']),
            {
              filterSet,
              tableAlias: 'c',
              serialize: (rows: Page) => serializeContentPage(ctx.services, rows),
            },
          ),
      ),
      listOperation(
        'repositories/',
        'repositories_list',
        'Repositories',
        'repositories',
        'PaginatedRepositoryResponseList',
        repositoryFilters,
        (ctx, filterSet) =>
          listResponse(
            ctx,
            db
              .selectFrom('repository as r')
              .leftJoin('remote as rm', 'rm.pulp_id', 'r.remote_id')
              .selectAll('r')
              .select([
                'rm.pulp_type as remote_type',
                sql<
                  number | null
                >`(SELECT max(v.number) FROM repository_version v WHERE v.repository_id = r.pulp_id AND v.complete)`.as(
                  'latest_number',
                ),
              ])
              .where('r.user_hidden', '=', false),
            {
              filterSet,
              tableAlias: 'r',
              serialize: (rows: Page) => serializeRepositoryPage(prefix, rows),
            },
          ),
      ),
      listOperation(
        'repository_versions/',
        'repository_versions_list',
        'Repository Versions',
        'repository_versions',
        'PaginatedRepositoryVersionResponseList',
        repositoryVersionFilterSet,
        (ctx, filterSet) =>
          listResponse(ctx, selectRepositoryVersions(db), {
            filterSet: { ...filterSet, defaultOrdering: ['-pulp_created'] },
            tableAlias: 'v',
            serialize: (rows: RepositoryVersionRow[]) => rows.map((r) => serializeRepositoryVersion(prefix, r)),
          }),
      ),
      listOperation(
        'remotes/',
        'remotes_list',
        'Remotes',
        'remotes',
        'PaginatedRemoteResponseList',
        remoteFilters,
        (ctx, filterSet) =>
          listResponse(ctx, db.selectFrom('remote as m').selectAll('m'), {
            filterSet,
            tableAlias: 'm',
            serialize: (rows: Page) => serializeRemotePage(prefix, rows),
          }),
      ),
      listOperation(
        'publications/',
        'publications_list',
        'Publications',
        'publications',
        'PaginatedPublicationResponseList',
        () => publicationFilters(services),
        (ctx, filterSet) =>
          listResponse(
            ctx,
            db
              .selectFrom('publication as p')
              .innerJoin('repository_version as pv', 'pv.pulp_id', 'p.repository_version_id')
              .innerJoin('repository as pr', 'pr.pulp_id', 'pv.repository_id')
              .select([
                'p.pulp_id',
                'p.pulp_type',
                'p.pulp_created',
                'p.pulp_last_updated',
                'pv.repository_id',
                'pv.number',
                'pr.pulp_type as repository_type',
              ])
              .where('p.complete', '=', true),
            {
              filterSet,
              tableAlias: 'p',
              serialize: (rows: Page) => serializePublicationPage(prefix, rows),
            },
          ),
      ),
      listOperation(
        'distributions/',
        'distributions_list',
        'Distributions',
        'distributions',
        'PaginatedDistributionResponseList',
        distributionFilters,
        (ctx, filterSet) =>
          listResponse(
            ctx,
            db
              .selectFrom('distribution as d')
              .leftJoin('content_guard as g', 'g.pulp_id', 'd.content_guard_id')
              .leftJoin('repository as dr', 'dr.pulp_id', 'd.repository_id')
              .leftJoin('repository_version as dv', 'dv.pulp_id', 'd.repository_version_id')
              .leftJoin('repository as dvr', 'dvr.pulp_id', 'dv.repository_id')
              .selectAll('d')
              .select([
                'g.pulp_type as guard_type',
                'dr.pulp_type as repository_type',
                'dv.repository_id as version_repository_id',
                'dv.number as version_number',
                'dvr.pulp_type as version_repository_type',
              ]),
            {
              filterSet,
              tableAlias: 'd',
              serialize: (rows: Page) => serializeDistributionPage(ctx.services, rows),
            },
          ),
      ),
      listOperation(
        'contentguards/',
        'contentguards_list',
        'Contentguards',
        'contentguards',
        'PaginatedContentGuardResponseList',
        contentGuardFilters,
        (ctx, filterSet) =>
          listResponse(ctx, db.selectFrom('content_guard as g').selectAll('g'), {
            filterSet,
            tableAlias: 'g',
            serialize: (rows: Page) => serializeContentGuardPage(prefix, rows),
          }),
      ),
    ],
  };
}
