// The per-request Prometheus families, read at scrape time from the route series the traffic
// observer keeps (route-series.ts): request counts and durations by route labels, method class and
// status class; upstream response time, bytes, upstream errors and retries by Ingress and Service.
import type { HistogramSample, MetricsRegistry, Sample } from './metrics.ts';
import { DURATION_BUCKETS, HISTOGRAM_STRIDE, METHOD_CLASSES, STATUS_CLASSES, UPSTREAM_ERROR_KINDS, type RouteSeries } from './route-series.ts';

const ROUTE_LABELS = ['namespace', 'ingress', 'host', 'service', 'method', 'status_class'] as const;
const BACKEND_LABELS = ['namespace', 'ingress', 'service'] as const;

/** Series summed by (namespace, ingress, service): what the upstream families are labelled by. */
interface BackendSums {
  labels: string[];
  upstream: Float64Array;
  totals: Float64Array;
  errors: Float64Array;
}

export function registerRouteMetrics(registry: MetricsRegistry, series: () => readonly RouteSeries[]): void {
  // One aggregation per scrape, shared by the five families that read it.
  let cached: { at: readonly RouteSeries[]; sums: BackendSums[] } | undefined;
  let snapshot: readonly RouteSeries[] = [];
  registry.onCollect(() => {
    snapshot = series();
    cached = undefined;
  });
  const backends = (): BackendSums[] => {
    if (cached?.at === snapshot) return cached.sums;
    const byKey = new Map<string, BackendSums>();
    for (const s of snapshot) {
      if (s.labels.service === '') continue; // requests that matched no route never reached an upstream
      const key = `${s.labels.namespace}\u0000${s.labels.ingress}\u0000${s.labels.service}`;
      let b = byKey.get(key);
      if (b === undefined) {
        b = { labels: [s.labels.namespace, s.labels.ingress, s.labels.service], upstream: new Float64Array(HISTOGRAM_STRIDE), totals: new Float64Array(s.totals.length), errors: new Float64Array(s.errors.length) };
        byKey.set(key, b);
      }
      addInto(b.upstream, s.upstream);
      addInto(b.totals, s.totals);
      addInto(b.errors, s.errors);
    }
    cached = { at: snapshot, sums: [...byKey.values()] };
    return cached.sums;
  };

  function* requestCells(): Iterable<{ labels: string[]; cells: Float64Array }> {
    for (const s of snapshot) {
      for (let m = 0; m < METHOD_CLASSES.length; m++) {
        for (let c = 0; c < STATUS_CLASSES.length; c++) {
          const cells = s.requests[m * STATUS_CLASSES.length + c];
          if (cells === undefined) continue;
          yield { labels: [s.labels.namespace, s.labels.ingress, s.labels.host, s.labels.service, METHOD_CLASSES[m]!, STATUS_CLASSES[c]!], cells };
        }
      }
    }
  }

  registry.collected({
    type: 'counter',
    name: 'gatehouse_http_requests_total',
    help: 'Client requests answered, by the route\'s Ingress, host (from the route table), Service, method class and status class. Requests that matched no route have empty ingress, host and service.',
    labelNames: ROUTE_LABELS,
    *samples(): Iterable<Sample> {
      for (const r of requestCells()) yield { labels: r.labels, value: r.cells[0]! };
    },
  });
  registry.collected({
    type: 'histogram',
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time from the request\'s arrival to the end of its response, by the same labels as gatehouse_http_requests_total.',
    labelNames: ROUTE_LABELS,
    buckets: DURATION_BUCKETS,
    *samples(): Iterable<HistogramSample> {
      for (const r of requestCells()) yield r;
    },
  });
  registry.collected({
    type: 'histogram',
    name: 'gatehouse_upstream_response_duration_seconds',
    help: 'Time from sending the request to an endpoint to the end of its response (the last attempt), by Ingress and Service.',
    labelNames: BACKEND_LABELS,
    buckets: DURATION_BUCKETS,
    *samples(): Iterable<HistogramSample> {
      for (const b of backends()) if (b.upstream[0]! > 0) yield { labels: b.labels, cells: b.upstream };
    },
  });
  registry.collected({
    type: 'counter',
    name: 'gatehouse_http_request_bytes_total',
    help: 'Request body bytes sent to endpoints, by Ingress and Service.',
    labelNames: BACKEND_LABELS,
    *samples(): Iterable<Sample> {
      for (const b of backends()) yield { labels: b.labels, value: b.totals[0]! };
    },
  });
  registry.collected({
    type: 'counter',
    name: 'gatehouse_http_response_bytes_total',
    help: 'Response body bytes relayed to clients from endpoints, by Ingress and Service.',
    labelNames: BACKEND_LABELS,
    *samples(): Iterable<Sample> {
      for (const b of backends()) yield { labels: b.labels, value: b.totals[1]! };
    },
  });
  registry.collected({
    type: 'counter',
    name: 'gatehouse_upstream_errors_total',
    help: 'Failed upstream attempts by kind: connect (refused or unreachable), reset (connection lost), timeout (connect, read or send), malformed (not valid HTTP).',
    labelNames: [...BACKEND_LABELS, 'kind'],
    *samples(): Iterable<Sample> {
      for (const b of backends()) for (let k = 0; k < UPSTREAM_ERROR_KINDS.length; k++) yield { labels: [...b.labels, UPSTREAM_ERROR_KINDS[k]!], value: b.errors[k]! };
    },
  });
  registry.collected({
    type: 'counter',
    name: 'gatehouse_upstream_retries_total',
    help: 'Upstream attempts beyond the first (retries on another endpoint), by Ingress and Service.',
    labelNames: BACKEND_LABELS,
    *samples(): Iterable<Sample> {
      for (const b of backends()) yield { labels: b.labels, value: b.totals[2]! };
    },
  });
}

function addInto(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i]!;
}
