import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { apiPrefix } from '../../src/core/ids.js';
import { loadSettings } from '../../src/core/settings.js';
import { loadRegistry } from '../../src/cli/registry.js';
import { findResourceType, registerResourceTypes } from '../../src/plugin-api/resource-types.js';
import type { Settings } from '../../src/core/settings.js';
import type { Database } from '../../src/db/database.js';
import type { Services } from '../../src/plugin-api/operations.js';
import type { ProgressReporter, TaskContext } from '../../src/plugin-api/tasks.js';
import { refusingDispatcher, silentLogger } from './api.js';
import { createStorage } from '../../src/storage/create-storage.js';

export interface RecordedProgress {
  message: string;
  code: string;
  total: number | null;
  done: number;
  state: string;
}

/** A TaskContext for calling task functions directly, recording what the task reports. */
export interface TestTaskContext extends TaskContext {
  createdResources: string[];
  progressReports: RecordedProgress[];
  abort(): void;
}

/** Services over a test database and a storage in `settings.MEDIA_ROOT`. */
export async function createTestServices(db: Database, settings: Settings): Promise<Services> {
  await mkdir(settings.MEDIA_ROOT, { recursive: true });
  const storage = await createStorage(settings);
  await mkdir(storage.tempDir(), { recursive: true });
  return {
    db,
    settings,
    logger: silentLogger,
    apiPrefix: apiPrefix(settings.API_ROOT),
    storage,
    dispatcher: refusingDispatcher,
    extensions: new Map(),
  };
}

export function createTaskContext(services: Services, args: Record<string, unknown>): TestTaskContext {
  const controller = new AbortController();
  const createdResources: string[] = [];
  const progressReports: RecordedProgress[] = [];
  return {
    taskId: randomUUID(),
    args,
    services,
    logger: silentLogger,
    signal: controller.signal,
    createdResources,
    progressReports,
    abort: () => controller.abort(),
    progress(message, code, options) {
      const report: RecordedProgress = {
        message,
        code,
        total: options?.total ?? null,
        done: 0,
        state: options?.state ?? 'running',
      };
      progressReports.push(report);
      const reporter: ProgressReporter = {
        increment: (n = 1) => {
          report.done += n;
        },
        setTotal: (t) => {
          report.total = t;
        },
        done: (state = 'completed') => {
          report.state = state;
          return Promise.resolve();
        },
      };
      return Promise.resolve(reporter);
    },
    addCreatedResource(href) {
      createdResources.push(href);
      return Promise.resolve();
    },
    dispatch: () => Promise.reject(new Error('no child tasks in this test')),
  };
}

/** A scratch file on the storage's volume (so imports are renames). */
export async function writeTempFile(services: Services, content: string | Buffer): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  await mkdir(services.storage.tempDir(), { recursive: true });
  const p = path.join(services.storage.tempDir(), `test-${randomUUID()}`);
  await writeFile(p, content);
  return p;
}

export async function scratchDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-scratch-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Registers the installed plugins' resource types, as every process does at start; stands in for the file
 * types while the file plugin does not declare them yet.
 */
export function registerFileTypes(): void {
  loadRegistry(loadSettings({ env: {}, overrides: { PULP_HOME: tmpdir(), LOG_LEVEL: 'silent' } }));
  const missing = [
    { kind: 'content' as const, pulpType: 'file.file', endpoint: 'content/file/files', prnModel: 'file.filecontent' },
    {
      kind: 'repository' as const,
      pulpType: 'file.file',
      endpoint: 'repositories/file/file',
      prnModel: 'file.filerepository',
    },
    { kind: 'remote' as const, pulpType: 'file.file', endpoint: 'remotes/file/file', prnModel: 'file.fileremote' },
    {
      kind: 'publication' as const,
      pulpType: 'file.file',
      endpoint: 'publications/file/file',
      prnModel: 'file.filepublication',
    },
    {
      kind: 'distribution' as const,
      pulpType: 'file.file',
      endpoint: 'distributions/file/file',
      prnModel: 'file.filedistribution',
    },
  ].filter((t) => !findResourceType(t.kind, t.pulpType));
  registerResourceTypes(missing);
}
