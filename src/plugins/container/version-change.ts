import { sql } from 'kysely';

import { typedHref } from '../../plugin-api/index.js';
import { ADD_AND_REMOVE_TASK } from './add-remove-task.js';
import { RegistryError } from './registry-errors.js';
import type { RegistryContext } from './registry-http.js';

/** How long a registry request waits for its version task before answering 429 (the client retries). */
const VERSION_WAIT_MS = 30_000;

/** Dispatches the version change of a push and waits for it (Pulp's immediate task), else 429. */
export async function applyVersionChange(
  ctx: RegistryContext,
  repositoryType: string,
  repositoryId: string,
  add: string[],
  remove: string[],
): Promise<void> {
  const { services } = ctx.registry;
  const task = await services.dispatcher.dispatch(
    ADD_AND_REMOVE_TASK,
    { repository_pk: repositoryId, add_content_units: add, remove_content_units: remove },
    {
      exclusiveResources: [typedHref(repositoryType, 'repository', repositoryId, services.apiPrefix)],
      immediate: true,
      deferred: true,
      userId: ctx.caller.user?.id ?? null,
      loggingCid: String(ctx.request.id),
    },
  );
  const deadline = Date.now() + VERSION_WAIT_MS;
  for (;;) {
    const { rows } = await sql<{ state: string; error: { description?: string } | null }>`
      SELECT state, error FROM task WHERE pulp_id = ${task.pulp_id}`.execute(services.db);
    const state = rows[0]?.state;
    if (state === 'completed') return;
    if (state === 'failed' || state === 'canceled' || state === undefined)
      throw new Error(`The push's repository version could not be created: ${rows[0]?.error?.description ?? state}`);
    if (Date.now() > deadline) throw new RegistryError('TOOMANYREQUESTS', 'The repository is busy; retry later.');
    await new Promise((r) => setTimeout(r, 25));
  }
}
