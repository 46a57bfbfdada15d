import { Type } from '@sinclair/typebox';

import { extraSetting, type Settings } from '../../plugin-api/index.js';

/**
 * pulp_python's settings. PYPI_API_HOSTNAME is where the index lives (`base_url`, upload and JSON links);
 * Pulp defaults it to `https://<fqdn>`, we default it to '' meaning "the origin the request came to" (and
 * CONTENT_ORIGIN for `base_url`), which is right on one host without configuration.
 */
export const pythonSettings = {
  PYPI_API_HOSTNAME: Type.String({ default: '' }),
  PYTHON_GROUP_UPLOADS: Type.Boolean({ default: false }),
};

export function pypiApiHostname(settings: Settings): string {
  return (extraSetting<string | undefined>(settings, 'PYPI_API_HOSTNAME') ?? '').replace(/\/+$/, '');
}

/** The client routes' prefix (pulp_python's urls.py: `pypi/<path>/`). */
export const PYPI_PREFIX = '/pypi/';
