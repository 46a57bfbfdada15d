import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: string };
}

function readManifest(file: string): Manifest {
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/** Every installed package (nested node_modules included) with its declared Node range. */
function installedPackages(dir: string, out: Manifest[] = []): Manifest[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const folder = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      installedPackages(folder, out);
      continue;
    }
    const file = path.join(folder, 'package.json');
    if (existsSync(file)) out.push(readManifest(file));
    installedPackages(path.join(folder, 'node_modules'), out);
  }
  return out;
}

describe('Node 20', () => {
  it('every installed package admits the lowest Node version the project declares', () => {
    const declared = readManifest(path.join(ROOT, 'package.json')).engines?.node ?? '';
    const lowest = semver.minVersion(declared)?.version;
    expect(lowest, `engines.node of package.json: ${declared}`).toMatch(/^20\./);
    const refusing = installedPackages(path.join(ROOT, 'node_modules'))
      .filter((p) => p.engines?.node && !semver.satisfies(lowest as string, p.engines.node))
      .map((p) => `${p.name}@${p.version} (${p.engines?.node})`);
    // e.g. cookie@2 (Node >=22, pulled by light-my-request 6.8, which fastify's inject loads): npm ci warns
    // EBADENGINE, and below Node 20.19 require() of that ESM-only package throws.
    expect(refusing).toEqual([]);
  });
});
