// The reconcile loop: source → store → debounce → buildRouteTable → apply + status + diagnostics.
// The same loop serves the manifest mode and the Kubernetes mode; only the source differs.
// A build (or an apply) that throws is logged and metered, and the last good table keeps serving.

import type { Diagnostic } from '../core/diagnostics.ts';
import { diagnosticOrder } from '../core/diagnostics.ts';
import type { BuildResult, RouteTable } from '../core/route-table.ts';
import type { BuildOptions, Snapshot } from '../core/snapshot.ts';
import type { GatehouseMetrics } from '../observability/gatehouse-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClusterStateSource, ObjectChange } from '../sources/object-change.ts';
import type { StatusSink } from '../status/status-sink.ts';
import { createDebouncer, type Debouncer } from '../store/debouncer.ts';
import { createObjectStore, OBJECT_KINDS, type ObjectStore } from '../store/object-store.ts';
import { createDiagnosticLog, type DiagnosticLog } from './diagnostic-log.ts';

export interface ReconcilerOptions {
  source: ClusterStateSource;
  build: (snapshot: Snapshot, options: BuildOptions) => BuildResult;
  /** Fresh options per build (BuildOptions.now is read here, never inside the core). */
  buildOptions: () => BuildOptions;
  /** Hands the table to the data plane (and the HTTPS listener). Throwing keeps the previous table. */
  apply: (table: RouteTable, snapshot: Snapshot) => void;
  statusSink: StatusSink;
  logger: Logger;
  metrics: GatehouseMetrics;
  store?: ObjectStore;
  /** Debounce hold-off and cap. Defaults 100 ms and 500 ms. */
  holdOffMs?: number;
  maxDelayMs?: number;
  /** Rebuild this often even without changes, so certificate expiry is noticed. Default 1 h; 0 = never. */
  resyncIntervalMs?: number;
}

export interface Reconciler {
  /** Starts the source; resolves once it has started (not necessarily synced). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The source delivered its first full view. */
  readonly synced: boolean;
  /** The table the data plane serves (undefined before the first successful apply). */
  table(): RouteTable | undefined;
  /** Current diagnostics: the last good build's plus every source's, sorted. */
  diagnostics(): Diagnostic[];
  /** Resolves after the first table is applied. */
  firstApplied(): Promise<void>;
  /** Builds now if a build is pending (tests and shutdown). */
  flush(): void;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const log = options.logger.child({ component: 'reconcile' });
  const store = options.store ?? createObjectStore();
  const metrics = options.metrics;
  const sourceDiagnostics = new Map<string, Diagnostic[]>();
  const diagnosticLog: DiagnosticLog = createDiagnosticLog(options.logger.child({ component: 'diagnostics' }));
  let buildDiagnostics: Diagnostic[] = [];
  let table: RouteTable | undefined;
  let synced = false;
  let stopped = false;
  let resyncTimer: NodeJS.Timeout | undefined;
  let resolveFirst: () => void = () => {};
  const first = new Promise<void>((resolve) => (resolveFirst = resolve));

  const allDiagnostics = (): Diagnostic[] => {
    const all = [...buildDiagnostics];
    for (const list of sourceDiagnostics.values()) all.push(...list);
    return all.sort(diagnosticOrder);
  };

  const publishDiagnostics = (): void => {
    const all = allDiagnostics();
    diagnosticLog.update(all);
    metrics.diagnostics.reset();
    for (const d of all) metrics.diagnostics.inc({ code: d.code, severity: d.severity });
  };

  const rebuild = (): void => {
    if (stopped || !synced) return;
    const snapshot = store.snapshot();
    const started = performance.now();
    let result: BuildResult;
    try {
      result = options.build(snapshot, options.buildOptions());
    } catch (err) {
      metrics.buildErrors.inc();
      log.error('route table build failed; the last good table keeps serving', { err, code: 'ERR_BUILD_FAILED' });
      return;
    } finally {
      metrics.builds.inc();
      metrics.lastBuildSeconds.set(undefined, (performance.now() - started) / 1000);
    }
    try {
      options.apply(result.table, snapshot);
    } catch (err) {
      metrics.buildErrors.inc();
      log.error('route table apply failed; the last good table keeps serving', { err, code: 'ERR_APPLY_FAILED' });
      return;
    }
    const firstTable = table === undefined;
    table = result.table;
    buildDiagnostics = result.diagnostics;
    recordTableMetrics(result.table);
    publishDiagnostics();
    try {
      options.statusSink.update({ status: result.status, diagnostics: result.diagnostics });
    } catch (err) {
      log.error('status sink failed', { err });
    }
    const counts = countRoutes(result.table);
    log.info(firstTable ? 'first route table applied' : 'route table applied', {
      virtualHosts: counts.virtualHosts,
      routes: counts.routes,
      backends: counts.backends,
      diagnostics: result.diagnostics.length,
    });
    if (firstTable) resolveFirst();
  };

  const recordTableMetrics = (t: RouteTable): void => {
    const counts = countRoutes(t);
    metrics.virtualHosts.set(undefined, counts.virtualHosts);
    metrics.routes.set(undefined, counts.routes);
    metrics.backends.set(undefined, counts.backends);
    metrics.lastAppliedTimestamp.set(undefined, Math.floor(Date.now() / 1000));
    const objectCounts = store.counts();
    for (const kind of OBJECT_KINDS) metrics.objects.set({ kind }, objectCounts[kind]);
  };

  const debouncer: Debouncer = createDebouncer({
    holdOffMs: options.holdOffMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 500,
    run: rebuild,
  });

  const onChange = (change: ObjectChange): void => {
    if (stopped) return;
    try {
      switch (change.type) {
        case 'synced':
          if (!synced) {
            synced = true;
            log.info('source synced; building the first route table');
            // The first build runs at once: nothing to coalesce, and readiness waits on it.
            debouncer.flush(true);
          }
          return;
        case 'sourceDiagnostics':
          if (change.diagnostics.length === 0) sourceDiagnostics.delete(change.origin);
          else sourceDiagnostics.set(change.origin, change.diagnostics);
          publishDiagnostics();
          return;
        default:
          // Never before the first `synced`: a partial view would serve a partial table.
          if (store.apply(change) && synced) debouncer.trigger();
      }
    } catch (err) {
      log.error('applying a change failed', { err, change: change.type });
    }
  };

  return {
    async start() {
      await options.source.start(onChange);
      const every = options.resyncIntervalMs ?? 3_600_000;
      if (every > 0) {
        resyncTimer = setInterval(() => {
          if (synced) debouncer.trigger();
        }, every);
        resyncTimer.unref();
      }
    },
    async stop() {
      stopped = true;
      debouncer.cancel();
      if (resyncTimer !== undefined) clearInterval(resyncTimer);
      await options.source.stop();
    },
    get synced() {
      return synced;
    },
    table: () => table,
    diagnostics: allDiagnostics,
    firstApplied: () => first,
    flush: () => debouncer.flush(),
  };
}

function countRoutes(t: RouteTable): { virtualHosts: number; routes: number; backends: number } {
  let routes = 0;
  for (const vh of t.virtualHosts) routes += vh.routes.length;
  return { virtualHosts: t.virtualHosts.length, routes, backends: Object.keys(t.backends).length };
}
