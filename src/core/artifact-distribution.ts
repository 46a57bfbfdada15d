/** Pulp's ArtifactDistribution type: one distribution, made by migration 0100, serving artifacts by uuid. */
export const ARTIFACT_DISTRIBUTION_TYPE = 'core.artifact';
