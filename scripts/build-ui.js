#!/usr/bin/env node
// `npm run build:ui` (also part of `npm run build`, so of `npm install` / `npm ci`, and run before `npm start`):
// bundles the web UI (ui/src/main.tsx, Preact) with esbuild into ui/dist/app.js and app.css, minified with source
// maps. The bundle is never committed; it takes well under a second to make.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'ui', 'dist');
mkdirSync(outdir, { recursive: true });
const started = Date.now();
const result = await build({
  entryPoints: { app: path.join(root, 'ui', 'src', 'main.tsx') },
  outdir,
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: 'linked',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).map((f) => path.relative(root, path.resolve(root, f)));
console.log(`web UI built in ${Date.now() - started} ms: ${files.join(', ')}`);
