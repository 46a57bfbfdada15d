export * from './batches.js';
export * from './declarative.js';
export * from './pipeline.js';
export * from './store-artifact.js';
