import { PulpError } from '../core/errors.js';

/**
 * The database did not answer in time (connect or pool acquire past DB_CONNECT_TIMEOUT, a statement past
 * DB_QUERY_TIMEOUT) or is unreachable. Transient: the API answers 503 with Retry-After, the content app may serve
 * from its cache, and the next request tries again (the pool opens new connections when the server is back).
 */
export class DatabaseUnavailableError extends PulpError {
  override readonly code = 'PLP0010';
  /** Seconds a client should wait before trying again. */
  readonly retryAfter: number;
  constructor(message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, options);
    this.retryAfter = options?.retryAfter ?? 5;
  }
}

/** Messages pg and pg-pool give when a timeout fires or the connection is gone; their errors carry no code. */
const UNAVAILABLE_MESSAGES = [
  'Query read timeout',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
];

/** SQLSTATEs of a server that canceled a statement on timeout, is shutting down, or cannot take connections. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

const UNAVAILABLE_SYSCALL_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** True when `err` means the database cannot answer now (rather than refusing the statement). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SYSCALL_CODES.has(code))) return true;
  return UNAVAILABLE_MESSAGES.some((m) => err.message.startsWith(m));
}

/** `err` as a DatabaseUnavailableError when it is one, else unchanged. */
export function asDatabaseUnavailable(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError || !isDatabaseUnavailable(err)) return err;
  return new DatabaseUnavailableError('The database is not answering; try again shortly.', { cause: err });
}
