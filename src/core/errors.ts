/**
 * Typed, HTTP-free errors. `api/errors.ts` is the only place that maps them to statuses and Pulp's bodies.
 * Wrap with `{ cause }` so the original stays visible in logs.
 */
export class PulpError extends Error {
  readonly code: string = 'PLP0000';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid input. `fields` maps a field (or `non_field_errors`) to messages; a bare list renders as Pulp's `["msg"]`. */
export class ValidationError extends PulpError {
  override readonly code = 'PLP0001';
  readonly fields: Record<string, unknown> | string[];
  constructor(fields: Record<string, unknown> | string[] | string, options?: { cause?: unknown }) {
    const normalized = typeof fields === 'string' ? [fields] : fields;
    super(describeFields(normalized), options);
    this.fields = normalized;
  }
}

function describeFields(fields: Record<string, unknown> | string[]): string {
  if (Array.isArray(fields)) return fields.join(' ');
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : JSON.stringify(v)}`)
    .join('; ');
}

export class NotFoundError extends PulpError {
  override readonly code = 'PLP0002';
}

/** State conflict: an object in use, a finished task canceled, a duplicate. `body` overrides the rendered JSON. */
export class ConflictError extends PulpError {
  override readonly code = 'PLP0003';
  readonly body: unknown;
  constructor(message: string, options?: { cause?: unknown; body?: unknown }) {
    super(message, options);
    this.body = options?.body;
  }
}

export class PermissionError extends PulpError {
  override readonly code = 'PLP0004';
  constructor(message = 'You do not have permission to perform this action.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class AuthenticationError extends PulpError {
  override readonly code = 'PLP0005';
  constructor(message = 'Authentication credentials were not provided.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ConfigurationError extends PulpError {
  override readonly code = 'PLP0006';
}

export class DigestMismatchError extends PulpError {
  override readonly code = 'PLP0007';
}

export class SizeMismatchError extends PulpError {
  override readonly code = 'PLP0008';
}

export class RemoteFetchError extends PulpError {
  override readonly code = 'PLP0009';
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

export class UnsafePathError extends ValidationError {}

/** A task was canceled while running. */
export class TaskCanceledError extends PulpError {
  override readonly code = 'PLP0010';
}
