import type { RbacModel } from '../../plugin-api/index.js';

/** pulp_type of each of the plugin's typed resources (Pulp's `<app_label>.<TYPE>`). */
export const DISTRIBUTION_TYPE = 'container.container';
export const PULL_THROUGH_DISTRIBUTION_TYPE = 'container.pull-through';
export const REPOSITORY_TYPE = 'container.container';
export const PUSH_REPOSITORY_TYPE = 'container.container-push';
export const REMOTE_TYPE = 'container.container';
export const PULL_THROUGH_REMOTE_TYPE = 'container.pull-through';

const model = (label: string, className: string, viewset: string): RbacModel => ({ label, className, viewset });
export const DISTRIBUTION_MODEL = model(
  'container.containerdistribution',
  'ContainerDistribution',
  'distributions/container/container',
);
export const PULL_THROUGH_DISTRIBUTION_MODEL = model(
  'container.containerpullthroughdistribution',
  'ContainerPullThroughDistribution',
  'distributions/container/pull-through',
);
export const NAMESPACE_MODEL = model('container.containernamespace', 'ContainerNamespace', 'pulp_container/namespaces');
