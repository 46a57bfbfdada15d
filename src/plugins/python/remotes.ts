import { readFile } from 'node:fs/promises';

import { Type } from '@sinclair/typebox';

import {
  checkUniqueName,
  defineRemoteType,
  ValidationError,
  type Operation,
  type TypedRemote,
} from '../../plugin-api/index.js';
import { BandersnatchConfigError, remoteFieldsFromBandersnatch } from './bandersnatch-config.js';
import { PACKAGE_TYPES, PLATFORMS } from './filenames.js';
import { parseRequirement, RequirementError } from './requirement.js';

const policyField = Type.Optional(
  Type.Union([Type.Literal('immediate'), Type.Literal('on_demand'), Type.Literal('streamed')], {
    default: 'on_demand',
  }),
);

function specifierErrors(field: 'includes' | 'excludes', value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return ['Expected a list of items but got type "str".'];
  const out: string[] = [];
  for (const item of value) {
    try {
      parseRequirement(String(item));
    } catch (err) {
      if (!(err instanceof RequirementError)) throw err;
      out.push(`${field} specifier ${String(item)} is invalid. ${err.message}`);
    }
  }
  return out;
}

function choiceErrors(value: unknown, choices: readonly string[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return ['Expected a list of items but got type "str".'];
  return value.filter((v) => !choices.includes(String(v))).map((v) => `"${String(v)}" is not a valid choice.`);
}

/** `POST remotes/python/python/from_bandersnatch/`: a remote from a bandersnatch config (201). */
function fromBandersnatch(remote: TypedRemote): Operation {
  return {
    method: 'POST',
    url: 'remotes/python/python/from_bandersnatch/',
    pathKey: 'remotes/python/python/from_bandersnatch/',
    operationId: 'remotes_python_python_from_bandersnatch',
    tag: remote.names.tag,
    summary: 'Create from Bandersnatch',
    body: {
      name: 'python.PythonBanderRemote',
      encodings: 'file',
      schema: Type.Object({
        config: Type.String({ format: 'binary', writeOnly: true }),
        name: Type.String({ minLength: 1 }),
        policy: policyField,
      }),
    },
    responses: { 201: { schema: 'python.PythonRemoteResponse' } },
    access: { viewset: remote.names.endpoint, action: 'from_bandersnatch' },
    async handle(ctx) {
      const file = ctx.files.find((f) => f.field === 'config');
      if (!file) throw new ValidationError({ config: ['No file was submitted.'] });
      let fields;
      try {
        fields = remoteFieldsFromBandersnatch(await readFile(file.path, 'utf8'));
      } catch (err) {
        if (err instanceof BandersnatchConfigError) throw new ValidationError({ config: [err.message] });
        throw err;
      }
      const body: Record<string, unknown> = {
        ...fields,
        name: ctx.body.name,
        policy: ctx.body.policy ?? 'on_demand',
      };
      if (fields.download_concurrency !== undefined) {
        const n = Number(fields.download_concurrency);
        if (!Number.isInteger(n) || n < 1)
          throw new ValidationError({ download_concurrency: ['A valid integer is required.'] });
        body.download_concurrency = n;
      }
      if (fields.keep_latest_packages !== undefined) {
        const n = Number(fields.keep_latest_packages);
        if (!Number.isInteger(n)) throw new ValidationError({ keep_latest_packages: ['A valid integer is required.'] });
        body.keep_latest_packages = n;
      }
      if (body.url === undefined) throw new ValidationError({ url: ['This field is required.'] });
      await checkUniqueName(ctx, 'remote', body.name);
      const data = remote.columns(body);
      const row = await ctx.services.db
        .insertInto('remote')
        .values({ pulp_type: 'python.python', ...(data as { name: string; url: string }) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { status: 201, body: remote.serialize(ctx.services, row) };
    },
  };
}

/** `remotes/python/python/`: pulp_python's filters (bandersnatch's), policy on_demand by default. */
export const pythonRemote = defineRemoteType({
  app: 'python',
  type: 'python',
  model: 'PythonRemote',
  defaultPolicy: 'on_demand',
  fields: {
    includes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [] })),
    excludes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [] })),
    prereleases: Type.Optional(Type.Boolean({ default: false })),
    package_types: Type.Optional(
      Type.Array(Type.Union(PACKAGE_TYPES.map((t) => Type.Literal(t))), { default: [], uniqueItems: true }),
    ),
    keep_latest_packages: Type.Optional(Type.Integer({ default: 0 })),
    exclude_platforms: Type.Optional(
      Type.Array(Type.Union(PLATFORMS.map((t) => Type.Literal(t))), { default: [], uniqueItems: true }),
    ),
    provenance: Type.Optional(Type.Boolean({ default: false })),
  },
  validate(merged) {
    const errors: Record<string, string[]> = {};
    const inc = specifierErrors('includes', merged.includes);
    const exc = specifierErrors('excludes', merged.excludes);
    const types = choiceErrors(merged.package_types, PACKAGE_TYPES);
    const platforms = choiceErrors(merged.exclude_platforms, PLATFORMS);
    if (inc.length) errors.includes = inc;
    if (exc.length) errors.excludes = exc;
    if (types.length) errors.package_types = types;
    if (platforms.length) errors.exclude_platforms = platforms;
    return Object.keys(errors).length ? errors : undefined;
  },
  extraOperations: (remote) => [fromBandersnatch(remote)],
});
