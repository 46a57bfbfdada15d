/** PEP 503 normalized name: runs of `-`, `_` and `.` become one `-`, lowercased. */
export function canonicalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

// PEP 508 / core metadata: ASCII letters and digits at both ends, `.`, `_` and `-` inside.
const PROJECT_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

/** Whether a project name is valid per the core metadata specification. */
export function isValidProjectName(name: string): boolean {
  return name.length <= 200 && PROJECT_NAME.test(name);
}
