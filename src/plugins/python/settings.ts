import { extraSetting, type Settings } from '../../plugin-api/index.js';

export { pythonSettings } from './settings-schema.js';

export function pypiApiHostname(settings: Settings): string {
  return (extraSetting<string | undefined>(settings, 'PYPI_API_HOSTNAME') ?? '').replace(/\/+$/, '');
}

/** The client routes' prefix (pulp_python's urls.py: `pypi/<path>/`). */
export const PYPI_PREFIX = '/pypi/';
