// Everything one data-plane thread runs, built from the Config: the DataPlane and its plain-HTTP
// listener, the HTTPS listener, the access log, the per-request observer (metrics, /debug/traffic,
// spans) and the metrics only the data plane can answer. `--workers 1` builds one of these in the
// main thread beside the control plane (start-gatehouse.ts); `--workers N` builds one per worker
// thread (dataplane/workers/data-plane-worker.ts), each listening on the same ports with
// SO_REUSEPORT. Either way the control plane only applies tables to it and stops it.

import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.ts';
import type { RouteTable } from '../core/route-table.ts';
import type { Secret } from '../core/model.ts';
import { DataPlane, type DataPlaneStats } from '../dataplane/data-plane.ts';
import { combineObservers } from '../dataplane/proxy/exchange-observer.ts';
import { assertStrictParser, currentParserEnvironment } from '../dataplane/http/assert-strict-parser.ts';
import { httpServerOptions } from '../dataplane/http/server-limits.ts';
import { createFrontDoor, type FrontDoor } from '../dataplane/front/front-door.ts';
import { handOffToEngine } from '../dataplane/front/hand-off.ts';
import { createHttpsListener, type HttpsListener, type HttpsListenerStatus } from '../dataplane/tls/https-listener.ts';
import { defaultTrafficState, type TrafficSnapshot } from '../dataplane/proxy/traffic-state.ts';
import type { GatehouseMetrics } from '../observability/gatehouse-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { registerBackendMetrics, registerCertificateMetrics, type CertificateExpiry } from '../observability/backend-metrics.ts';
import { createOtlpTracing, type OtlpTracing } from '../observability/otlp-tracing.ts';
import { registerRouteMetrics } from '../observability/route-metrics.ts';
import { TrafficObserver, type TrafficView } from '../observability/traffic-observer.ts';
import type { LimitTables } from '../dataplane/workers/limit-tables.ts';
import { openAccessLog } from './open-access-log.ts';
import { createTrustedProxyMatcher } from './trusted-proxies.ts';

export interface DataPlaneThread {
  readonly dataPlane: DataPlane;
  readonly https: HttpsListener;
  /** Swaps in a build's table (and the Secrets --default-tls-secret is looked up in). */
  apply(table: RouteTable, secrets: ReadonlyMap<string, Secret>): void;
  /** Binds the plain and TLS listeners; with reusePort every worker binds the same ports. */
  listen(bind: string, ports: { http: number; https: number }, reusePort: boolean): Promise<{ http: number; https: number }>;
  /** The /debug views this thread answers for, one by one. */
  readonly view: { readonly [K in keyof DataPlaneViews]: () => DataPlaneViews[K] };
  /** All of them (a worker's answer to the control plane). */
  views(): DataPlaneViews;
  /** Drains (bounded by drainMs), closes the listeners, flushes the access log and the span exporter. */
  stop(drainMs: number): Promise<void>;
}

export interface DataPlaneViews {
  traffic: TrafficView;
  health: TrafficSnapshot;
  tls: HttpsListenerStatus;
  dataplane: DataPlaneStats;
}

export interface DataPlaneThreadOptions {
  /** The registry the data plane's series go in (the process's, or the worker's own). */
  metrics: GatehouseMetrics;
  version: string;
  /** Takes the access-log lines instead of stdout (in-process tests); --access-log-file wins. */
  accessLogWrite?: (line: string) => void;
  /** This thread's share of --max-connections (each worker accepts on its own socket). */
  maxConnections?: number;
  /** The per-client limit tables every worker shares, and this worker's owner number in them. Default: the DataPlane's own. */
  limits?: { tables: LimitTables; owner: number };
}

export async function startDataPlane(config: Config, logger: Logger, options: DataPlaneThreadOptions): Promise<DataPlaneThread> {
  if (config.sessionAffinityKey !== undefined) defaultTrafficState.useAffinityKey(config.sessionAffinityKey);
  const isTrustedProxy = createTrustedProxyMatcher(config.trustedProxies);
  // Per-request metrics and the live per-route statistics of /debug/traffic.
  const traffic: TrafficObserver = new TrafficObserver({ table: (): RouteTable | undefined => dataPlane.table });
  // Span export (--otlp-endpoint): the OpenTelemetry packages are loaded only then.
  const tracing: OtlpTracing | undefined =
    config.otlpEndpoint === undefined ? undefined : await createOtlpTracing({ endpoint: config.otlpEndpoint, version: options.version, logger, routes: traffic });
  const observer = combineObservers([config.metrics ? traffic : undefined, tracing]);
  const access = openAccessLog(config.accessLog, logger, options.accessLogWrite);
  const maxConnections = options.maxConnections ?? config.limits.maxConnections;
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
      maxConnections,
      clientSendTimeoutMs: config.limits.clientSendTimeoutMs,
    },
    timeouts: config.timeouts,
    upstream: { queueSize: config.upstreamQueue.size, queueTimeoutMs: config.upstreamQueue.timeoutMs },
    rateLimits: { statusCode: config.limits.limitStatusCode, ...(options.limits === undefined ? {} : { tables: options.limits.tables, owner: options.limits.owner }) },
    ...(isTrustedProxy === undefined ? {} : { isTrustedProxy }),
  });
  const https: HttpsListener = createHttpsListener({
    dataPlane,
    logger,
    ...(config.defaultTlsSecret === undefined ? {} : { defaultTlsSecret: `${config.defaultTlsSecret.namespace}/${config.defaultTlsSecret.name}` }),
    // A front door reads PROXY headers and ClientHellos before TLS (dataplane/front/).
    ...(config.proxyProtocol === true || config.enableSslPassthrough === true
      ? { front: { proxyProtocol: config.proxyProtocol === true, passthrough: config.enableSslPassthrough === true, ...(maxConnections === undefined ? {} : { maxConnections }) } }
      : {}),
  });

  // Per-request series, ejections and affinity hits, certificate expiry, connections.
  const registry = options.metrics.registry;
  registerRouteMetrics(registry, () => traffic.series());
  registerBackendMetrics(registry, () => defaultTrafficState.snapshot().backends);
  registerCertificateMetrics(registry, () => {
    const out: CertificateExpiry[] = Object.values(dataPlane.table?.certificates ?? {}).map((c) => ({ id: c.id, notAfter: c.notAfter }));
    const d = https.status().defaultCertificate;
    if (d.source === 'secret' && !out.some((c) => c.id === d.id)) out.push({ id: d.id, notAfter: d.notAfter });
    return out;
  });
  registry.onCollect(() => {
    const stats = dataPlane.stats();
    options.metrics.connections.set(undefined, stats.connections);
    options.metrics.inFlightRequests.set(undefined, stats.inFlightRequests);
    options.metrics.ejectedEndpoints.set(undefined, defaultTrafficState.snapshot().ejectedEndpoints);
  });

  const view = {
    // Per route: requests, rates, latency quantiles; per endpoint: ejection and requests in flight.
    traffic: () => traffic.view(defaultTrafficState.health.snapshot()),
    // Passive health, retry budgets and panics (the data plane's default picker state).
    health: () => defaultTrafficState.snapshot(),
    tls: () => https.status(),
    dataplane: () => dataPlane.stats(),
  };
  let httpServer: Server | undefined;
  let httpFront: FrontDoor | undefined;
  return {
    dataPlane,
    https,
    apply(table, secrets) {
      dataPlane.apply(table);
      https.apply(table, secrets);
    },
    async listen(bind, ports, reusePort) {
      // HTTP/2 still runs on Node's parser: it must be the strict one (assert-strict-parser.ts).
      assertStrictParser(currentParserEnvironment(), httpServerOptions(dataPlane.options.limits));
      // With --proxy-protocol a front door accepts and hands the socket on after the header.
      httpFront =
        config.proxyProtocol === true
          ? createFrontDoor({ proxyProtocol: true, logger, accept: (socket) => handOffToEngine((s) => dataPlane.serveHttp1(s, 'http'), socket), ...(maxConnections === undefined ? {} : { maxConnections }) })
          : undefined;
      // --listen-sockets: several sockets per port, each accepting one connection per event-loop turn.
      const sockets = config.listenSockets;
      const http = httpFront !== undefined ? await httpFront.listen(bind, ports.http, { reusePort, sockets }) : (await dataPlane.listenHttp(bind, ports.http, { reusePort, sockets })).port;
      const httpsPort = await https.listen(bind, ports.https, { reusePort, sockets });
      // With --https-port 0 the redirect target is only known now.
      dataPlane.options.httpsPort = httpsPort;
      return { http, https: httpsPort };
    },
    view,
    views: () => ({ traffic: view.traffic(), health: view.health(), tls: view.tls(), dataplane: view.dataplane() }),
    async stop(drainMs) {
      await httpFront?.close();
      await dataPlane.stop(drainMs);
      await https.close(0);
      await tracing?.shutdown();
      await access.close();
    },
  };
}

function listen(server: Server, host: string, port: number, reusePort: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
