import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  PermissionError,
  PulpError,
  ValidationError,
} from '../core/errors.js';
import { translatePgError } from '../db/pg-errors.js';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../db/unavailable.js';

export interface ErrorResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The only mapping from error classes to HTTP statuses and Pulp's (DRF) bodies. */
export function renderError(error: unknown, request?: FastifyRequest): ErrorResponse {
  const err = translatePgError(error);
  if (err instanceof ValidationError) return { status: 400, body: err.fields };
  if (err instanceof NotFoundError) return { status: 404, body: { detail: err.message } };
  if (err instanceof AuthenticationError) {
    const xhr = request?.headers['x-requested-with'] === 'XMLHttpRequest';
    return {
      status: 401,
      body: { detail: err.message },
      headers: { 'www-authenticate': `${xhr ? 'x' : ''}Basic realm="api"` },
    };
  }
  if (err instanceof PermissionError) return { status: 403, body: { detail: err.message } };
  if (err instanceof ConflictError) return { status: 409, body: err.body ?? { detail: err.message } };
  if (err instanceof DatabaseUnavailableError) {
    return { status: 503, body: { detail: err.message }, headers: { 'retry-after': String(err.retryAfter) } };
  }
  if (err instanceof PulpError) return { status: 400, body: [err.message] };
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return {
        status: 415,
        body: { detail: `Unsupported media type "${request?.headers['content-type'] ?? ''}" in request.` },
      };
    }
    // A path Fastify cannot decode (`%ZZ`, invalid UTF-8) names nothing, as an unknown path does in Django.
    if (fe.code === 'FST_ERR_BAD_URL') return { status: 404, body: { detail: 'Not found.' } };
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return { status: 413, body: { detail: 'Request body is too large.' } };
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.name === 'SyntaxError') {
      return { status: 400, body: { detail: `JSON parse error - ${fe.message ?? 'invalid JSON'}` } };
    }
    return { status: fe.statusCode, body: { detail: fe.message ?? 'Bad request' } };
  }
  return { status: 500, body: { detail: 'Internal server error.' } };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const rendered = renderError(error, request);
  // A database that does not answer is an outage, not a bug: one short line per request, no stack.
  if (isDatabaseUnavailable(error))
    request.log.warn({ status: rendered.status, reason: (error as Error).message }, 'database not answering');
  else if (rendered.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ status: rendered.status, reason: (error as Error).message }, 'request refused');
  for (const [k, v] of Object.entries(rendered.headers ?? {})) void reply.header(k, v);
  return sendJson(reply.code(rendered.status), rendered.body);
}

/** JSON with a Content-Type of exactly `application/json`: pulp-glue compares the header literally. */
export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body)));
}
