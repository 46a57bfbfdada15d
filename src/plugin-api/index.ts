/** Everything a plugin may import. */
export * from './define-plugin.js';
export * from './filters.js';
export * from './list.js';
export * from './operations.js';
export * from './tasks.js';
export * from './dispatch-reply.js';
