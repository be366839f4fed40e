// OpenTelemetry export (--otlp-endpoint): one server span per request, sent over OTLP/HTTP
// (protobuf) in batches by the official SDK. The packages are loaded with a dynamic import only
// when export is on, so a Gatehouse without --otlp-endpoint never loads them.
//
// The span is made when the exchange ends, with the times it recorded. Its ids are the ones the
// proxy already propagated (trace-context.ts): the trace id, and as span id the parent id sent
// upstream, so the backend's spans hang under this one. The SDK's sampler is parent-based
// (always-on for new traces, which the proxy marks sampled), so a caller's "not sampled" holds.
import type { Span, SpanKind as SpanKindType, Tracer } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace';
import type { ExchangeObserver, ObservedExchange } from '../dataplane/proxy/exchange-observer.ts';
import type { Logger } from './logger.ts';
import type { TrafficObserver } from './traffic-observer.ts';

export interface OtlpTracingOptions {
  /** The traces URL (…/v1/traces). */
  endpoint: string;
  /** Gatehouse's version, for the resource. */
  version: string;
  logger: Logger;
  /** Resolves route targets to their Ingress, Service and path (shared with the metrics). */
  routes: TrafficObserver;
  /** Export batching (tests make it short). Default 1 s. */
  scheduledDelayMillis?: number;
}

export interface OtlpTracing extends ExchangeObserver {
  /** Exports what is queued and stops (at shutdown). */
  shutdown(): Promise<void>;
}

/** Methods the HTTP semantic conventions know; others are reported as _OTHER with the original. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** Hands the tracer the ids the proxy already chose, one span at a time (spans are made synchronously). */
class HopIds implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return this.spanId;
  }
}

export async function createOtlpTracing(options: OtlpTracingOptions): Promise<OtlpTracing> {
  const [api, sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
  ]);
  const log = options.logger.child({ component: 'tracing' });
  // The SDK reports export failures (collector down, refused) through its diag logger: one warning
  // a minute at most, so an absent collector does not flood the log.
  let lastDiag = -Infinity;
  const diag = (message: string, ...args: unknown[]): void => {
    const now = performance.now();
    if (now - lastDiag < 60_000) return;
    lastDiag = now;
    log.warn('OpenTelemetry export trouble (further messages suppressed for a minute)', { detail: [message, ...args.map(String)].join(' ').slice(0, 500) });
  };
  const quiet = (): void => {};
  api.diag.setLogger({ error: diag, warn: diag, info: quiet, debug: quiet, verbose: quiet }, api.DiagLogLevel.WARN);
  const ids = new HopIds();
  const exporter = new OTLPTraceExporter({ url: options.endpoint });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'gatehouse', 'service.version': options.version }),
    idGenerator: ids,
    sampler: new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: options.scheduledDelayMillis ?? 1000 })],
  });
  const tracer: Tracer = provider.getTracer('gatehouse', options.version);
  const SERVER: SpanKindType = api.SpanKind.SERVER;
  let failures = 0;

  const end = (x: ObservedExchange, status: number, durationMs: number): void => {
    const t = x.trace;
    if (t === undefined) return;
    let ctx = api.ROOT_CONTEXT;
    if (t.parentSpanId !== undefined) {
      const parent = { traceId: t.traceId, spanId: t.parentSpanId, traceFlags: t.flags, isRemote: true, ...(t.traceState === undefined ? {} : { traceState: api.createTraceState(t.traceState) }) };
      ctx = api.trace.setSpanContext(ctx, parent);
    }
    const rawMethod = x.req.method ?? '';
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
    const route = x.target === undefined ? undefined : options.routes.describe(x.target, x.host);
    const attributes: Record<string, string | number | boolean> = {
      'http.request.method': method,
      'http.response.status_code': status,
      'url.scheme': x.scheme,
      'url.path': x.path,
      'server.address': x.host,
      'client.address': x.clientIp,
    };
    if (method === '_OTHER') attributes['http.request.method_original'] = rawMethod;
    if (route !== undefined && x.target !== undefined) {
      if (route.path !== '') attributes['http.route'] = route.path;
      attributes['gatehouse.route'] = x.target.routeId;
      attributes['k8s.namespace.name'] = route.labels.namespace;
      attributes['gatehouse.ingress'] = route.labels.ingress;
      attributes['gatehouse.host'] = route.labels.host;
      attributes['gatehouse.service'] = route.labels.service;
    }
    const upstream = x.upstreamLabel;
    if (upstream !== undefined) attributes['gatehouse.upstream.address'] = upstream;
    if (x.attempts > 0) attributes['gatehouse.upstream.attempts'] = x.attempts;
    if (x.upgrade) attributes['gatehouse.upgrade'] = true;
    if (status >= 500) attributes['error.type'] = x.error ?? String(status);
    ids.traceId = t.traceId;
    ids.spanId = t.spanId;
    const name = route !== undefined && route.path !== '' ? `${method} ${route.path}` : method;
    const span: Span = tracer.startSpan(name, { kind: SERVER, startTime: x.startedAt, attributes }, ctx);
    // Server spans: 5xx is an error, 4xx is the client's (semantic conventions).
    if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
    span.end(x.startedAt + durationMs);
  };

  log.info('exporting traces over OTLP/HTTP', { endpoint: options.endpoint });
  return {
    sampleNewTraces: true,
    exchangeEnded(x, status, durationMs) {
      try {
        end(x, status, durationMs);
      } catch (err) {
        // Never on the request's account; said once, not per request.
        if (failures++ === 0) log.warn('a span could not be recorded', { err });
      }
    },
    upstreamFailed() {
      // The span tells the outcome (status, error.type, attempts); nothing to add per attempt.
    },
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (err) {
        log.warn('the last spans could not be exported', { err });
      }
    },
  };
}
