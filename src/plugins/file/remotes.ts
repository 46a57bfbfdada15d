import { defineRemoteType } from '../../plugin-api/index.js';

/** `remotes/file/file/`: every field of Pulp's base remote, nothing of pulp_file's own. */
export const fileRemote = defineRemoteType({ app: 'file', type: 'file', model: 'FileRemote' });
