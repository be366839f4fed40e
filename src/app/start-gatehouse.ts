// Wires the adapters together: the only place that knows them all. The same pipeline runs in both
// modes; the source and the status sink are the only parts that differ.

import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.ts';
import { buildRouteTable } from '../core/build-route-table.ts';
import type { RouteTable } from '../core/route-table.ts';
import type { BuildOptions } from '../core/snapshot.ts';
import { DataPlane } from '../dataplane/data-plane.ts';
import { combineObservers } from '../dataplane/proxy/exchange-observer.ts';
import { assertStrictParser, currentParserEnvironment } from '../dataplane/http/assert-strict-parser.ts';
import { httpServerOptions } from '../dataplane/http/server-limits.ts';
import { createHttpsListener, type HttpsListener } from '../dataplane/tls/https-listener.ts';
import { createFrontDoor, type FrontDoor } from '../dataplane/front/front-door.ts';
import { handOffToHttpServer } from '../dataplane/front/hand-off.ts';
import { inspectCertificate } from '../dataplane/tls/inspect-certificate.ts';
import { inspectClientCa } from '../dataplane/tls/inspect-client-ca.ts'; // mtls
import { defaultTrafficState } from '../dataplane/proxy/traffic-state.ts';
import { createAdminServer } from '../observability/admin-server.ts';
import { loadDashboardAssets } from '../observability/dashboard-assets.ts';
import { registerEventLoopLag } from '../observability/event-loop-lag.ts';
import { createGatehouseMetrics, type GatehouseMetrics } from '../observability/gatehouse-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { registerBackendMetrics, registerCertificateMetrics, type CertificateExpiry } from '../observability/backend-metrics.ts';
import { createOtlpTracing, type OtlpTracing } from '../observability/otlp-tracing.ts';
import { registerProcessMetrics } from '../observability/process-metrics.ts';
import { registerRouteMetrics } from '../observability/route-metrics.ts';
import { TrafficObserver } from '../observability/traffic-observer.ts';
import { createManifestSource } from '../sources/manifests/create-manifest-source.ts';
import type { ClusterStateSource } from '../sources/object-change.ts';
import { createLoggingStatusSink } from '../status/logging-status-sink.ts';
import type { StatusSink } from '../status/status-sink.ts';
import { createBuildHistory } from './build-history.ts';
import { createLiveExplain } from './live-explain.ts';
import { createReconciler, type Reconciler } from './reconciler.ts';
import { openAccessLog } from './open-access-log.ts';
import { createTrustedProxyMatcher } from './trusted-proxies.ts';
import { readVersion } from '../config/version.ts';

export interface RunningGatehouse {
  ports: { http: number; https: number; admin: number };
  reconciler: Reconciler;
  metrics: GatehouseMetrics;
  /** Readiness off, stop accepting, drain in-flight requests (bounded by --drain-seconds), close. */
  shutdown(reason: string): Promise<void>;
}

export interface StartOptions {
  /** Takes the access-log lines instead of stdout (tests that read them); --access-log-file wins. */
  accessLogWrite?: (line: string) => void;
}

export async function startGatehouse(config: Config, logger: Logger, start: StartOptions = {}): Promise<RunningGatehouse> {
  const log = logger.child({ component: 'main' });
  const metrics = createGatehouseMetrics();
  const eventLoopLag = registerEventLoopLag(metrics.registry);
  let draining = false;

  if (config.sessionAffinityKey !== undefined) defaultTrafficState.useAffinityKey(config.sessionAffinityKey);
  const isTrustedProxy = createTrustedProxyMatcher(config.trustedProxies);
  // Per-request metrics and the live per-route statistics of /debug/traffic.
  const traffic: TrafficObserver = new TrafficObserver({ table: (): RouteTable | undefined => dataPlane.table });
  const version = readVersion().replace(/^gatehouse /, '');
  // Span export (--otlp-endpoint): the OpenTelemetry packages are loaded only then.
  const tracing: OtlpTracing | undefined =
    config.otlpEndpoint === undefined ? undefined : await createOtlpTracing({ endpoint: config.otlpEndpoint, version, logger, routes: traffic });
  const observer = combineObservers([config.metrics ? traffic : undefined, tracing]);
  const access = openAccessLog(config.accessLog, logger, start.accessLogWrite);
  const dataPlane = new DataPlane({
    ...(observer === undefined ? {} : { observer }),
    logger,
    accessLog: access.accessLog,
    httpsPort: config.httpsPort,
    limits: {
      maxHeaderSize: config.limits.maxHeaderSize,
      headersTimeoutMs: config.limits.headerTimeoutMs,
      requestTimeoutMs: config.limits.requestTimeoutMs,
      keepAliveTimeoutMs: config.limits.keepAliveTimeoutMs,
      maxBodySize: config.limits.maxBodySize,
      maxConnections: config.limits.maxConnections,
      clientSendTimeoutMs: config.limits.clientSendTimeoutMs,
    },
    timeouts: config.timeouts,
    upstream: { queueSize: config.upstreamQueue.size, queueTimeoutMs: config.upstreamQueue.timeoutMs },
    ...(isTrustedProxy === undefined ? {} : { isTrustedProxy }),
  });
  const https: HttpsListener = createHttpsListener({
    dataPlane,
    logger,
    ...(config.defaultTlsSecret === undefined ? {} : { defaultTlsSecret: `${config.defaultTlsSecret.namespace}/${config.defaultTlsSecret.name}` }),
    // tlsedge: a front door reads PROXY headers and ClientHellos before TLS.
    ...(config.proxyProtocol === true || config.enableSslPassthrough === true
      ? { front: { proxyProtocol: config.proxyProtocol === true, passthrough: config.enableSslPassthrough === true, ...maxConnections(config) } }
      : {}),
  });

  const { source, statusSink } = await createAdapters(config, logger);

  const buildOptions = (): BuildOptions => ({
    controllerName: config.controllerName,
    watchIngressWithoutClass: config.watchIngressWithoutClass,
    allowCrossNamespaceSecrets: config.allowCrossNamespaceSecrets,
    ...(config.enableSslPassthrough === true ? { enableSslPassthrough: true } : {}), // tlsedge
    ...(config.defaultBackend === undefined ? {} : { defaultBackend: { ...config.defaultBackend } }),
    inspectCertificate,
    inspectClientCa, // mtls
    now: new Date().toISOString(),
  });

  // The last builds and what each changed, for /debug/builds and the dashboard.
  const builds = createBuildHistory();
  const reconciler = createReconciler({
    source,
    build: builds.build(buildRouteTable),
    buildOptions,
    apply: (table, snapshot) => {
      try {
        dataPlane.apply(table);
        https.apply(table, snapshot.secrets);
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
    return undefined;
  };
  // Per-request series, process and runtime, ejections and affinity hits, certificate expiry.
  registerRouteMetrics(metrics.registry, () => traffic.series());
  const processMetrics = registerProcessMetrics(metrics.registry, version);
  registerBackendMetrics(metrics.registry, () => defaultTrafficState.snapshot().backends);
  registerCertificateMetrics(metrics.registry, () => {
    const out: CertificateExpiry[] = Object.values(reconciler.table()?.certificates ?? {}).map((c) => ({ id: c.id, notAfter: c.notAfter }));
    const d = https.status().defaultCertificate;
    if (d.source === 'secret' && !out.some((c) => c.id === d.id)) out.push({ id: d.id, notAfter: d.notAfter });
    return out;
  });
  metrics.registry.onCollect(() => {
    const stats = dataPlane.stats();
    metrics.connections.set(undefined, stats.connections);
    metrics.inFlightRequests.set(undefined, stats.inFlightRequests);
    metrics.ejectedEndpoints.set(undefined, defaultTrafficState.snapshot().ejectedEndpoints);
  });
  const admin = createAdminServer({
    metrics: metrics.registry,
    logger,
    debug: {
      // Per route: requests, rates, latency quantiles; per endpoint: ejection and requests in flight.
      traffic: () => traffic.view(defaultTrafficState.health.snapshot()),
      // Passive health, retry budgets and panics (the data plane's default picker state).
      health: () => defaultTrafficState.snapshot(),
      tls: () => https.status(),
      dataplane: () => dataPlane.stats(),
      builds: () => builds.view(),
    },
    dashboard: loadDashboardAssets(),
    explain: createLiveExplain({
      config,
      table: () => reconciler.table(),
      diagnostics: () => reconciler.diagnostics(),
      traffic: defaultTrafficState,
      httpsPort: () => dataPlane.options.httpsPort,
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

  const serverOptions = httpServerOptions(dataPlane.options.limits);
  assertStrictParser(currentParserEnvironment(), serverOptions);
  // Probes answer (503) from the first moment; traffic listeners follow.
  const adminPort = await listen(admin, config.adminBind, config.adminPort);
  const httpServer = createHttpServer(serverOptions);
  dataPlane.attach(httpServer, 'http');
  // tlsedge: with --proxy-protocol a front door accepts and hands the socket on after the header.
  const httpFront: FrontDoor | undefined =
    config.proxyProtocol === true
      ? createFrontDoor({ proxyProtocol: true, logger, accept: (socket) => handOffToHttpServer(httpServer, socket), ...maxConnections(config) })
      : undefined;
  const httpPort = httpFront !== undefined ? await httpFront.listen(config.bind, config.httpPort) : await listen(httpServer, config.bind, config.httpPort);
  const httpsPort = await https.listen(config.bind, config.httpsPort);
  // With --https-port 0 the redirect target is only known now.
  dataPlane.options.httpsPort = httpsPort;
  const ports = { http: httpPort, https: httpsPort, admin: adminPort };
  log.info('listening', { bind: config.bind, adminBind: config.adminBind, ...ports, mode: config.mode });

  await reconciler.start();

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      draining = true;
      metrics.ready.set(undefined, 0);
      const stats = dataPlane.stats();
      log.info('shutting down: draining', { reason, drainSeconds: config.drainSeconds, inFlightRequests: stats.inFlightRequests, connections: stats.connections });
      await Promise.allSettled([reconciler.stop(), statusSink.stop()]);
      await httpFront?.close(); // tlsedge
      await dataPlane.stop(config.drainSeconds * 1000);
      await https.close(0);
      await tracing?.shutdown();
      processMetrics.stop();
      const left = dataPlane.stats();
      log.info('drained', { requestsTotal: left.requestsTotal });
      await closeServer(admin);
      await access.close();
      eventLoopLag.stop();
    })();
    return shuttingDown;
  };

  return { ports, reconciler, metrics, shutdown };
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
  const source = createKubeSource({ logger, kubeConfig: loaded.kubeConfig, watchNamespaces: k.watchNamespaces });
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

function maxConnections(config: Config): { maxConnections?: number } {
  return config.limits.maxConnections === undefined ? {} : { maxConnections: config.limits.maxConnections };
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
