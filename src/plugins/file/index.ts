import { definePlugin } from '../../plugin-api/index.js';
import * as m0001 from './migrations/0001_initial.js';

export default definePlugin({
  name: 'file',
  module: 'pulp_file.app',
  migrations: { '0001_initial': m0001 },
});
