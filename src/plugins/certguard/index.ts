import { definePlugin } from '../../plugin-api/index.js';

export default definePlugin({
  name: 'certguard',
  module: 'pulp_certguard.app',
});
