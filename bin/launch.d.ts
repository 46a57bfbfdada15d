/** Types of bin/launch.js for the TypeScript that imports it (the test suite's global setup). */
export declare const BUILD_STAMP: string;
export declare function buildState(): 'fresh' | 'stale' | 'missing';
export declare function launch(name: string): Promise<unknown>;
