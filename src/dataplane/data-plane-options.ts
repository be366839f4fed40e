// DataPlaneOptions: the stable contract the app constructs a DataPlane with. Every field is
// optional; resolveDataPlaneOptions fills in the documented defaults once, at construction.
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import type { EndpointPickerFactory } from './proxy/endpoint-picker.ts';
import type { ExchangeObserver } from './proxy/exchange-observer.ts';
import { createEndpointPicker } from './proxy/endpoint-picker.ts';
import { loggerAccessLog, type AccessLog } from './http/access-log.ts';
import { DEFAULT_RATE_LIMITER, type RateLimiterOptions } from './steps/rate-limits.ts';

/** Front-side (client-facing) limits, applied to every listener the data plane serves. */
export interface DataPlaneLimits {
  /** Request head bytes (431 beyond). Default 16 KiB. */
  maxHeaderSize: number;
  /** Request header count (431 beyond). Default 100. */
  maxHeadersCount: number;
  /** Time to receive a complete request head. Default 10 s. */
  headersTimeoutMs: number;
  /** Time to receive a complete request, body included. Default 300 s. */
  requestTimeoutMs: number;
  /** Idle time a client keep-alive connection is kept. Default 60 s. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above: small, so they fire on time. Default 1 s. */
  connectionsCheckingIntervalMs: number;
  /** Request body bytes (413 beyond); a route's policy.maxBodySize overrides it. Default: no limit. */
  maxBodySize: number | undefined;
  /** Concurrent client connections per listener; excess ones are closed at once. Default: no cap. */
  maxConnections: number | undefined;
  /**
   * A client that accepts no response bytes for this long (its socket, or its HTTP/2 stream's
   * flow-control window, holds everything back) is closed (HTTP/1) or its stream reset (HTTP/2),
   * and its upstream request aborted. nginx's send_timeout. Default 60 s.
   */
  clientSendTimeoutMs: number;
  /**
   * HTTP/1.1 requests pipelined behind the one being served that wait their turn (requests of a
   * connection go upstream one at a time, in order). One more and the connection is closed after
   * the responses already owed; nothing beyond is kept. Default 16.
   */
  maxQueuedPipelinedRequests: number;
}

/** Upstream timeouts; a route's policy (connect/read/send-timeout annotations) overrides each. */
export interface UpstreamTimeouts {
  /** TCP connect to an endpoint. Default 5 s; 504 when it fires. */
  connectTimeoutMs: number;
  /** Time to response headers, and between response body bytes. Default 60 s; 504 (or an aborted response). */
  readTimeoutMs: number;
  /** Time between request body bytes sent to the endpoint. Default 60 s. */
  sendTimeoutMs: number;
}

export interface UpstreamPoolOptions {
  /** Connections per endpoint (requests beyond wait in the pool queue). Default 256. */
  maxConnectionsPerEndpoint: number;
  /** Idle keep-alive time of an upstream connection (the backend's Keep-Alive hint can lower it). Default 4 s. */
  keepAliveTimeoutMs: number;
  /** How long the pool of an endpoint gone from the table stays open. Default 30 s. */
  poolGraceMs: number;
  /**
   * Requests that may wait for a connection of an endpoint whose connections are all busy
   * (Envoy's max_pending_requests); beyond, 503 with Retry-After at once. Default 256.
   */
  queueSize: number;
  /** Longest wait in that queue; then 503 with Retry-After. Default 10 s. */
  queueTimeoutMs: number;
}

export interface DataPlaneOptions {
  logger?: Logger;
  /** Port written in TLS redirects (omitted from the Location when 443). Default 8443. */
  httpsPort?: number;
  limits?: Partial<DataPlaneLimits>;
  timeouts?: Partial<UpstreamTimeouts>;
  upstream?: Partial<UpstreamPoolOptions>;
  /**
   * One access-log line per request: true writes them as info 'access' lines through `logger`,
   * an AccessLog writes them there (the CLI's batched writer), false turns them off. Default true.
   */
  accessLog?: boolean | AccessLog;
  /**
   * Peers whose X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host / X-Real-IP are trusted (the
   * chain is appended to, the client address taken from it). Default: trust no one (replace them).
   */
  isTrustedProxy?: (peerAddress: string) => boolean;
  /** The endpoint choice seam (affinity, balancing, health). Default: round-robin. */
  createEndpointPicker?: EndpointPickerFactory;
  /** Told about every request when it ends (metrics, live traffic statistics, tracing). Default: none. */
  observer?: ExchangeObserver;
  /** limit-rps/-rpm/-connections: the refusal status (--limit-status-code) and the tables' sizes and buffers. */
  rateLimits?: Partial<RateLimiterOptions>;
}

export interface ResolvedDataPlaneOptions {
  logger: Logger;
  httpsPort: number;
  limits: DataPlaneLimits;
  timeouts: UpstreamTimeouts;
  upstream: UpstreamPoolOptions;
  accessLog: AccessLog | undefined;
  isTrustedProxy: ((peerAddress: string) => boolean) | undefined;
  createEndpointPicker: EndpointPickerFactory;
  observer: ExchangeObserver | undefined;
  rateLimits: RateLimiterOptions;
}

export const DEFAULT_LIMITS: Readonly<DataPlaneLimits> = Object.freeze({
  maxHeaderSize: 16 * 1024,
  maxHeadersCount: 100,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
  connectionsCheckingIntervalMs: 1_000,
  maxBodySize: undefined,
  maxConnections: undefined,
  clientSendTimeoutMs: 60_000,
  maxQueuedPipelinedRequests: 16,
});

export const DEFAULT_TIMEOUTS: Readonly<UpstreamTimeouts> = Object.freeze({
  connectTimeoutMs: 5_000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
});

export const DEFAULT_UPSTREAM: Readonly<UpstreamPoolOptions> = Object.freeze({
  maxConnectionsPerEndpoint: 256,
  keepAliveTimeoutMs: 4_000,
  poolGraceMs: 30_000,
  queueSize: 256,
  queueTimeoutMs: 10_000,
});

export function resolveDataPlaneOptions(o: DataPlaneOptions = {}): ResolvedDataPlaneOptions {
  return {
    logger: o.logger ?? silentLogger,
    httpsPort: o.httpsPort ?? 8443,
    limits: { ...DEFAULT_LIMITS, ...definedOnly(o.limits) },
    timeouts: { ...DEFAULT_TIMEOUTS, ...definedOnly(o.timeouts) },
    upstream: { ...DEFAULT_UPSTREAM, ...definedOnly(o.upstream) },
    accessLog: o.accessLog === false ? undefined : o.accessLog === true || o.accessLog === undefined ? loggerAccessLog(o.logger ?? silentLogger) : o.accessLog,
    isTrustedProxy: o.isTrustedProxy,
    createEndpointPicker: o.createEndpointPicker ?? createEndpointPicker,
    observer: o.observer,
    rateLimits: { ...DEFAULT_RATE_LIMITER, ...definedOnly(o.rateLimits) },
  };
}

/** `{ a: undefined }` must not erase a default when spread. */
function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
