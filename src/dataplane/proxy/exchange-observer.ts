// The per-request observation seam: what the request path tells observers (metrics, live traffic
// statistics, tracing) about each exchange. The exchange passes itself, so observing allocates
// nothing; an observer reads the fields it needs and must not keep the object.
//
// Calls happen on the request path: an observer does a few counter bumps and returns. It must
// never throw (the exchange guards the call anyway, so a broken observer cannot break a request).
import type { RouteTarget } from '../compile-table.ts';
import type { TraceContext, TracePolicy } from './trace-context.ts';

/** What both exchanges (plain HTTP and WebSocket upgrade) expose to observers. */
export interface ObservedExchange {
  readonly req: { readonly method?: string | undefined };
  readonly scheme: 'http' | 'https';
  /** The routing host (lower-case, no port), as the client asked: for spans, never for metric labels. */
  readonly host: string;
  readonly path: string;
  readonly clientIp: string;
  /** undefined when the request matched no route (or was rejected before routing). */
  readonly target: RouteTarget | undefined;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Upstream attempts dispatched (a retry makes it 2 or more; 0 when no endpoint was tried). */
  readonly attempts: number;
  /** performance.now() when the last upstream attempt was dispatched and when it ended (0: not yet). */
  readonly upstreamStartedAt: number;
  readonly upstreamEndedAt: number;
  /** 'address:port' of the endpoint of the last attempt, when one was chosen. */
  readonly upstreamLabel: string | undefined;
  readonly error: string | undefined;
  /** The W3C trace context of this hop (always set once the request is routed). */
  readonly trace: TraceContext | undefined;
  readonly upgrade: boolean;
}

/** TracePolicy: an observer that exports spans marks new traces sampled. */
export interface ExchangeObserver extends TracePolicy {
  /**
   * Once per request, when it is over (the moment of its access-log line): `status` as logged
   * (499 when the client went away first), `durationMs` from arrival.
   */
  exchangeEnded(x: ObservedExchange, status: number, durationMs: number): void;
  /** Once per failed upstream attempt (retried or not), with the error undici or the proxy raised. */
  upstreamFailed(x: ObservedExchange, err: Error): void;
}

/** Several observers as one (metrics + traffic statistics + tracing), or undefined when none. */
export function combineObservers(observers: readonly (ExchangeObserver | undefined)[]): ExchangeObserver | undefined {
  const list = observers.filter((o): o is ExchangeObserver => o !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return {
    sampleNewTraces: list.some((o) => o.sampleNewTraces === true),
    exchangeEnded(x, status, durationMs) {
      for (const o of list) o.exchangeEnded(x, status, durationMs);
    },
    upstreamFailed(x, err) {
      for (const o of list) o.upstreamFailed(x, err);
    },
  };
}

/** Calls the observer, swallowing what it throws: observing must never break the request path. */
export function notifyEnded(observer: ExchangeObserver | undefined, x: ObservedExchange, status: number, durationMs: number): void {
  if (observer === undefined) return;
  try {
    observer.exchangeEnded(x, status, durationMs);
  } catch {
    // A broken observer loses its own numbers, not the request.
  }
}

export function notifyUpstreamFailed(observer: ExchangeObserver | undefined, x: ObservedExchange, err: Error): void {
  if (observer === undefined) return;
  try {
    observer.upstreamFailed(x, err);
  } catch {
    // As above.
  }
}

/** Kinds of upstream error as metrics label them; undefined for failures that are not the upstream's. */
export type UpstreamErrorKind = 'connect' | 'reset' | 'timeout' | 'malformed';

const CONNECT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENOTFOUND']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_SEND_TIMEOUT']);
/** The proxy's own aborts: the client went away or sent too much, not the upstream's fault. */
const NOT_UPSTREAM = new Set(['ERR_CLIENT_ABORTED', 'ERR_BODY_TOO_LARGE']);

export function upstreamErrorKind(err: Error): UpstreamErrorKind | undefined {
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  if (NOT_UPSTREAM.has(code)) return undefined;
  if (CONNECT.has(code)) return 'connect';
  if (TIMEOUT.has(code)) return 'timeout';
  if (RESET.has(code)) return 'reset';
  // HPE_* from the HTTP parser, a Content-Length mismatch, a header that cannot be relayed, an
  // invalid upgrade answer: the backend answered, but not with valid HTTP.
  return 'malformed';
}
