import { randomUUID } from 'node:crypto';

/** The header Pulp reads and answers (django-guid's `GUID_HEADER_NAME`), spelled exactly so on the wire. */
export const CORRELATION_HEADER = 'Correlation-ID';

/**
 * django-guid's defaults as Pulp runs them: a supplied value that Python's `uuid.UUID()` accepts (32 hex digits,
 * hyphens anywhere, optional braces or `urn:uuid:` prefix) is kept unchanged; anything else, or nothing, is
 * replaced by a new uuid4 as 32 lowercase hex digits.
 */
export function correlationIdFor(supplied: string | string[] | undefined): string {
  const value = Array.isArray(supplied) ? supplied[0] : supplied;
  if (value !== undefined && parsesAsUuid(value)) return value;
  return randomUUID().replace(/-/g, '');
}

function parsesAsUuid(value: string): boolean {
  const hex = value
    .replace(/urn:/g, '')
    .replace(/uuid:/g, '')
    .replace(/^\{+|\}+$/g, '')
    .replace(/-/g, '');
  return /^[0-9a-fA-F]{32}$/.test(hex);
}
