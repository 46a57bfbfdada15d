import { PassThrough, type Readable } from 'node:stream';

import { type Compilable, sql } from 'kysely';

import type { Database } from '../db/database.js';

/** Pages with a larger `limit` are streamed from a cursor instead of being built in memory. */
export const STREAMED_PAGE_THRESHOLD = 1000;
/** Rows fetched (and serialized) at a time from the cursor. */
const FETCH_ROWS = 500;

/**
 * A list page as a JSON stream. Pulp has no page ceiling and clients ask for huge pages (`limit=1000000`), so
 * the rows come from a server-side cursor in slices of FETCH_ROWS, each serialized and written before the next
 * is fetched: memory holds one slice, whatever the page size, and a slow client slows the cursor instead of
 * filling memory. The first slice is fetched before this resolves, so a query that fails (a bad regular
 * expression in a filter, say) is still an ordinary error answer rather than a cut-off 200.
 */
export async function streamPage(
  db: Database,
  query: Compilable<unknown>,
  envelope: { count: number; next: string | null; previous: string | null },
  serialize: (rows: unknown[]) => Promise<Record<string, unknown>[]>,
): Promise<Readable> {
  const out = new PassThrough();
  const gone = () => new Error('The client went away.');
  const write = async (text: string) => {
    if (out.destroyed) throw gone();
    if (out.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        out.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        out.off('drain', onDrain);
        reject(gone());
      };
      out.once('drain', onDrain);
      out.once('close', onClose);
    });
  };
  let started!: () => void;
  const firstSlice = new Promise<void>((resolve) => (started = resolve));
  const run = db.transaction().execute(async (trx) => {
    await sql`DECLARE pulp_page NO SCROLL CURSOR FOR ${query}`.execute(trx);
    let rows = (await sql`FETCH ${sql.raw(String(FETCH_ROWS))} FROM pulp_page`.execute(trx)).rows;
    started();
    await write(
      `{"count":${envelope.count},"next":${JSON.stringify(envelope.next)},"previous":${JSON.stringify(envelope.previous)},"results":[`,
    );
    let first = true;
    while (rows.length > 0) {
      const items = await serialize(rows);
      const text = items.map((item) => JSON.stringify(item)).join(',');
      if (text !== '') await write(first ? text : `,${text}`);
      first = first && text === '';
      if (rows.length < FETCH_ROWS) break;
      rows = (await sql`FETCH ${sql.raw(String(FETCH_ROWS))} FROM pulp_page`.execute(trx)).rows;
    }
    await write(']}');
    out.end();
  });
  // Before the first slice an error is the request's; after it, the response can only be cut off.
  await Promise.race([firstSlice, run]);
  run.catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}
