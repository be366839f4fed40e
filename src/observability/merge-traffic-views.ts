// /debug/traffic for a process group (--workers N): every worker keeps its own live windows, so
// the group's view adds them up. Per route: requests and rates are summed; the latency quantiles
// cannot be merged from quantiles, so the group reports the worst worker's p50 and p99 (an upper
// bound of the true quantile: every worker's is at most it). Per endpoint: in flight summed, and
// ejected when any worker ejected it (passive health is per worker, see docs/dataplane.md).

import type { TrafficEndpointView, TrafficRouteView, TrafficView } from './traffic-observer.ts';

export function mergeTrafficViews(views: readonly TrafficView[]): TrafficView | undefined {
  const first = views[0];
  if (first === undefined) return undefined;
  const routes = new Map<string, TrafficRouteView>();
  const endpoints = new Map<string, TrafficEndpointView>();
  for (const v of views) {
    for (const r of v.routes) {
      const key = `${r.route}\u0000${r.host}`;
      const m = routes.get(key);
      if (m === undefined) {
        routes.set(key, { ...r });
        continue;
      }
      m.requests += r.requests;
      m.ratePerSecond += r.ratePerSecond;
      m.errorRatePerSecond += r.errorRatePerSecond;
      m.p50Ms = maxOrNull(m.p50Ms, r.p50Ms);
      m.p99Ms = maxOrNull(m.p99Ms, r.p99Ms);
    }
    for (const e of v.endpoints) {
      const key = `${e.backend}\u0000${e.address}`;
      const m = endpoints.get(key);
      if (m === undefined) {
        endpoints.set(key, { ...e });
        continue;
      }
      m.inFlight += e.inFlight;
      m.ejected ||= e.ejected;
    }
  }
  return { at: Math.max(...views.map((v) => v.at)), windowSeconds: first.windowSeconds, routes: [...routes.values()], endpoints: [...endpoints.values()] };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
