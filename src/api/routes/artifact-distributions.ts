import { NotFoundError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { type FilterSet, identityFilters, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { registerResourceTypes } from '../../plugin-api/resource-types.js';
import { ARTIFACT_DISTRIBUTION_TYPE } from '../../core/artifact-distribution.js';
import { type Row, serializeDistributionPage } from './generic-list-serializers.js';

const ENDPOINT = 'distributions/core/artifacts';

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 'd.name'),
    ...nameFilters('base_path', 'd.base_path').filter((f) =>
      ['base_path', 'base_path__contains', 'base_path__icontains', 'base_path__in'].includes(f.name),
    ),
    ...identityFilters('d.pulp_id'),
  ],
  ordering: ['name', 'base_path', 'pulp_last_updated', 'pulp_id'],
};

function select(ctx: RequestContext) {
  return ctx.services.db
    .selectFrom('distribution as d')
    .leftJoin('content_guard as g', 'g.pulp_id', 'd.content_guard_id')
    .selectAll('d')
    .select('g.pulp_type as guard_type')
    .where('d.pulp_type', '=', ARTIFACT_DISTRIBUTION_TYPE);
}

/**
 * `distributions/core/artifacts/` (Pulp's ArtifactDistributionViewSet, read-only): the one distribution that
 * serves artifacts by uuid for signed links such as task profile artifacts. Admin-only, as in Pulp.
 */
export function artifactDistributionRoutes(): OperationModule {
  registerResourceTypes([
    {
      kind: 'distribution',
      pulpType: ARTIFACT_DISTRIBUTION_TYPE,
      endpoint: ENDPOINT,
      prnModel: 'core.artifactdistribution',
      modelName: 'ArtifactDistribution',
    },
  ]);
  const tag = 'Distributions: Artifacts';
  const access = (action: string) => ({ viewset: ENDPOINT, action });
  return {
    operations: [
      {
        method: 'GET',
        url: `${ENDPOINT}/`,
        pathKey: `${ENDPOINT}/`,
        operationId: 'distributions_core_artifacts_list',
        tag,
        summary: 'List artifact distributions',
        filters: filterSet,
        access: access('list'),
        responses: { 200: { schema: 'PaginatedDistributionResponseList' } },
        handle: (ctx) =>
          listResponse(ctx, select(ctx), {
            filterSet,
            tableAlias: 'd',
            serialize: (rows: Row[]) => serializeDistributionPage(ctx.services, rows),
          }),
      },
      {
        method: 'GET',
        url: `${ENDPOINT}/:pulp_id/`,
        pathKey: '{artifact_distribution_href}',
        operationId: 'distributions_core_artifacts_read',
        tag,
        summary: 'Inspect an artifact distribution',
        access: access('retrieve'),
        responses: { 200: { schema: 'DistributionResponse' } },
        async handle(ctx) {
          const id = ctx.params.pulp_id ?? '';
          const row = isUuid(id) ? await select(ctx).where('d.pulp_id', '=', id).executeTakeFirst() : undefined;
          if (!row) throw new NotFoundError('No ArtifactDistribution matches the given query.');
          return { status: 200, body: serializeDistributionPage(ctx.services, [row])[0] };
        },
      },
    ],
  };
}
