import type { GuardTypeDefinition } from './define-plugin.js';

const guardTypes = new Map<string, GuardTypeDefinition>();

/** Registers plugins' content guard evaluators (by the plugin registry); the same type again replaces it. */
export function registerGuardTypes(types: readonly GuardTypeDefinition[]): void {
  for (const t of types) guardTypes.set(t.pulpType, t);
}

/** The evaluator of a plugin's guard type, or undefined (the content app then refuses: fail closed). */
export function findGuardType(pulpType: string): GuardTypeDefinition | undefined {
  return guardTypes.get(pulpType);
}
