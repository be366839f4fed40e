// WebSocket (HTTP/1.1 Upgrade) proxying. The client's socket is left unread until the backend
// answers: on 101 the head is relayed and the two sockets are spliced (bytes the client sent early
// go to the backend only then); on any other status that response is relayed and the connection
// closed. HTTP/2 has no Upgrade; only HTTP/1.1 listeners reach this.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Endpoint } from '../../core/route-table.ts';
import type { RouteTarget } from '../compile-table.ts';
import { checkRequestHead } from '../http/check-request.ts';
import { canonicalizeTarget } from '../http/canonical-path.ts';
import { resolveClientAddress } from '../http/client-address.ts';
import { connectionPeerAddress } from '../front/connection-address.ts';
import { isSafeHeaderValue, isToken } from '../http/header-value.ts';
import { plainBody, rawPlainResponse, REASONS } from '../http/plain-response.ts';
import { requestIdFor } from '../http/request-id.ts';
import { normalizeHost } from '../normalize-host.ts';
import type { PickContext } from './endpoint-picker.ts';
import { notifyEnded, notifyUpstreamFailed, type ObservedExchange } from './exchange-observer.ts';
import { endpointLabel, parseCookies, type ExchangeRuntime } from './proxy-exchange.ts';
import { buildUpgradeResponseHead, SERVER_NAME } from './response-headers.ts';
import { checkBasicAuth, withoutAuthorization } from '../steps/basic-auth.ts';
import { checkRouteAccess } from '../steps/check-route-access.ts';
import { checkClientCertificate } from '../steps/client-certificate.ts'; // mtls
import { redirectsToHttps } from '../steps/https-redirect.ts';
import { propagateTrace, traceContextOf, type TraceContext } from './trace-context.ts';
import { redirectFor } from '../steps/redirect.ts';
import { buildUpstreamHeaders } from './upstream-headers.ts';
import { classifyUpstreamError, ProxyAbort } from './upstream-error.ts';

/** Upgraded connections, so a drain can end them. */
export interface TunnelRegistry {
  add(socket: Duplex): void;
}

export class UpgradeExchange implements PickContext, Dispatcher.DispatchHandler, ObservedExchange {
  readonly rt: ExchangeRuntime;
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly scheme: 'http' | 'https';
  readonly tunnels: TunnelRegistry;
  readonly headers: IncomingMessage['headers'];
  readonly startedAt = performance.now();
  readonly responseHeaders: string[] = [];
  failed: readonly Endpoint[] = [];
  clientIp = '';
  host = '';
  path = '';
  target: RouteTarget | undefined;
  endpoint: Endpoint | undefined;
  requestId: string | undefined;
  controller: Dispatcher.DispatchController | null = null;
  upstreamHeaders: string[] = [];
  /** mtls: client-certificate headers for the upstream request (steps/client-certificate.ts). */
  mtlsHeaders: readonly string[] = [];
  pathAndQuery = '';
  protocol = '';
  status = 0;
  retryStatus = 502;
  responded = false;
  clientGone = false;
  done = false;
  bytesOut = 0;
  limit: string | undefined;
  error: string | undefined;
  // For observers (metrics, traffic statistics, tracing): see exchange-observer.ts.
  readonly bytesIn = 0;
  attempts = 0;
  upstreamStartedAt = 0;
  upstreamEndedAt = 0;
  trace: TraceContext | undefined;
  readonly upgrade = true;
  #cookies: Map<string, string> | undefined;

  constructor(rt: ExchangeRuntime, scheme: 'http' | 'https', req: IncomingMessage, socket: Duplex, head: Buffer, tunnels: TunnelRegistry) {
    this.rt = rt;
    this.scheme = scheme;
    this.req = req;
    this.socket = socket;
    this.head = head;
    this.tunnels = tunnels;
    this.headers = req.headers;
  }

  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookies(this.headers.cookie);
    return this.#cookies.get(name);
  }

  run(): void {
    const { req, socket, rt } = this;
    rt.tracker.begin();
    socket.on('error', () => this.clientClosed());
    socket.on('close', () => this.clientClosed());
    if (rt.tracker.draining) return this.respondRaw(503);

    const rejection = checkRequestHead(req, rt.requestChecks);
    if (rejection !== undefined) {
      this.error = rejection.reason;
      return this.respondRaw(rejection.status);
    }
    const canonical = canonicalizeTarget(req.url ?? '');
    if (!canonical.ok) {
      this.error = canonical.reason;
      return this.respondRaw(canonical.status);
    }
    this.path = canonical.path;
    this.pathAndQuery = canonical.path + canonical.query;
    const protocol = req.headers.upgrade;
    if (protocol === undefined || !isToken(protocol.split('/')[0]!.trim()) || !isSafeHeaderValue(protocol)) {
      this.error = 'invalid Upgrade header';
      return this.respondRaw(400);
    }
    this.protocol = protocol;
    this.host = canonical.host ?? normalizeHost(req.headers.host);
    const target = rt.current()?.lookup(this.host, this.path);
    if (target === undefined) return this.respondRaw(404);
    this.target = target;
    // mtls: as for other requests (proxy-exchange.ts): HTTPS checked first, plain HTTP after the redirect.
    const clientCertificate = checkClientCertificate(target.clientCertificate, this.scheme, req.socket);
    const refuseCertificate = (): void => {
      if (clientCertificate.ok) return;
      this.error = clientCertificate.error;
      this.respondRaw(clientCertificate.status, clientCertificate.location === undefined ? [] : ['location', clientCertificate.location]);
    };
    if (!clientCertificate.ok && this.scheme === 'https') return refuseCertificate();
    this.mtlsHeaders = clientCertificate.ok ? clientCertificate.headers : [];
    const peer = connectionPeerAddress(req.socket); // tlsedge: the PROXY protocol address when there is one
    const opts = rt.options;
    const trusted = opts.isTrustedProxy !== undefined && peer.length > 0 && opts.isTrustedProxy(peer);
    this.clientIp = trusted ? resolveClientAddress(peer, req.headers['x-forwarded-for'], opts.isTrustedProxy) : peer;
    // The Ingress's redirects come first, as for other requests (steps/redirect.ts).
    const redirect = redirectFor(target, { scheme: this.scheme, host: this.host, authority: canonical.authority ?? req.headers.host ?? '', path: this.path, query: canonical.query });
    if (redirect !== undefined) return isSafeHeaderValue(redirect.location) ? this.respondRaw(redirect.status, ['location', redirect.location]) : this.respondRaw(400);
    if (redirectsToHttps(target, this.scheme, this.host, trusted, req.headers['x-forwarded-proto'])) {
      const port = rt.options.httpsPort;
      const location = `https://${this.host}${port === 443 ? '' : `:${port}`}${this.pathAndQuery}`;
      return this.respondRaw(isSafeHeaderValue(location) ? 308 : 400, isSafeHeaderValue(location) ? ['location', location] : []);
    }
    if (!clientCertificate.ok) return refuseCertificate(); // mtls
    const refusal = checkRouteAccess(target, this.clientIp);
    if (refusal !== undefined) {
      this.error = refusal.error;
      return this.respondRaw(refusal.status);
    }
    if (target.basicAuth === undefined) return this.admit(peer, trusted, canonical.authority);
    checkBasicAuth(target.basicAuth, req.headers.authorization, () => this.clientGone, (denied) => {
      if (this.clientGone) return; // logged when the client went away
      if (denied === undefined) return this.admit(peer, trusted, canonical.authority);
      this.error = denied.error;
      this.respondRaw(denied.status, denied.headers);
    });
  }

  /** The request passed the access steps: upstream headers, then forward. */
  admit(peer: string, trusted: boolean, authority: string | undefined): void {
    const req = this.req;
    this.requestId = requestIdFor(req.headers['x-request-id']);
    this.upstreamHeaders = buildUpstreamHeaders(req.rawHeaders, req.headers.connection, {
      scheme: this.scheme,
      peerAddress: peer,
      clientAddress: this.clientIp,
      trustedPeer: trusted,
      host: authority ?? req.headers.host ?? '',
      localPort: req.socket.localPort ?? 0,
      requestId: this.requestId,
      contentLength: undefined,
      joinCookies: false,
    });
    if (this.target!.basicAuth !== undefined) this.upstreamHeaders = withoutAuthorization(this.upstreamHeaders);
    this.upstreamHeaders.push(...this.mtlsHeaders); // mtls
    this.trace = propagateTrace(req.headers, this.upstreamHeaders, this.rt.options.observer);
    this.forward();
  }

  forward(): void {
    const target = this.target!;
    const endpoint = target.picker.pick(this);
    if (endpoint === undefined) {
      // On a retry with no other endpoint left, the client gets the original failure.
      if (this.failed.length > 0) return this.respondRaw(this.retryStatus);
      this.error = 'no ready endpoint';
      return this.respondRaw(503);
    }
    this.endpoint = endpoint;
    const opts = this.rt.options;
    const policy = target.policy;
    let pool;
    try {
      pool = this.rt.pools.get(endpoint, policy.connectTimeoutMs ?? opts.timeouts.connectTimeoutMs);
    } catch {
      return this.respondRaw(503);
    }
    this.controller = null;
    const readTimeout = policy.readTimeoutMs ?? opts.timeouts.readTimeoutMs;
    this.attempts++;
    this.upstreamStartedAt = performance.now();
    this.upstreamEndedAt = 0;
    pool.dispatch(
      {
        method: (this.req.method ?? 'GET') as Dispatcher.HttpMethod,
        path: this.pathAndQuery,
        headers: this.upstreamHeaders,
        body: null,
        upgrade: this.protocol,
        headersTimeout: readTimeout,
        bodyTimeout: readTimeout,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ProxyAbort('ERR_CLIENT_ABORTED', 'client went away'));
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, upstream: Duplex): void {
    const client = this.socket;
    if (this.clientGone) {
      upstream.destroy();
      return;
    }
    const raw = (controller.rawHeaders ?? []) as (Buffer | string)[];
    // The picker's headers (an affinity Set-Cookie) go on the 101 too; the builder validates them.
    const head = buildUpgradeResponseHead(statusCode, REASONS[statusCode] ?? 'Switching Protocols', this.responseHeaders.length === 0 ? raw : [...raw, ...this.responseHeaders]);
    if (head === undefined) {
      upstream.destroy();
      this.error = 'ERR_BAD_RESPONSE_HEADER';
      return this.respondRaw(502);
    }
    this.status = statusCode;
    this.responded = true;
    this.upstreamEndedAt = performance.now();
    this.release('ok');
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.write(head);
    // Bytes the client sent after its request head are the start of the new protocol: only now do they go on.
    if (this.head.length > 0) upstream.write(this.head);
    upstream.pipe(client);
    client.pipe(upstream);
    this.closeWhenIdle(client, upstream);
    this.tunnels.add(client);
    this.log();
  }

  /**
   * A tunnel with no byte either way for the route's read timeout is closed. nginx closes when the
   * backend alone is silent that long (proxy_read_timeout); requiring both sides to be idle keeps
   * protocols whose client pings (and whose server only answers when there is news) alive.
   */
  closeWhenIdle(client: Duplex, upstream: Duplex): void {
    const idleMs = this.target?.policy.readTimeoutMs ?? this.rt.options.timeouts.readTimeoutMs;
    const timer = setTimeout(() => {
      this.rt.options.logger.debug('idle tunnel closed', { route: this.target?.routeId, idleMs });
      client.destroy();
      upstream.destroy();
    }, idleMs);
    timer.unref();
    const active = (): void => void timer.refresh();
    client.on('data', active);
    upstream.on('data', active);
    client.once('close', () => clearTimeout(timer));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    // The backend refused the upgrade: relay its answer as-is over a connection that then closes.
    if (statusCode < 200 || this.clientGone) return;
    this.upstreamEndedAt = performance.now();
    const raw = (this.controller?.rawHeaders ?? []) as (Buffer | string)[];
    let head = `HTTP/1.1 ${statusCode} ${REASONS[statusCode] ?? 'Upstream Response'}\r\n`;
    let hasServer = false;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = String(raw[i]);
      const lower = name.toLowerCase();
      if (lower === 'connection' || lower === 'transfer-encoding' || lower === 'keep-alive' || lower === 'upgrade' || lower === 'proxy-connection') continue;
      const value = String(raw[i + 1]);
      if (!isSafeHeaderValue(value) || !isToken(name)) continue;
      if (lower === 'server') hasServer = true;
      head += `${name}: ${value}\r\n`;
    }
    if (!hasServer) head += `server: ${SERVER_NAME}\r\n`;
    head += 'connection: close\r\n\r\n';
    this.status = statusCode;
    this.responded = true;
    this.socket.write(head);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    this.bytesOut += chunk.length;
    if (!this.socket.write(chunk)) {
      controller.pause();
      this.socket.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.release(this.status >= 500 ? 'http-5xx' : 'ok');
    this.socket.end();
    this.log();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    const failure = classifyUpstreamError(err);
    this.upstreamEndedAt = performance.now();
    if (this.clientGone) {
      this.release('aborted');
      return;
    }
    notifyUpstreamFailed(this.rt.options.observer, this, err);
    this.release(failure.outcome);
    const code = (err as { code?: unknown }).code;
    this.error = typeof code === 'string' ? code : err.message;
    this.limit = failure.limit;
    if (this.responded) {
      this.socket.destroy();
      return this.log();
    }
    if (failure.retryable && this.failed.length < this.target!.policy.retries && this.endpoint !== undefined) {
      this.failed = [...this.failed, this.endpoint];
      this.retryStatus = failure.status;
      return this.forward();
    }
    this.respondRaw(failure.status);
  }

  release(outcome: 'ok' | 'http-5xx' | 'aborted' | 'connect-error' | 'reset' | 'timeout'): void {
    const ep = this.endpoint;
    if (ep !== undefined) this.target?.picker.release?.(ep, outcome);
  }

  clientClosed(): void {
    if (!this.responded && !this.clientGone) {
      this.clientGone = true;
      this.controller?.abort(new ProxyAbort('ERR_CLIENT_ABORTED', 'client went away'));
    }
    this.log();
  }

  respondRaw(status: number, extra: string[] = []): void {
    this.status = status;
    this.responded = true;
    const socket = this.socket;
    if (socket.writable) {
      socket.end(rawPlainResponse(status, extra));
      this.bytesOut = plainBody(status).length;
    } else socket.destroy();
    this.log();
  }

  get upstreamLabel(): string | undefined {
    return this.endpoint === undefined ? undefined : endpointLabel(this.endpoint);
  }

  log(): void {
    if (this.done) return;
    this.done = true;
    this.rt.tracker.end();
    const opts = this.rt.options;
    const status = this.status === 0 ? 499 : this.status;
    const durationMs = performance.now() - this.startedAt;
    this.trace ??= traceContextOf(this.headers, opts.observer);
    notifyEnded(opts.observer, this, status, durationMs);
    if (!opts.accessLog) return;
    opts.accessLog.write({
      method: this.req.method ?? '',
      scheme: this.scheme,
      host: this.host,
      path: this.path,
      status,
      route: this.target?.routeId,
      upstream: this.upstreamLabel,
      durationMs: Math.round(durationMs * 1000) / 1000,
      bytesIn: 0,
      bytesOut: this.bytesOut,
      requestId: this.requestId,
      traceId: this.trace.traceId,
      client: this.clientIp,
      protocol: `HTTP/${this.req.httpVersion}`,
      referer: this.req.headers.referer,
      userAgent: this.req.headers['user-agent'],
      ...(this.limit === undefined ? {} : { limit: this.limit }),
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.status === 0 ? { aborted: true } : {}),
      upgrade: true,
    });
  }
}
