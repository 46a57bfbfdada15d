import { type TObject, type TProperties, Type } from '@sinclair/typebox';

import { fileUrlField, LabelsSchema } from '../../plugin-api/index.js';

/** Core metadata fields in the order pulp_python's serializer lists them; `json` ones are lists or objects. */
export const CORE_FIELDS: Array<[string, 'text' | 'json']> = [
  ['author', 'text'],
  ['author_email', 'text'],
  ['description', 'text'],
  ['home_page', 'text'],
  ['keywords', 'text'],
  ['license', 'text'],
  ['metadata_version', 'text'],
  ['name', 'text'],
  ['platform', 'text'],
  ['summary', 'text'],
  ['version', 'text'],
  ['classifiers', 'json'],
  ['download_url', 'text'],
  ['supported_platform', 'text'],
  ['maintainer', 'text'],
  ['maintainer_email', 'text'],
  ['obsoletes_dist', 'json'],
  ['project_url', 'text'],
  ['project_urls', 'json'],
  ['provides_dist', 'json'],
  ['requires_external', 'json'],
  ['requires_dist', 'json'],
  ['requires_python', 'text'],
  ['description_content_type', 'text'],
  ['provides_extras', 'json'],
  ['dynamic', 'json'],
  ['license_expression', 'text'],
  ['license_file', 'json'],
];

// Read from the package itself: a request cannot set them (Pulp's read_only fields).
const READ_ONLY = new Set(['metadata_version', 'name', 'version']);

/** The writable metadata fields: accepted as Pulp accepts them, then replaced by what the package says. */
const writableMetadata: TProperties = Object.fromEntries(
  CORE_FIELDS.filter(([k]) => !READ_ONLY.has(k)).map(([k, t]) => [
    k,
    Type.Optional(t === 'json' ? Type.Unknown() : Type.String()),
  ]),
);

const common: TProperties = {
  pulp_labels: Type.Optional(Type.Union([LabelsSchema, Type.String()])),
  ...writableMetadata,
  sha256: Type.Optional(Type.String({ default: '' })),
  metadata_sha256: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  attestations: Type.Optional(Type.Unknown({ writeOnly: true })),
};

/** `python.PythonPackageContent`: the asynchronous create's body. */
export const PackageContentSchema = Type.Object({
  repository: Type.Optional(Type.String({ writeOnly: true })),
  artifact: Type.Optional(Type.String()),
  relative_path: Type.String({ minLength: 1, writeOnly: true }),
  file: Type.Optional(Type.String({ format: 'binary', writeOnly: true })),
  upload: Type.Optional(Type.String({ writeOnly: true })),
  file_url: fileUrlField,
  ...common,
}) as TObject;

/** `PythonPackageContentUpload`: the synchronous upload's body (no repository, no relative_path). */
export const PackageUploadSchema = Type.Object({
  artifact: Type.Optional(Type.String()),
  file: Type.Optional(Type.String({ format: 'binary', writeOnly: true })),
  upload: Type.Optional(Type.String({ writeOnly: true })),
  ...common,
}) as TObject;
