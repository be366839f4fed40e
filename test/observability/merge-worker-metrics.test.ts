// /metrics of --workers N: the control plane's text and every worker's, merged: series summed
// (counters, histogram buckets, counting gauges), the event-loop lag the worst, certificate expiry
// the first, one HELP/TYPE per family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { mergeExposition } from '../../src/observability/merge-exposition.ts';
import { mergeTrafficViews } from '../../src/observability/merge-traffic-views.ts';

function worker(requests: number, lag: number, latencies: number[]): string {
  const r = createMetricsRegistry();
  r.counter({ name: 'req_total', help: 'Requests.', labelNames: ['code'] }).inc({ code: '200' }, requests);
  r.gauge({ name: 'gatehouse_event_loop_lag_seconds', help: 'Lag.' }).set(undefined, lag);
  r.gauge({ name: 'gatehouse_certificate_expiry_timestamp_seconds', help: 'Expiry.', labelNames: ['certificate'] }).set({ certificate: 'ns/a "b"' }, 1_900_000_000);
  const h = r.histogram({ name: 'dur_seconds', help: 'Durations.', labelNames: ['path'], buckets: [0.1, 1] });
  for (const l of latencies) h.observe({ path: '/a b' }, l);
  return r.render();
}

test('series are summed, lag is the worst, expiry is the first, families appear once', () => {
  const primary = createMetricsRegistry();
  primary.counter({ name: 'builds_total', help: 'Builds.' }).inc(undefined, 3);
  const merged = mergeExposition([primary.render(), worker(5, 0.01, [0.05, 0.5]), worker(7, 0.2, [2])]);
  assert.match(merged, /^builds_total 3$/m);
  assert.match(merged, /^req_total\{code="200"\} 12$/m);
  assert.match(merged, /^gatehouse_event_loop_lag_seconds 0.2$/m);
  assert.match(merged, /^gatehouse_certificate_expiry_timestamp_seconds\{certificate="ns\/a \\"b\\""\} 1900000000$/m);
  assert.match(merged, /^dur_seconds_bucket\{path="\/a b",le="0.1"\} 1$/m);
  assert.match(merged, /^dur_seconds_bucket\{path="\/a b",le="1"\} 2$/m);
  assert.match(merged, /^dur_seconds_bucket\{path="\/a b",le="\+Inf"\} 3$/m);
  assert.match(merged, /^dur_seconds_count\{path="\/a b"\} 3$/m);
  assert.match(merged, /^dur_seconds_sum\{path="\/a b"\} 2.55$/m);
  for (const name of ['req_total', 'dur_seconds', 'gatehouse_event_loop_lag_seconds']) assert.equal(merged.match(new RegExp(`^# TYPE ${name} `, 'gm'))?.length, 1, name);
  // Every family's samples follow its own TYPE line.
  const lines = merged.trim().split('\n');
  const typeAt = lines.findIndex((l) => l.startsWith('# TYPE dur_seconds '));
  assert.ok(lines.slice(typeAt + 1, typeAt + 6).every((l) => l.startsWith('dur_seconds_')));
});

test('/debug/traffic of workers: requests and rates summed, quantiles the worst worker’s, ejected if any', () => {
  const route = (requests: number, p99: number | null) => ({ route: 'ns/i#r0.p0', namespace: 'ns', ingress: 'i', host: 'h', path: '/', service: 'ns/s:80', requests, ratePerSecond: requests / 60, errorRatePerSecond: 0, p50Ms: p99, p99Ms: p99 });
  const merged = mergeTrafficViews([
    { at: 1, windowSeconds: 60, routes: [route(6, 3)], endpoints: [{ backend: 'ns/s:80', address: '10.0.0.1:80', ejected: false, inFlight: 1 }] },
    { at: 2, windowSeconds: 60, routes: [route(12, null)], endpoints: [{ backend: 'ns/s:80', address: '10.0.0.1:80', ejected: true, inFlight: 2 }] },
  ])!;
  assert.equal(merged.routes[0]!.requests, 18);
  assert.ok(Math.abs(merged.routes[0]!.ratePerSecond - 18 / 60) < 1e-9);
  assert.equal(merged.routes[0]!.p99Ms, 3);
  assert.deepEqual(merged.endpoints, [{ backend: 'ns/s:80', address: '10.0.0.1:80', ejected: true, inFlight: 3 }]);
  assert.equal(merged.at, 2);
  assert.equal(mergeTrafficViews([]), undefined);
});
