#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm install` / `npm ci`): compiles src/ into a clean dist/ with tsc, copies
// the files that are not TypeScript (the browsable API's CSS and script) beside the JavaScript that reads them,
// and writes dist/.build-stamp last: bin/launch.js runs dist/ only while no source is newer than that stamp.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
cpSync(path.join(root, 'src'), dist, {
  recursive: true,
  filter: (src) => !src.endsWith('.ts'),
});
writeFileSync(path.join(dist, '.build-stamp'), '');
