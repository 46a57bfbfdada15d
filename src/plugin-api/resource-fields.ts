import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../core/errors.js';
import { formatTimestamp, isUuid } from '../core/ids.js';
import type { Operation } from './operations.js';

/** The fields every model-backed resource returns (spec 1.5). */
export interface BaseFields {
  pulp_href: string;
  prn: string;
  pulp_created: string | null;
  pulp_last_updated: string | null;
}

/** `pulp_href`, `prn`, `pulp_created`, `pulp_last_updated` of a row. */
export function baseFields(
  row: { pulp_id: string; pulp_created: string; pulp_last_updated: string },
  href: string,
  prnModel: string,
): BaseFields {
  return {
    pulp_href: href,
    prn: `prn:${prnModel}:${row.pulp_id}`,
    pulp_created: formatTimestamp(row.pulp_created),
    pulp_last_updated: formatTimestamp(row.pulp_last_updated),
  };
}

/** Response schema of the base fields, to spread into a TypeBox object. */
export const BaseFieldsSchema = {
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
};

/** Request schema of `pulp_labels`: a flat string map (values may be null); validated by `validateLabels`. */
export const LabelsSchema = Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]));

const LABEL_KEY = /^[\w .-]+$/;

/** Label problems in Pulp's style, or an empty list. */
export function labelErrors(labels: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) out.push(`Key '${k}' contains non-alphanumerics.`);
    if (v !== null && typeof v !== 'string') out.push(`Key '${k}' has a value that is not a string.`);
    else if (typeof v === 'string' && /[()]/.test(v)) out.push(`Key '${k}' contains value with parentheses.`);
  }
  return out;
}

/**
 * Validates `pulp_labels` (spec 2.2: keys `^[\w .-]+$`, values without parentheses) and returns it;
 * throws a 400 on `pulp_labels`. Accepts the JSON-string form that form bodies carry.
 */
export function validateLabels(value: unknown): Record<string, string | null> {
  let labels = value;
  if (typeof labels === 'string') {
    try {
      labels = JSON.parse(labels) as unknown;
    } catch {
      throw new ValidationError({ pulp_labels: ['Value must be valid JSON.'] });
    }
  }
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new ValidationError({ pulp_labels: ['Expected a dictionary of items.'] });
  }
  const errors = labelErrors(labels as Record<string, unknown>);
  if (errors.length > 0) throw new ValidationError({ pulp_labels: errors });
  return labels as Record<string, string | null>;
}

/** Tables whose rows carry `pulp_labels`. */
export type LabelledTable = 'repository' | 'remote' | 'distribution' | 'content';

export interface LabelOperationsOptions {
  /** Fastify route of the object, below the API prefix, with `:pulp_id`: `repositories/file/file/:pulp_id/`. */
  url: string;
  /** OpenAPI placeholder of the object href: `{file_file_repository_href}`. */
  pathKey: string;
  /** operationId prefix: `repositories_file_file`. */
  opIdPrefix: string;
  tag: string;
  table: LabelledTable;
  /** Restricts to the type's rows. */
  pulpType: string;
  /** For the 404 message: `FileRepository`. */
  modelName: string;
  /** Access-policy viewset name. */
  viewset?: string;
}

const SetLabelBody = Type.Object({
  key: Type.String({ minLength: 1 }),
  value: Type.Union([Type.String(), Type.Null()]),
});
const UnsetLabelBody = Type.Object({ key: Type.String({ minLength: 1 }) });

/**
 * `POST <href>set_label/` and `POST <href>unset_label/` (spec 2.2): synchronous, 201 with `{key, value}`.
 * Unsetting a key that is not set is a 400 on `key`.
 */
export function labelOperations(o: LabelOperationsOptions): Operation[] {
  const base = o.url.endsWith('/') ? o.url : `${o.url}/`;
  const notFound = () => new NotFoundError(`No ${o.modelName} matches the given query.`);
  const checkId = (id: string | undefined): string => {
    if (!id || !isUuid(id)) throw notFound();
    return id;
  };
  return [
    {
      method: 'POST',
      url: `${base}set_label/`,
      pathKey: `${o.pathKey}set_label/`,
      operationId: `${o.opIdPrefix}_set_label`,
      tag: o.tag,
      summary: 'Set a label',
      body: { name: 'SetLabel', schema: SetLabelBody, allowUnknown: true },
      responses: { 201: { schema: 'SetLabelResponse' } },
      access: o.viewset ? { viewset: o.viewset, action: 'set_label' } : undefined,
      async handle(ctx) {
        const id = checkId(ctx.params.pulp_id);
        const key = ctx.body.key as string;
        const value = (ctx.body.value ?? null) as string | null;
        if (!LABEL_KEY.test(key)) throw new ValidationError({ key: [`Key '${key}' contains non-alphanumerics.`] });
        const errors = labelErrors({ [key]: value });
        if (errors.length > 0) throw new ValidationError({ value: errors });
        const changed = await ctx.services.db.transaction().execute(async (trx) => {
          const r =
            await sql`UPDATE ${sql.table(o.table)} SET pulp_labels = pulp_labels || jsonb_build_object(${key}::text, ${value}::text),
                 pulp_last_updated = clock_timestamp() WHERE pulp_id = ${id} AND pulp_type = ${o.pulpType}`.execute(
              trx,
            );
          return Number(r.numAffectedRows ?? 0);
        });
        if (changed === 0) throw notFound();
        return { status: 201, body: { key, value } };
      },
    },
    {
      method: 'POST',
      url: `${base}unset_label/`,
      pathKey: `${o.pathKey}unset_label/`,
      operationId: `${o.opIdPrefix}_unset_label`,
      tag: o.tag,
      summary: 'Unset a label',
      body: { name: 'UnsetLabel', schema: UnsetLabelBody, allowUnknown: true },
      responses: { 201: { schema: 'UnsetLabelResponse' } },
      access: o.viewset ? { viewset: o.viewset, action: 'unset_label' } : undefined,
      async handle(ctx) {
        const id = checkId(ctx.params.pulp_id);
        const key = ctx.body.key as string;
        const removed = await ctx.services.db.transaction().execute(async (trx) => {
          const row = await sql<{
            labels: Record<string, string | null>;
          }>`SELECT pulp_labels AS labels FROM ${sql.table(o.table)}
                 WHERE pulp_id = ${id} AND pulp_type = ${o.pulpType} FOR UPDATE`.execute(trx);
          const labels = row.rows[0]?.labels;
          if (!labels) throw notFound();
          if (!(key in labels)) throw new ValidationError({ key: [`Label '${key}' is not set on this object.`] });
          await sql`UPDATE ${sql.table(o.table)} SET pulp_labels = pulp_labels - ${key}::text, pulp_last_updated = clock_timestamp()
                 WHERE pulp_id = ${id}`.execute(trx);
          return labels[key] ?? null;
        });
        return { status: 201, body: { key, value: removed } };
      },
    },
  ];
}

/** Component schemas referenced by the label operations; register them once in a module's `components`. */
export const labelComponents = [
  { name: 'SetLabel', schema: SetLabelBody },
  { name: 'SetLabelResponse', schema: SetLabelBody },
  { name: 'UnsetLabel', schema: UnsetLabelBody },
  {
    name: 'UnsetLabelResponse',
    schema: Type.Object({ key: Type.String(), value: Type.Union([Type.String(), Type.Null()]) }),
  },
];
