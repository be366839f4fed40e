// gatehouse_event_loop_lag_seconds: how late the event loop ran, so a stall (one client's flood
// parsed in one go, a synchronous hot loop) shows on /metrics instead of only as timeouts elsewhere.
// perf_hooks' monitorEventLoopDelay samples the loop continuously in C++ (a libuv timer every
// `resolutionMs`); each scrape reports the worst delay seen since the previous scrape and starts a
// new window, so a stall between two scrapes is never averaged away.
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import type { MetricsRegistry } from './metrics.ts';

export interface EventLoopLag {
  /** The worst delay in seconds since the last read (or start), without starting a new window. */
  peekSeconds(): number;
  stop(): void;
}

export function registerEventLoopLag(registry: MetricsRegistry, options: { resolutionMs?: number } = {}): EventLoopLag {
  const resolutionMs = options.resolutionMs ?? 20;
  const histogram: ELDHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const gauge = registry.gauge({
    name: 'gatehouse_event_loop_lag_seconds',
    help: 'Longest event-loop delay since the previous scrape (perf_hooks monitorEventLoopDelay).',
  });
  // The histogram records the time between two samples; the sampling interval itself is not lag.
  const peekSeconds = (): number => (histogram.count === 0 ? 0 : Math.max(0, histogram.max / 1e9 - resolutionMs / 1000));
  registry.onCollect(() => {
    gauge.set(undefined, peekSeconds());
    histogram.reset();
  });
  return {
    peekSeconds,
    stop: () => histogram.disable(),
  };
}
