// Entry of a worker's task thread (see tasking/executor.ts): the registry is built here, in the cli layer.
import { versionEntries } from '../api/modules.js';
import { runTaskThread } from '../tasking/task-thread.js';
import { loadRegistry } from './registry.js';

await runTaskThread((settings) => {
  const registry = loadRegistry(settings);
  return {
    tasks: registry.tasks,
    versions: Object.fromEntries(versionEntries(registry).map((v) => [v.component, v.version])),
  };
});
