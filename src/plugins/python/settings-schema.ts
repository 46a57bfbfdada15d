import { Type } from '@sinclair/typebox';

/**
 * pulp_python's settings. PYPI_API_HOSTNAME is where the index lives (`base_url`, upload and JSON links);
 * Pulp defaults it to `https://<fqdn>`, we default it to '' meaning "the origin the request came to" (and
 * CONTENT_ORIGIN for `base_url`), which is right on one host without configuration. Kept apart from the
 * plugin so that a worker's main process can validate settings without loading the plugin.
 */
export const pythonSettings = {
  PYPI_API_HOSTNAME: Type.String({ default: '' }),
  PYTHON_GROUP_UPLOADS: Type.Boolean({ default: false }),
};
