import type { TaskFunction } from '../../plugin-api/tasks.js';

/** Core task functions by Pulp's dotted name (general_create, add_and_remove, orphan_cleanup, ...). */
export const coreTasks: Record<string, TaskFunction> = {};
