import type { Logger } from 'pino';
import pg from 'pg';

/** Wake-up channel: payload `handle` (something became claimable). */
export const WAKEUP_CHANNEL = 'pulp_worker_wakeup';
/** Cancel channel: payload = id of a task being canceled. */
export const CANCEL_CHANNEL = 'pulp_worker_cancel';

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on a dedicated connection (LISTEN is session state, so never through the pool) and reconnects when
 * it drops. Notifications are hints: the worker's periodic re-check covers any that are lost meanwhile.
 */
export async function listen(
  url: string,
  channels: string[],
  onNotify: (channel: string, payload: string) => void,
  logger: Logger,
): Promise<Listener> {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: url, application_name: 'pulp-ts listen' });
    c.on('notification', (n) => onNotify(n.channel, n.payload ?? ''));
    c.on('error', (err) => {
      logger.warn({ err }, 'notification connection lost; reconnecting');
      if (client === c) client = null;
      void c.end().catch(() => undefined);
      scheduleReconnect();
    });
    await c.connect();
    for (const ch of channels) await c.query(`LISTEN ${c.escapeIdentifier(ch)}`);
    client = c;
  }

  function scheduleReconnect(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      connect().catch((err: unknown) => {
        logger.warn({ err }, 'could not reconnect the notification connection');
        scheduleReconnect();
      });
    }, 1000);
    retry.unref();
  }

  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
