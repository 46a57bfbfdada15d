#!/usr/bin/env node
// Runs the compiled dist/cli/pulpcore-worker.js (or the sources through tsx when there is no fresh build): see launch.js.
import { launch } from './launch.js';
await launch('pulpcore-worker');
