import { ConflictError, ValidationError } from '../core/errors.js';
import { asDatabaseUnavailable, isDatabaseUnavailable } from './unavailable.js';

interface PgErrorLike {
  code?: string;
  constraint?: string;
  detail?: string;
}

function isPgError(err: unknown): err is PgErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as PgErrorLike).code === 'string';
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return isPgError(err) && err.code === '23505' && (!constraint || err.constraint === constraint);
}

export function isForeignKeyViolation(err: unknown): boolean {
  return isPgError(err) && err.code === '23503';
}

export function isSerializationFailure(err: unknown): boolean {
  return isPgError(err) && (err.code === '40001' || err.code === '40P01');
}

/** SQLSTATEs caused by a value a client sent, with the message the client gets. */
const CLIENT_DATA_ERRORS: Record<string, string> = {
  '22001': 'A value is too long.',
  '22003': 'A number is out of range.',
  '22007': 'Invalid date/time.',
  '22008': 'Date/time out of range.',
  '2201B': 'Invalid regular expression.',
  '22021': 'Null characters are not allowed.',
  '22P05': 'Null characters are not allowed.',
  '22025': 'Invalid escape sequence.',
  '54000': 'A value is too large to be indexed or stored.',
};

/** Maps SQLSTATE codes to core errors once; unknown errors pass through unchanged. */
export function translatePgError(err: unknown): unknown {
  if (isDatabaseUnavailable(err)) return asDatabaseUnavailable(err);
  if (!isPgError(err)) return err;
  if (err.code === '23505') return new ConflictError(err.detail ?? 'Duplicate value', { cause: err });
  if (err.code === '23503')
    return new ValidationError([err.detail ?? 'Referenced object does not exist'], { cause: err });
  if (err.code === '22P02') return new ValidationError(['Invalid value'], { cause: err });
  // Values the request checks should have caught; a client's mistake all the same, never a 500.
  const refused = CLIENT_DATA_ERRORS[err.code ?? ''];
  if (refused) return new ValidationError([refused], { cause: err });
  return err;
}
