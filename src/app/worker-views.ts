// /debug views and metrics of the control plane about its data-plane workers (--workers N): the
// group's answer to /debug/traffic, /debug/health, /debug/tls and /debug/dataplane is gathered from
// every worker and merged; /debug/workers lists each worker (id, state, restarts, requests served).

import type { DataPlaneStats } from '../dataplane/data-plane.ts';
import type { MetricsRegistry } from '../observability/metrics.ts';
import { mergeTrafficViews } from '../observability/merge-traffic-views.ts';
import { QUANTILE_WINDOW_SECONDS } from '../observability/route-window.ts';
import type { WorkerGroup } from './worker-group.ts';

export type WorkerViews = Record<'traffic' | 'health' | 'tls' | 'dataplane' | 'workers', () => Promise<unknown>>;

export function createWorkerViews(group: WorkerGroup): WorkerViews {
  return {
    traffic: async () => {
      const views = await group.views();
      return mergeTrafficViews(views.map((v) => v.views.traffic)) ?? { at: Date.now(), windowSeconds: QUANTILE_WINDOW_SECONDS, routes: [], endpoints: [] };
    },
    // Passive health and retry budgets are per worker (docs/dataplane.md): shown as each worker has them.
    health: async () => ({ workers: (await group.views()).map((v) => ({ worker: v.id, ...v.views.health })) }),
    // Every worker serves the same certificates from the same table: the first one answers.
    tls: async () => (await group.views())[0]?.views.tls ?? {},
    dataplane: async () => {
      const views = await group.views();
      const total: DataPlaneStats = { connections: 0, inFlightRequests: 0, upgradedConnections: 0, requestsTotal: 0, upstreamPools: 0, tablesApplied: 0 };
      for (const { views: v } of views) {
        total.connections += v.dataplane.connections;
        total.inFlightRequests += v.dataplane.inFlightRequests;
        total.upgradedConnections += v.dataplane.upgradedConnections;
        total.requestsTotal += v.dataplane.requestsTotal;
        total.upstreamPools += v.dataplane.upstreamPools;
        total.tablesApplied = Math.max(total.tablesApplied, v.dataplane.tablesApplied);
      }
      return { ...total, workers: views.map((v) => ({ worker: v.id, ...v.views.dataplane })) };
    },
    workers: async () => {
      const views = new Map((await group.views()).map((v) => [v.id, v.views.dataplane]));
      return {
        workers: group.size,
        restarts: group.restarts,
        list: group.status().map((s) => ({ ...s, ...(views.get(s.id) ?? {}) })),
      };
    },
  };
}

/** gatehouse_workers (serving now) and gatehouse_worker_restarts_total. */
export function registerWorkerMetrics(registry: MetricsRegistry, group: WorkerGroup): void {
  registry.collected({
    type: 'gauge',
    name: 'gatehouse_workers',
    help: 'Data-plane worker threads serving traffic now (--workers).',
    samples: () => [{ labels: [], value: group.status().filter((s) => s.state === 'serving').length }],
  });
  registry.collected({
    type: 'counter',
    name: 'gatehouse_worker_restarts_total',
    help: 'Data-plane worker threads restarted after they died (an uncaught error, the heap limit).',
    samples: () => [{ labels: [], value: group.restarts }],
  });
}
