import type { HeaderParameter } from '../plugin-api/operations.js';

/**
 * Request headers an operation declares in the OpenAPI document. pulp-glue sends a header parameter only when
 * the schema declares it, and refuses the call when a required one is missing from its arguments ("Parameter
 * [Content-Range] not available"), so a header the server needs must be declared here.
 */
declare module '../plugin-api/operations.js' {
  interface HeaderParameter {
    name: string;
    required?: boolean;
    description?: string;
  }
  interface Operation {
    /** Declared request headers (besides X-Task-Diagnostics, which every operation declares). */
    headers?: HeaderParameter[];
  }
}

/** The OpenAPI parameter objects of an operation's declared headers. */
export function headerParameters(headers: readonly HeaderParameter[] | undefined): Record<string, unknown>[] {
  return (headers ?? []).map((h) => ({
    in: 'header',
    name: h.name,
    schema: { type: 'string' },
    ...(h.description ? { description: h.description } : {}),
    ...(h.required ? { required: true } : {}),
  }));
}
