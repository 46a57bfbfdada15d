import { defineDistributionType } from '../../plugin-api/index.js';

/** `distributions/file/file/`: serves the publication (or the repository's newest one), checkpoints included. */
export const fileDistribution = defineDistributionType({
  app: 'file',
  type: 'file',
  model: 'FileDistribution',
  repositoryTypes: ['file.file'],
  publicationTypes: ['file.file'],
  checkpoint: true,
});
