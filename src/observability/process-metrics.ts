// Process and runtime metrics under the names Prometheus client libraries use (process_*, nodejs_*),
// read at scrape time, plus garbage-collection pauses from the runtime's 'gc' performance entries.
// The event-loop lag gauge lives in event-loop-lag.ts.
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics, type HeapSpaceInfo } from 'node:v8';
import type { MetricsRegistry } from './metrics.ts';

/** GC pause buckets (seconds), as prom-client has them. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];

const GC_KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

export interface ProcessMetrics {
  /** Stops watching GC (tests; the process-wide observer otherwise lives as long as the process). */
  stop(): void;
}

export function registerProcessMetrics(registry: MetricsRegistry, version: string): ProcessMetrics {
  const startTime = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  registry.collected({
    type: 'gauge',
    name: 'gatehouse_build_info',
    help: 'Always 1; the labels tell the Gatehouse version and the Node.js version running it.',
    labelNames: ['version', 'nodejs_version'],
    samples: () => [{ labels: [version, process.version], value: 1 }],
  });
  registry.collected({
    type: 'counter',
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent, in seconds.',
    samples: () => {
      const u = process.cpuUsage();
      return [{ labels: [], value: (u.user + u.system) / 1e6 }];
    },
  });
  registry.collected({
    type: 'gauge',
    name: 'process_resident_memory_bytes',
    help: 'Resident set size, in bytes.',
    samples: () => [{ labels: [], value: process.memoryUsage.rss() }],
  });
  registry.collected({
    type: 'gauge',
    name: 'process_start_time_seconds',
    help: 'When the process started (Unix time, seconds).',
    samples: () => [{ labels: [], value: startTime }],
  });
  let heap: NodeJS.MemoryUsage | undefined;
  let spaces: HeapSpaceInfo[] = [];
  registry.onCollect(() => {
    heap = process.memoryUsage();
    spaces = getHeapSpaceStatistics();
  });
  registry.collected({
    type: 'gauge',
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use, in bytes.',
    samples: () => [{ labels: [], value: heap?.heapUsed ?? 0 }],
  });
  registry.collected({
    type: 'gauge',
    name: 'nodejs_heap_total_bytes',
    help: 'V8 heap allocated, in bytes.',
    samples: () => [{ labels: [], value: heap?.heapTotal ?? 0 }],
  });
  // By space, as prom-client names it: the young generation ("new") is the one whose size the
  // process bounds (--max-semi-space-size, docs/dataplane.md#memory); "old" is what a leak grows.
  registry.collected({
    type: 'gauge',
    name: 'nodejs_heap_space_size_total_bytes',
    help: 'V8 heap space allocated, by space (new is the young generation), in bytes.',
    labelNames: ['space'],
    samples: () => spaces.map((s) => ({ labels: [s.space_name.replace(/_space$/, '')], value: s.space_size })),
  });
  registry.collected({
    type: 'gauge',
    name: 'nodejs_external_memory_bytes',
    help: 'Memory of objects outside the V8 heap (Buffers, array buffers) that JavaScript holds, in bytes.',
    samples: () => [{ labels: [], value: heap?.external ?? 0 }],
  });
  const gc = registry.histogram({ name: 'nodejs_gc_duration_seconds', help: 'Garbage collection pauses by kind (minor, major, incremental, weakcb), in seconds.', labelNames: ['kind'], buckets: GC_BUCKETS });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS.get((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1) ?? 'other';
      gc.observe({ kind }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return { stop: () => observer.disconnect() };
}
