import { BROWSABLE_ASSETS, type StaticFolder } from '../api/browsable/static-assets.js';

/** Every folder the API process serves below STATIC_URL, and `collectstatic` copies. */
export function staticFolders(): StaticFolder[] {
  return [BROWSABLE_ASSETS];
}
