export * from './config.js';
export * from './downloader.js';
export { HashPool, sharedHashPool } from './hash-pool.js';
