import type { ResourceKind } from '../resource-types.js';

/** Pulp's names of one detail type, all derived from its app label, URL segment and model class. */
export interface TypeNames {
  kind: ResourceKind;
  /** `file.file`, `container.container-push` */
  pulpType: string;
  /** `FileRepository` */
  model: string;
  /** `repositories/file/file` (also the access-policy viewset) */
  endpoint: string;
  /** `repositories_file_file` */
  opIdPrefix: string;
  /** `{file_file_repository_href}` */
  placeholder: string;
  /** `Repositories: File` */
  tag: string;
  /** Request component `file.FileRepository`; the response is `<component>Response`. */
  component: string;
  /** `file.filerepository` */
  prnModel: string;
}

export interface TypeNaming {
  /** Django app label: `file`, `python`, `container`. */
  app: string;
  /** URL segment of the type: `file`, `pypi`, `container-push`. */
  type: string;
  /** Model class: `FileRepository`, `PythonDistribution`, `ContainerPushRepository`. */
  model: string;
  /** `pulp_type` when it is not `<app>.<type>`. */
  pulpType?: string;
  tag?: string;
}

const COLLECTIONS: Partial<Record<ResourceKind, string>> = {
  repository: 'repositories',
  remote: 'remotes',
  publication: 'publications',
  distribution: 'distributions',
  content: 'content',
  contentguard: 'contentguards',
};

const snake = (model: string) => model.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const title = (segment: string) =>
  segment
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('-');

/** Derives every name Pulp's router and drf-spectacular give a detail type. */
export function typeNames(kind: ResourceKind, n: TypeNaming): TypeNames {
  const collection = COLLECTIONS[kind] ?? kind;
  const endpoint = `${collection}/${n.app}/${n.type}`;
  return {
    kind,
    pulpType: n.pulpType ?? `${n.app}.${n.type}`,
    model: n.model,
    endpoint,
    opIdPrefix: endpoint.replace(/[/-]/g, '_'),
    placeholder: `{${n.app}_${snake(n.model)}_href}`,
    tag: n.tag ?? `${title(collection)}: ${title(n.type)}`,
    component: `${n.app}.${n.model}`,
    prnModel: `${n.app}.${n.model.toLowerCase()}`,
  };
}
