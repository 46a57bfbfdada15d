import { BROWSABLE_ASSETS, type StaticFolder } from '../api/browsable/static-assets.js';
import { UI_ASSETS } from '../ui/routes.js';

/** Every folder the API process serves below STATIC_URL, and `collectstatic` copies. */
export function staticFolders(): StaticFolder[] {
  return [BROWSABLE_ASSETS, UI_ASSETS];
}
