import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

import { sql } from 'kysely';
import type { Logger } from 'pino';

import { enabledProfilers } from '../core/task-diagnostics.js';
import { importArtifactFromFile } from '../plugin-api/artifacts.js';
import type { Services } from '../plugin-api/operations.js';

/** Pulp's sampling interval of the memory profiler. */
const MEMORY_INTERVAL_MS = 2000;

/** One running profiler: `stop` ends it and returns the file it wrote, with the artifact name Pulp gives it. */
interface Profiler {
  stop(): Promise<{ name: string; file: string }>;
}

/**
 * `memory` (Pulp's): every 2 s a line `<seconds>\t<peak resident MB>` after a `# Seconds\tMemory in MB` header;
 * the artifact is named `memory_profile`.
 */
async function startMemoryProfiler(dir: string): Promise<Profiler> {
  const file = path.join(dir, `memory-${randomUUID()}.datum`);
  const out = createWriteStream(file);
  out.write('# Seconds\tMemory in MB\n');
  let seconds = 0;
  const sample = () => {
    out.write(`${seconds}\t${(process.resourceUsage().maxRSS / 1024).toFixed(2)}\n`);
    seconds += MEMORY_INTERVAL_MS / 1000;
  };
  sample();
  const timer = setInterval(sample, MEMORY_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      return { name: 'memory_profile', file };
    },
  };
}

/**
 * `cpu` (ours, in place of Pulp's Python-only pyinstrument): V8's sampling CPU profile of the thread running the
 * task, as a `.cpuprofile` JSON that Chrome DevTools opens; the artifact is named `cpu_profile`.
 */
async function startCpuProfiler(dir: string): Promise<Profiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const file = path.join(dir, `cpu-${randomUUID()}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      return { name: 'cpu_profile', file };
    },
  };
}

const PROFILERS: Record<string, (dir: string) => Promise<Profiler>> = {
  memory: startMemoryProfiler,
  cpu: startCpuProfiler,
};

/** Profiler names a worker knows; TASK_DIAGNOSTICS may enable any of them. */
export const KNOWN_PROFILERS = Object.keys(PROFILERS);

/**
 * Runs `run` under the profilers the task asked for (X-Task-Diagnostics) that TASK_DIAGNOSTICS enables, then
 * stores each profile as an artifact linked to the task. Nothing is queried when TASK_DIAGNOSTICS is empty (the
 * default), so ordinary tasks pay nothing. A profiler failure is logged, never fails the task.
 */
export async function withTaskProfilers<T>(
  services: Services,
  taskId: string,
  logger: Logger,
  run: () => Promise<T>,
): Promise<T> {
  const enabled = services.settings.TASK_DIAGNOSTICS;
  if (enabled.length === 0) return run();
  const row = await services.db
    .selectFrom('task')
    .select('profile_options')
    .where('pulp_id', '=', taskId)
    .executeTakeFirst();
  const requested = row?.profile_options ?? null;
  const names = enabledProfilers(requested, enabled).filter((n) => PROFILERS[n]);
  const unavailable = (requested ?? []).filter((n) => !names.includes(n));
  if (unavailable.length > 0) logger.warn({ unavailable }, 'requested task diagnostic profilers are not available');
  if (names.length === 0) return run();
  const dir = services.storage.tempDir();
  await mkdir(dir, { recursive: true });
  const running: Profiler[] = [];
  for (const name of names) {
    try {
      running.push(await (PROFILERS[name] as (d: string) => Promise<Profiler>)(dir));
    } catch (err) {
      logger.warn({ err, profiler: name }, 'task profiler did not start');
    }
  }
  try {
    return await run();
  } finally {
    for (const p of running) await saveProfile(services, taskId, p, logger);
  }
}

async function saveProfile(services: Services, taskId: string, profiler: Profiler, logger: Logger): Promise<void> {
  let file: string | null = null;
  try {
    const result = await profiler.stop();
    file = result.file;
    const artifact = await importArtifactFromFile(services, result.file);
    file = null;
    await sql`INSERT INTO profile_artifact (task_id, artifact_id, name) VALUES (${taskId}, ${artifact.pulp_id}, ${result.name})
      ON CONFLICT (task_id, name) DO NOTHING`.execute(services.db);
  } catch (err) {
    logger.warn({ err }, 'task profile could not be saved');
  } finally {
    if (file) await rm(file, { force: true });
  }
}
