import { Type } from '@sinclair/typebox';

import { defineDistributionType } from '../../plugin-api/index.js';
import { PACKAGE_TYPE } from './package-rows.js';
import { pypiApiHostname } from './settings.js';

/**
 * `distributions/python/pypi/`: an index at `/pypi/<base_path>/` (allow_uploads, default true), serving a
 * repository, a version or a publication, or a remote for pull-through. `base_url` is pulp_python's:
 * PYPI_API_HOSTNAME + `/pypi/<base_path>/` (CONTENT_ORIGIN when PYPI_API_HOSTNAME is not set).
 */
export const pythonDistribution = defineDistributionType({
  app: 'python',
  type: 'pypi',
  model: 'PythonDistribution',
  pulpType: PACKAGE_TYPE,
  repositoryTypes: [PACKAGE_TYPE],
  publicationTypes: [PACKAGE_TYPE],
  remoteTypes: [PACKAGE_TYPE],
  repositoryVersion: true,
  fields: { allow_uploads: Type.Optional(Type.Boolean({ default: true })) },
  baseUrl: (services, row) => {
    const host = pypiApiHostname(services.settings) || (services.settings.CONTENT_ORIGIN ?? '').replace(/\/+$/, '');
    return `${host}/pypi/${row.base_path}/`;
  },
});
