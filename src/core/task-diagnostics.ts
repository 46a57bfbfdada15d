import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The profilers a request's `X-Task-Diagnostics` header asks for, visible to every task that request dispatches
 * (Pulp keeps them in a context variable set by its middleware and read by `dispatch`).
 */
export const requestedDiagnostics = new AsyncLocalStorage<string[]>();

/** The header's comma list, trimmed, without empty entries; null when nothing was asked for. */
export function parseDiagnosticsHeader(value: string | string[] | undefined): string[] | null {
  const raw = Array.isArray(value) ? value.join(',') : value;
  if (!raw) return null;
  const list = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  return list.length > 0 ? list : null;
}

/** Profilers a worker runs: those both requested and enabled by TASK_DIAGNOSTICS. */
export function enabledProfilers(requested: readonly string[] | null, enabled: readonly string[]): string[] {
  if (!requested) return [];
  return requested.filter((p) => enabled.includes(p));
}
