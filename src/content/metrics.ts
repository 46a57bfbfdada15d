import type { IncomingMessage, ServerResponse } from 'node:http';

import { type PoolCounts, processMetrics } from '../core/metrics.js';

/** The content app's metrics: requests and latency, bytes written to clients, on-demand downloads. */
export async function contentMetrics(pool?: PoolCounts) {
  const metrics = await processMetrics('content');
  if (pool) metrics.watchPool(pool);
  const sent = metrics.counter('pulp_content_sent_bytes_total', 'Bytes written to clients, headers included.');
  const onDemand = metrics.counter(
    'pulp_content_on_demand_total',
    'On-demand downloads started by this app, requests served from a download they did not start, and failed downloads.',
    ['event'],
  );
  return {
    onDemand: (event: 'started' | 'shared' | 'failed') => {
      onDemand.inc({ event });
    },
    /** Counts the request once its response ends (or the client hangs up). */
    track(req: IncomingMessage, res: ServerResponse, prefix: string) {
      const started = performance.now();
      const socket = req.socket;
      const before = socket.bytesWritten;
      res.once('close', () => {
        const route = req.url?.startsWith(prefix) ? prefix : 'other';
        metrics.observeRequest(req.method ?? 'GET', route, res.statusCode, (performance.now() - started) / 1000);
        sent.inc(Math.max(0, socket.bytesWritten - before));
      });
    },
    answer(res: ServerResponse) {
      metrics.text().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
        () => res.writeHead(503, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n'),
      );
    },
  };
}
