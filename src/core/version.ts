/**
 * The Pulp version advertised for core and the plugins released with it upstream. At least 3.86 so
 * that pulp-glue reads task `result`, and below 3.105/3.106 whose features (git remotes, distribution
 * `repository_version`) are not implemented. `/status/` and the schema's `x-pulp-app-versions` both use it.
 */
export const PULP_VERSION = '3.90.0';

/** Our own release, reported in logs and the User-Agent of downloads. */
export const PULP_TS_VERSION = '0.1.0';
