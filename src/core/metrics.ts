import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';

import type { Counter, Registry } from 'prom-client';

/**
 * Prometheus metrics of one serving process (API or content app). prom-client is loaded only where metrics
 * are on, so a process with them off pays nothing. Under node:cluster every copy counts its own requests and a
 * scrape, answered by any copy, asks the primary to sum them all (prom-client's AggregatorRegistry), so the
 * figures never jump between scrapes.
 */
export interface ProcessMetrics {
  registry: Registry;
  /** Counts one answered request: `route` is the route's pattern, never the raw path (bounded label values). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  counter(name: string, help: string, labelNames?: string[]): Counter;
  /** Reports a connection pool's use (pg.Pool's counts) at each scrape. */
  watchPool(pool: PoolCounts): void;
  /** Text exposition of every copy of this server (the cluster's sum), in Prometheus' format. */
  text(): Promise<string>;
  contentType: string;
}

export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

let current: Promise<ProcessMetrics> | null = null;

const REQUEST_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** This process's metrics, created on first use with `app` (`api`, `content`) as a label on every series. */
export function processMetrics(app: string): Promise<ProcessMetrics> {
  current ??= (async () => {
    const client = await import('prom-client');
    const registry = new client.Registry();
    registry.setDefaultLabels({ app });
    client.collectDefaultMetrics({ register: registry, prefix: 'pulp_' });
    const requests = new client.Counter({
      name: 'pulp_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    const latency = new client.Histogram({
      name: 'pulp_http_request_duration_seconds',
      help: 'Time from the request to the end of the response, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: REQUEST_SECONDS_BUCKETS,
      registers: [registry],
    });
    if (cluster.isWorker) {
      // Answers the primary's collection requests with this copy's registry.
      client.AggregatorRegistry.setRegistries([registry]);
      new client.AggregatorRegistry();
    }
    const counters = new Map<string, Counter>();
    const pools: PoolCounts[] = [];
    new client.Gauge({
      name: 'pulp_db_pool_connections',
      help: 'Database connections of the pool: open (total), idle, and requests waiting for one.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const sum = (f: (p: PoolCounts) => number) => pools.reduce((n, p) => n + f(p), 0);
        this.set(
          { state: 'total' },
          sum((p) => p.totalCount),
        );
        this.set(
          { state: 'idle' },
          sum((p) => p.idleCount),
        );
        this.set(
          { state: 'waiting' },
          sum((p) => p.waitingCount),
        );
      },
    });
    return {
      registry,
      contentType: registry.contentType,
      observeRequest(method, route, status, seconds) {
        requests.inc({ method, route, status: String(status) });
        latency.observe({ method, route }, seconds);
      },
      counter(name, help, labelNames = []) {
        let c = counters.get(name);
        if (!c) {
          c = new client.Counter({ name, help, labelNames, registers: [registry] });
          counters.set(name, c);
        }
        return c;
      },
      watchPool(pool) {
        pools.push(pool);
      },
      async text() {
        if (!cluster.isWorker) return registry.metrics();
        return (await askPrimary().catch(() => null)) ?? registry.metrics();
      },
    };
  })();
  return current;
}

const REQUEST = 'pulp-ts:metrics-request';
const REPLY = 'pulp-ts:metrics-reply';

interface MetricsMessage {
  type: string;
  id: string;
  text?: string;
}

function askPrimary(): Promise<string | null> {
  const id = randomUUID();
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), 5000);
    const onMessage = (message: MetricsMessage) => {
      if (message?.type === REPLY && message.id === id) finish(message.text ?? null);
    };
    const finish = (text: string | null) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(text);
    };
    process.on('message', onMessage);
    process.send?.({ type: REQUEST, id });
  });
}

/**
 * In a cluster's primary: answers a copy's request for the cluster's metrics. The primary loads prom-client
 * only when the first request comes.
 */
export function answerMetricsRequests(): void {
  let aggregator: Promise<{ clusterMetrics(): Promise<string> }> | null = null;
  cluster.on('message', (worker, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return;
    aggregator ??= import('prom-client').then((client) => new client.AggregatorRegistry());
    void aggregator
      .then((a) => a.clusterMetrics())
      .then(
        (text) => worker.send({ type: REPLY, id: message.id, text }),
        () => worker.send({ type: REPLY, id: message.id }),
      );
  });
}
