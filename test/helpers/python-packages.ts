import { createHash } from 'node:crypto';

import { zipSync } from 'fflate';

import { tarGz } from './python-tar.js';

/** A distribution built by a test: its filename and bytes, with the digests an index publishes. */
export interface BuiltDist {
  filename: string;
  name: string;
  version: string;
  bytes: Buffer;
  sha256: string;
  /** The wheel's METADATA (PEP 658), null for an sdist. */
  metadata: Buffer | null;
  requiresPython: string | null;
}

export interface DistOptions {
  name: string;
  version: string;
  summary?: string;
  requiresDist?: string[];
  requiresPython?: string;
  /** Python source of the package's `__init__.py`. */
  source?: string;
  /** Extra METADATA/PKG-INFO header lines, verbatim. */
  extraHeaders?: string[];
}

const escape = (name: string) => name.replace(/[-_.]+/g, '_').toLowerCase();
const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

export function coreMetadata(o: DistOptions): string {
  const lines = [
    'Metadata-Version: 2.1',
    `Name: ${o.name}`,
    `Version: ${o.version}`,
    `Summary: ${o.summary ?? `The ${o.name} test package`}`,
    'Author: pulp-ts tests',
    'License: MIT',
    'Classifier: Programming Language :: Python :: 3',
    ...(o.requiresPython ? [`Requires-Python: ${o.requiresPython}`] : []),
    ...(o.requiresDist ?? []).map((r) => `Requires-Dist: ${r}`),
    ...(o.extraHeaders ?? []),
    'Description-Content-Type: text/plain',
  ];
  return `${lines.join('\n')}\n\nA package built by the pulp-ts test suite.\n`;
}

function moduleSource(o: DistOptions): string {
  return o.source ?? `VERSION = ${JSON.stringify(o.version)}\nNAME = ${JSON.stringify(o.name)}\n`;
}

/**
 * A pure-Python wheel (py3-none-any) with METADATA, WHEEL and RECORD as the binary distribution format has them,
 * installable by pip. `files` replaces or adds members (to build broken wheels).
 */
export function buildWheel(o: DistOptions, files: Record<string, string | Buffer | null> = {}): BuiltDist {
  const dist = `${escape(o.name)}-${o.version}`;
  const pkg = escape(o.name);
  const metadata = Buffer.from(coreMetadata(o));
  const members: Record<string, Buffer> = {
    [`${pkg}/__init__.py`]: Buffer.from(moduleSource(o)),
    [`${dist}.dist-info/METADATA`]: metadata,
    [`${dist}.dist-info/WHEEL`]: Buffer.from(
      'Wheel-Version: 1.0\nGenerator: pulp-ts-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    ),
  };
  for (const [name, data] of Object.entries(files)) {
    if (data === null) delete members[name];
    else members[name] = Buffer.from(data);
  }
  const record = Object.entries(members)
    .map(([name, data]) => `${name},sha256=${Buffer.from(sha256(data), 'hex').toString('base64url')},${data.length}`)
    .concat([`${dist}.dist-info/RECORD,,`])
    .join('\n');
  if (!(`${dist}.dist-info/RECORD` in files)) members[`${dist}.dist-info/RECORD`] = Buffer.from(record + '\n');
  const bytes = Buffer.from(
    zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, new Uint8Array(v)]))),
  );
  const finalMetadata = members[`${dist}.dist-info/METADATA`] ?? null;
  return {
    filename: `${dist}-py3-none-any.whl`,
    name: o.name,
    version: o.version,
    bytes,
    sha256: sha256(bytes),
    metadata: finalMetadata,
    requiresPython: o.requiresPython ?? null,
  };
}

// A PEP 517 backend in the sdist itself (backend-path), needing only the standard library: pip builds it with
// build isolation and no index access beyond the sdist (no setuptools download).
const BACKEND = `import base64, hashlib, os, zipfile

def _meta():
    with open("PKG-INFO", encoding="utf-8") as f:
        return f.read()

def _field(meta, key):
    for line in meta.splitlines():
        if line.startswith(key + ": "):
            return line[len(key) + 2:]

def get_requires_for_build_wheel(config_settings=None):
    return []

def get_requires_for_build_sdist(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    meta = _meta()
    name = _field(meta, "Name").replace("-", "_").replace(".", "_").lower()
    version = _field(meta, "Version")
    dist = name + "-" + version
    files = {
        name + "/__init__.py": open(os.path.join("src", "__init__.py"), "rb").read(),
        dist + ".dist-info/METADATA": meta.encode("utf-8"),
        dist + ".dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: pulp-ts-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(path + ",sha256=" + digest + "," + str(len(data)))
    record.append(dist + ".dist-info/RECORD,,")
    files[dist + ".dist-info/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = dist + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
    return filename
`;

/** An sdist (`<name>-<version>.tar.gz`) with PKG-INFO and an in-tree build backend, installable by pip. */
export function buildSdist(o: DistOptions, extra: Array<{ name: string; data: string }> = []): BuiltDist {
  const dir = `${escape(o.name)}-${o.version}`;
  const pkgInfo = coreMetadata(o);
  const bytes = tarGz([
    { name: `${dir}/PKG-INFO`, data: pkgInfo },
    {
      name: `${dir}/pyproject.toml`,
      data: '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
    },
    { name: `${dir}/backend.py`, data: BACKEND },
    { name: `${dir}/src/__init__.py`, data: moduleSource(o) },
    ...extra.map((e) => ({ name: e.name, data: e.data })),
  ]);
  return {
    filename: `${dir}.tar.gz`,
    name: o.name,
    version: o.version,
    bytes,
    sha256: sha256(bytes),
    metadata: null,
    requiresPython: o.requiresPython ?? null,
  };
}
