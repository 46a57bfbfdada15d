import { type TSchema, Type } from '@sinclair/typebox';

import type { ComponentSchema } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';

const str = () => Type.String();
const nullable = (t: TSchema) => Type.Union([t, Type.Null()]);
const uri = () => Type.String({ format: 'uri' });
const labels = () => Type.Record(Type.String(), nullable(Type.String()));
const common = {
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
};

/** Item schemas of the generic lists: master serializers (type-specific fields absent). */
const items: Record<string, TSchema> = {
  MultipleArtifactContentResponse: Type.Object({
    ...common,
    pulp_labels: labels(),
    vuln_report: nullable(str()),
    artifacts: Type.Record(Type.String(), nullable(uri())),
  }),
  RepositoryResponse: Type.Object({
    ...common,
    versions_href: uri(),
    pulp_labels: labels(),
    latest_version_href: nullable(uri()),
    name: str(),
    description: nullable(str()),
    retain_repo_versions: nullable(Type.Integer()),
    retain_checkpoints: nullable(Type.Integer()),
    remote: nullable(uri()),
  }),
  RemoteResponse: Type.Object({
    ...common,
    name: str(),
    url: str(),
    ca_cert: nullable(str()),
    client_cert: nullable(str()),
    tls_validation: Type.Boolean(),
    proxy_url: nullable(str()),
    pulp_labels: labels(),
    download_concurrency: nullable(Type.Integer()),
    max_retries: nullable(Type.Integer()),
    policy: Type.Union([Type.Literal('immediate'), Type.Literal('on_demand'), Type.Literal('streamed')]),
    total_timeout: nullable(Type.Number()),
    connect_timeout: nullable(Type.Number()),
    sock_connect_timeout: nullable(Type.Number()),
    sock_read_timeout: nullable(Type.Number()),
    headers: nullable(Type.Array(Type.Record(Type.String(), Type.String()))),
    rate_limit: nullable(Type.Integer()),
    hidden_fields: Type.Array(Type.Object({ name: str(), is_set: Type.Boolean() })),
  }),
  PublicationResponse: Type.Object({ ...common, repository_version: nullable(uri()), repository: nullable(uri()) }),
  DistributionResponse: Type.Object({
    ...common,
    base_path: str(),
    base_url: str(),
    content_guard: nullable(uri()),
    content_guard_prn: nullable(str()),
    no_content_change_since: nullable(Type.String({ format: 'date-time' })),
    hidden: Type.Boolean(),
    pulp_labels: labels(),
    name: str(),
    repository: nullable(uri()),
    repository_version: nullable(uri()),
  }),
  ContentGuardResponse: Type.Object({ ...common, name: str(), description: nullable(str()) }),
};

export const genericListComponents: ComponentSchema[] = Object.entries(items).flatMap(([name, schema]) => [
  { name, schema },
  paginatedComponent(name),
]);
