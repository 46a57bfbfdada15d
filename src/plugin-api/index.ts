/** Everything a plugin may import. */
export * from './define-plugin.js';
export * from './filters.js';
export * from './list.js';
export * from './operations.js';
export * from './tasks.js';
export * from './dispatch-reply.js';
export * from './resource-types.js';
export * from './resource-fields.js';
export * from './repository-versions.js';
export * from './repository-version-summary.js';
export * from './artifacts.js';
export * from './repository-version-operations.js';
export * from './version-reference.js';
export * from './uploads.js';
