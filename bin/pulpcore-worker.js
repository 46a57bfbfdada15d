#!/usr/bin/env node
// Entry points run the TypeScript sources through tsx, so a checkout needs no build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/pulpcore-worker.ts');
