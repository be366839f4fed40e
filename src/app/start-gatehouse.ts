// Wires the adapters together: the only place that knows them all. The same pipeline runs in both
// modes; the source and the status sink are the only parts that differ. The data plane runs in this
// thread (--workers 1, start-data-plane.ts) or in worker threads (worker-group.ts).

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.ts';
import { buildRouteTable } from '../core/build-route-table.ts';
import type { BuildOptions } from '../core/snapshot.ts';
import { compileTable } from '../dataplane/compile-table.ts';
import { inspectCertificate } from '../dataplane/tls/inspect-certificate.ts';
import { inspectClientCa } from '../dataplane/tls/inspect-client-ca.ts'; // mtls
import { defaultTrafficState } from '../dataplane/proxy/traffic-state.ts';
import { createAdminServer } from '../observability/admin-server.ts';
import { loadDashboardAssets } from '../observability/dashboard-assets.ts';
import { registerEventLoopLag } from '../observability/event-loop-lag.ts';
import { createGatehouseMetrics, type GatehouseMetrics } from '../observability/gatehouse-metrics.ts';
import { shareStdoutAcrossThreads } from '../observability/line-writer.ts';
import type { Logger } from '../observability/logger.ts';
import { mergeExposition } from '../observability/merge-exposition.ts';
import { registerProcessMetrics } from '../observability/process-metrics.ts';
import { createManifestSource } from '../sources/manifests/create-manifest-source.ts';
import type { ClusterStateSource } from '../sources/object-change.ts';
import { createLoggingStatusSink } from '../status/logging-status-sink.ts';
import type { StatusSink } from '../status/status-sink.ts';
import { createBuildHistory } from './build-history.ts';
import { createLiveExplain } from './live-explain.ts';
import { createReconciler, type Reconciler } from './reconciler.ts';
import { startDataPlane } from './start-data-plane.ts';
import { createWorkerGroup, type WorkerGroup } from './worker-group.ts';
import { createWorkerViews, registerWorkerMetrics } from './worker-views.ts';
import { readVersion } from '../config/version.ts';

export interface RunningGatehouse {
  ports: { http: number; https: number; admin: number };
  reconciler: Reconciler;
  metrics: GatehouseMetrics;
  /** The data-plane worker threads, with --workers N > 1. */
  workers?: WorkerGroup;
  /** Readiness off, stop accepting, drain in-flight requests (bounded by --drain-seconds), close. */
  shutdown(reason: string): Promise<void>;
}

export interface StartOptions {
  /** Takes the access-log lines instead of stdout (tests that read them, --workers 1 only); --access-log-file wins. */
  accessLogWrite?: (line: string) => void;
}

export async function startGatehouse(config: Config, logger: Logger, start: StartOptions = {}): Promise<RunningGatehouse> {
  const log = logger.child({ component: 'main' });
  const metrics = createGatehouseMetrics();
  const eventLoopLag = registerEventLoopLag(metrics.registry);
  let draining = false;
  const version = readVersion().replace(/^gatehouse /, '');

  // --workers 1: the data plane runs here, beside the control plane. --workers N: in N threads
  // (worker-group.ts), which get every table this thread builds; the affinity key is this thread's
  // (random, or --session-affinity-key-file), so /debug/explain and every worker agree on it.
  if (config.sessionAffinityKey !== undefined) defaultTrafficState.useAffinityKey(config.sessionAffinityKey);
  const group = config.workers > 1 ? createWorkerGroup({ ...config, sessionAffinityKey: defaultTrafficState.affinityKey }, logger, version) : undefined;
  if (group !== undefined && start.accessLogWrite !== undefined) throw new Error('accessLogWrite needs --workers 1 (worker threads write the access log themselves)');
  if (group !== undefined) shareStdoutAcrossThreads();
  const local = group !== undefined ? undefined : await startDataPlane(config, logger, { metrics, version, ...(start.accessLogWrite === undefined ? {} : { accessLogWrite: start.accessLogWrite }) });

  const { source, statusSink } = await createAdapters(config, logger);

  const buildOptions = (): BuildOptions => ({
    controllerName: config.controllerName,
    watchIngressWithoutClass: config.watchIngressWithoutClass,
    allowCrossNamespaceSecrets: config.allowCrossNamespaceSecrets,
    snippets: config.snippets,
    ...(config.enableSslPassthrough === true ? { enableSslPassthrough: true } : {}), // tlsedge
    ...(config.defaultBackend === undefined ? {} : { defaultBackend: { ...config.defaultBackend } }),
    inspectCertificate,
    inspectClientCa, // mtls
    now: new Date().toISOString(),
  });

  // The last builds and what each changed, for /debug/builds and the dashboard.
  const builds = createBuildHistory();
  const defaultSecret = config.defaultTlsSecret === undefined ? undefined : `${config.defaultTlsSecret.namespace}/${config.defaultTlsSecret.name}`;
  const reconciler = createReconciler({
    source,
    build: builds.build(buildRouteTable),
    buildOptions,
    apply: (table, snapshot) => {
      try {
        if (local !== undefined) local.apply(table, snapshot.secrets);
        else {
          // Compiled here first: a table the workers could not compile is refused once, here, and
          // the last good one keeps serving, as with one thread.
          compileTable(table);
          const secret = defaultSecret === undefined ? undefined : snapshot.secrets.get(defaultSecret);
          group!.apply(table, secret === undefined ? new Map() : new Map([[defaultSecret!, secret]]));
        }
      } catch (err) {
        builds.applyFailed(err);
        throw err;
      }
      builds.applied(table);
    },
    statusSink,
    logger,
    metrics,
  });

  const notReadyReason = (): string | undefined => {
    if (draining) return 'shutting down';
    if (!reconciler.synced) return config.mode === 'kubernetes' ? 'waiting for the first list of every watched kind' : 'loading manifests';
    if (reconciler.table() === undefined) return 'no route table applied yet';
    if (group !== undefined && !group.applied()) return 'no data-plane worker serving the route table yet';
    return undefined;
  };
  // The bound ports (known once the listeners are up; port 0 is allowed).
  let listening = { http: config.httpPort, https: config.httpsPort };
  const processMetrics = registerProcessMetrics(metrics.registry, version);
  if (group !== undefined) registerWorkerMetrics(metrics.registry, group);
  const workerViews = group === undefined ? undefined : createWorkerViews(group);
  const admin = createAdminServer({
    metrics: metrics.registry,
    ...(group === undefined ? {} : { renderMetrics: async () => mergeExposition([metrics.registry.render(), ...(await group.metrics())]) }),
    logger,
    // traffic, health, tls, dataplane: this thread's data plane, or every worker's merged.
    debug:
      workerViews !== undefined
        ? { ...workerViews, builds: () => builds.view() }
        : { ...local!.view, builds: () => builds.view() },
    dashboard: loadDashboardAssets(),
    explain: createLiveExplain({
      config,
      table: () => reconciler.table(),
      diagnostics: () => reconciler.diagnostics(),
      traffic: defaultTrafficState,
      httpsPort: () => local?.dataPlane.options.httpsPort ?? listening.https,
    }),
    state: {
      notReadyReason: () => {
        const reason = notReadyReason();
        metrics.ready.set(undefined, reason === undefined ? 1 : 0);
        return reason;
      },
      table: () => reconciler.table(),
      diagnostics: () => reconciler.diagnostics(),
    },
  });

  // Probes answer (503) from the first moment; traffic listeners follow.
  const adminPort = await listen(admin, config.adminBind, config.adminPort);
  try {
    listening = local !== undefined ? await local.listen(config.bind, listening, false) : await group!.start();
  } catch (err) {
    await closeServer(admin);
    throw err;
  }
  const ports = { http: listening.http, https: listening.https, admin: adminPort };
  log.info('listening', { bind: config.bind, adminBind: config.adminBind, ...ports, mode: config.mode, workers: config.workers });

  await reconciler.start();

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      draining = true;
      metrics.ready.set(undefined, 0);
      const stats = local?.dataPlane.stats();
      log.info('shutting down: draining', { reason, drainSeconds: config.drainSeconds, workers: config.workers, ...(stats === undefined ? {} : { inFlightRequests: stats.inFlightRequests, connections: stats.connections }) });
      await Promise.allSettled([reconciler.stop(), statusSink.stop()]);
      let requestsTotal: number;
      if (local !== undefined) {
        await local.stop(config.drainSeconds * 1000);
        requestsTotal = local.dataPlane.stats().requestsTotal;
      } else {
        requestsTotal = await group!.stop(config.drainSeconds * 1000);
      }
      processMetrics.stop();
      log.info('drained', { requestsTotal });
      await closeServer(admin);
      eventLoopLag.stop();
    })();
    return shuttingDown;
  };

  return { ports, reconciler, metrics, ...(group === undefined ? {} : { workers: group }), shutdown };
}

async function createAdapters(config: Config, logger: Logger): Promise<{ source: ClusterStateSource; statusSink: StatusSink }> {
  if (config.mode === 'manifests') {
    return {
      source: createManifestSource({ paths: config.manifests, logger }),
      statusSink: createLoggingStatusSink(logger),
    };
  }
  // Loaded only in Kubernetes mode: the client library is large and manifest mode never needs it.
  const [{ loadKubeConfig }, { createKubeSource }, { createKubeStatusSink }] = await Promise.all([
    import('../kube/load-kube-config.ts'),
    import('../sources/kube/create-kube-source.ts'),
    import('../status/create-kube-status-sink.ts'),
  ]);
  const k = config.kube;
  const loaded = loadKubeConfig({
    ...(k.kubeconfig === undefined ? {} : { kubeconfig: k.kubeconfig }),
    ...(k.context === undefined ? {} : { context: k.context }),
  });
  logger.info('using the Kubernetes API', { component: 'main', kubeconfig: loaded.origin, watchNamespaces: k.watchNamespaces });
  const source = createKubeSource({ logger, kubeConfig: loaded.kubeConfig, watchNamespaces: k.watchNamespaces, allowCrossNamespaceSecrets: config.allowCrossNamespaceSecrets });
  const statusSink = createKubeStatusSink({
    logger,
    kubeConfig: loaded.kubeConfig,
    controllerName: config.controllerName,
    watchNamespaces: k.watchNamespaces,
    publishAddresses: k.publishAddresses,
    leaderElect: k.leaderElect,
    leaderElectionId: k.leaderElectionId,
    ...(k.publishService === undefined ? {} : { publishService: k.publishService }),
    ...(k.leaderElectionNamespace === undefined ? {} : { leaderElectionNamespace: k.leaderElectionNamespace }),
  });
  return { source, statusSink };
}


function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
