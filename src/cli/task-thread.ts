// Entry of a worker's task thread (see tasking/executor.ts): the registry is built here, in the cli layer.
import { runTaskThread } from '../tasking/task-thread.js';
import { versionMap } from '../plugin-api/registry.js';
import { createStorage } from '../storage/create-storage.js';
import { loadRegistry } from './registry.js';

await runTaskThread((settings) => {
  const registry = loadRegistry(settings);
  return {
    tasks: registry.tasks,
    versions: versionMap(registry),
  };
}, createStorage);
