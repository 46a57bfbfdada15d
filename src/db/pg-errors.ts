import { ConflictError, ValidationError } from '../core/errors.js';

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

/** Maps SQLSTATE codes to core errors once; unknown errors pass through unchanged. */
export function translatePgError(err: unknown): unknown {
  if (!isPgError(err)) return err;
  if (err.code === '23505') return new ConflictError(err.detail ?? 'Duplicate value', { cause: err });
  if (err.code === '23503')
    return new ValidationError([err.detail ?? 'Referenced object does not exist'], { cause: err });
  if (err.code === '22P02') return new ValidationError(['Invalid value'], { cause: err });
  return err;
}
