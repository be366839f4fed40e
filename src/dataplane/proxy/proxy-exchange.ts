// One client request from routing to the access-log line. It is its own undici dispatch handler
// and its own PickContext, so a proxied request allocates this object, the header list and the
// dispatch options, and little else.
//
// Streaming both ways with back-pressure: the client request is the upstream body (undici pauses
// it when the upstream socket is full); response chunks are written to the client and the upstream
// read is paused until the client drains.
//
// The response head is held until the first body byte (or the end of the response, or the
// held-heads sweep for a backend that sends its head and then waits): a body that fails before any
// byte was relayed (a malformed first chunk) is still answered 502 instead of a head and a cut.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { constants as h2constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Dispatcher, Pool } from 'undici';
import type { Endpoint } from '../../core/route-table.ts';
import type { CompiledTable, RouteTarget } from '../compile-table.ts';
import type { ResolvedDataPlaneOptions } from '../data-plane-options.ts';
import { checkRequestHead, markConnectionClosing, type RequestCheckOptions } from '../http/check-request.ts';
import { canonicalizeTarget } from '../http/canonical-path.ts';
import { resolveClientAddress } from '../http/client-address.ts';
import { connectionPeerAddress } from '../front/connection-address.ts';
import { clientLimitFired } from '../http/client-error.ts';
import { isSafeHeaderValue } from '../http/header-value.ts';
import type { AccessLogEntry } from '../http/access-log.ts';
import { plainBody } from '../http/plain-response.ts';
import { requestIdFor } from '../http/request-id.ts';
import { normalizeHost } from '../normalize-host.ts';
import type { PickContext, PickOutcome } from './endpoint-picker.ts';
import { notifyEnded, notifyUpstreamFailed, type ObservedExchange } from './exchange-observer.ts';
import { holdHead, releaseHead, type HeldHead } from './held-heads.ts';
import { buildResponseHeaders, SERVER_NAME } from './response-headers.ts';
import { checkBasicAuth, withoutAuthorization } from '../steps/basic-auth.ts';
import { checkRouteAccess } from '../steps/check-route-access.ts';
import { checkClientCertificate, type ClientCertificateCheck } from '../steps/client-certificate.ts'; // mtls
import { redirectsToHttps } from '../steps/https-redirect.ts';
import { propagateTrace, traceContextOf, type TraceContext } from './trace-context.ts';
import { CORS_RESPONSE_HEADERS, corsFor } from '../steps/cors.ts';
import { redirectFor } from '../steps/redirect.ts';
import { buildUpstreamHeaders } from './upstream-headers.ts';
import { classifyUpstreamError, ProxyAbort } from './upstream-error.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import type { QueuedDispatch, UpstreamQueue } from './upstream-queue.ts';

export type ClientRequest = IncomingMessage | Http2ServerRequest;
export type ClientResponse = ServerResponse | Http2ServerResponse;

/** What the request path needs from its owner (the DataPlane, or a test). */
export interface ExchangeRuntime {
  /** The active table, read once per request. */
  current(): CompiledTable | undefined;
  readonly pools: UpstreamPools;
  readonly options: ResolvedDataPlaneOptions;
  /** Passed to checkRequestHead: built once from the limits. */
  readonly requestChecks: RequestCheckOptions;
  /** Counts requests in flight, for drain; `draining` makes HTTP/1 responses close their connection. */
  readonly tracker: { begin(): void; end(): void; readonly draining: boolean };
}

const kExchange = Symbol('gatehouse.exchange');
type Tagged = { [kExchange]?: ProxyExchange };

// Listeners shared by every request: `this` is the response, the exchange hangs off it.
function onResponseClose(this: ClientResponse): void {
  (this as Tagged)[kExchange]?.clientClosed();
}
function onResponseDrain(this: ClientResponse): void {
  const ex = (this as Tagged)[kExchange];
  if (ex === undefined) return;
  ex.clearClientSendTimer();
  ex.controller?.resume();
}
function onSendTimeout(ex: ProxyExchange): void {
  ex.sendTimedOut();
}
function onClientSendTimeout(ex: ProxyExchange): void {
  ex.clientSendTimedOut();
}

const EMPTY_FAILED: readonly Endpoint[] = Object.freeze([]);

export class ProxyExchange implements PickContext, Dispatcher.DispatchHandler, HeldHead, ObservedExchange, QueuedDispatch {
  readonly rt: ExchangeRuntime;
  readonly req: ClientRequest;
  readonly res: ClientResponse;
  readonly scheme: 'http' | 'https';
  readonly isH2: boolean;
  readonly startedAt: number;
  readonly headers: IncomingHttpHeaders;

  host = '';
  path = '';
  pathAndQuery = '';
  target: RouteTarget | undefined = undefined;
  endpoint: Endpoint | undefined = undefined;
  clientIp = '';
  requestId: string | undefined = undefined;
  upstreamHeaders: string[] | undefined = undefined;
  hasBody = false;
  failed: readonly Endpoint[] = EMPTY_FAILED;
  responseHeaders: string[] = [];
  /** The CORS step's headers: on every response of the request, Gatehouse's own answers included. */
  corsHeaders: string[] | undefined = undefined;
  /** mtls: the client-certificate step's verdict (headers to send upstream when admitted). */
  clientCertificate: ClientCertificateCheck | undefined = undefined;
  controller: Dispatcher.DispatchController | null = null;
  /** Status of the backend's final response head once received (0 before); its fields wait in headFields. */
  headStatus = 0;
  headFields: (string | string[])[] | undefined = undefined;
  headSweeps = 0;
  /** The response head was written to the client. */
  responseStarted = false;
  upstreamDone = false;
  clientGone = false;
  logged = false;
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  limit: string | undefined = undefined;
  error: string | undefined = undefined;
  aborted = false;
  maxBody = -1;
  retryStatus = 502;
  sendTimer: NodeJS.Timeout | undefined = undefined;
  drainHooked = false;
  // For observers (metrics, traffic statistics, tracing): see exchange-observer.ts.
  attempts = 0;
  upstreamStartedAt = 0;
  upstreamEndedAt = 0;
  trace: TraceContext | undefined = undefined;
  readonly upgrade = false;
  pool: Pool | undefined = undefined;
  /** The endpoint's admission queue while this exchange holds one of its slots or waits in it. */
  slot: UpstreamQueue | undefined = undefined;
  waiting = false;
  /** Armed while the client accepts no bytes (a write returned false and no 'drain' came yet). */
  clientSendTimer: NodeJS.Timeout | undefined = undefined;
  #cookies: Map<string, string> | undefined = undefined;

  constructor(rt: ExchangeRuntime, scheme: 'http' | 'https', req: ClientRequest, res: ClientResponse) {
    this.rt = rt;
    this.req = req;
    this.res = res;
    this.scheme = scheme;
    this.isH2 = req.httpVersionMajor === 2;
    this.headers = req.headers;
    this.startedAt = performance.now();
  }

  /** Routes and forwards the request, or answers it directly. Never throws. */
  run(): void {
    const { req, res, rt } = this;
    rt.tracker.begin();
    (res as Tagged)[kExchange] = this;
    res.on('close', onResponseClose);
    if (rt.tracker.draining && !this.isH2) (res as ServerResponse).shouldKeepAlive = false;

    const peer = connectionPeerAddress(req.socket); // tlsedge: the PROXY protocol address when there is one
    this.clientIp = peer;
    // The hardening checks read the parsed head; HTTP/2 requests carry the same fields.
    const rejection = checkRequestHead(req as IncomingMessage, rt.requestChecks);
    if (rejection !== undefined) {
      this.error = rejection.reason;
      return this.respondPlain(rejection.status, true);
    }
    const canonical = canonicalizeTarget(req.url ?? '');
    if (!canonical.ok) {
      this.error = canonical.reason;
      return this.respondPlain(canonical.status, true);
    }
    // OPTIONS * asks about the server, not a resource: answered here, never routed (hardening).
    if (canonical.form === 'asterisk') return this.respondPlain(200, false, ['allow', 'OPTIONS, GET, HEAD, POST, PUT, PATCH, DELETE']);
    this.path = canonical.path;
    this.pathAndQuery = canonical.query.length === 0 ? canonical.path : canonical.path + canonical.query;

    const headers = this.headers;
    // An absolute-form target's authority overrides Host (RFC 9112 §3.2.2); the checks made sure they agree.
    const hostHeader =
      canonical.authority ?? (this.isH2 ? ((headers[':authority'] as string | undefined) ?? headers.host) : headers.host);
    this.host = canonical.host ?? normalizeHost(hostHeader);
    const table = rt.current();
    if (table === undefined) {
      this.error = 'no configuration applied yet';
      return this.respondPlain(503, false);
    }
    const target = table.lookup(this.host, this.path);
    if (target === undefined) return this.respondPlain(404, false);
    this.target = target;
    // mtls: over HTTPS the client certificate is checked first, as nginx does at request start;
    // plain HTTP to an mTLS host is refused after the HTTPS redirect had its chance.
    const clientCertificate = checkClientCertificate(target.clientCertificate, this.scheme, req.socket);
    this.clientCertificate = clientCertificate;
    if (!clientCertificate.ok && this.scheme === 'https') return this.refuseClientCertificate(clientCertificate);

    const opts = rt.options;
    const trusted = opts.isTrustedProxy !== undefined && peer.length > 0 && opts.isTrustedProxy(peer);
    if (trusted) this.clientIp = resolveClientAddress(peer, headers['x-forwarded-for'], opts.isTrustedProxy);
    // As ingress-nginx's rewrite phase: app-root, CORS (preflight answered 204), the Ingress's
    // redirect, then HTTPS; access control after.
    const cors = corsFor(target, req.method, headers.origin);
    const asks = target.policy.redirect !== undefined || target.policy.appRoot !== undefined;
    const redirect = asks ? redirectFor(target, { scheme: this.scheme, host: this.host, authority: hostHeader ?? '', path: this.path, query: canonical.query }) : undefined;
    if (redirect?.reason === 'app-root') return this.respondRedirect(redirect.status, redirect.location);
    if (cors !== undefined) this.corsHeaders = cors.headers;
    if (cors?.preflight === true) return this.respondPreflight();
    if (redirect !== undefined) return this.respondRedirect(redirect.status, redirect.location);
    if (redirectsToHttps(target, this.scheme, this.host, trusted, headers['x-forwarded-proto'])) return this.redirectToHttps(canonical.query);
    if (!clientCertificate.ok) return this.refuseClientCertificate(clientCertificate); // mtls
    const refusal = checkRouteAccess(target, this.clientIp);
    if (refusal !== undefined) {
      this.error = refusal.error;
      return this.respondPlain(refusal.status, false);
    }
    if (target.basicAuth === undefined) return this.admit(peer, trusted, hostHeader);
    checkBasicAuth(target.basicAuth, headers.authorization, () => this.clientGone, (denied) => {
      if (this.clientGone) return; // finished (499) when the client went away
      if (denied === undefined) return this.admit(peer, trusted, hostHeader);
      this.error = denied.error;
      this.respondPlain(denied.status, false, denied.headers);
    });
  }

  /** The request passed the access steps: body limits, upstream headers, then forward. */
  admit(peer: string, trusted: boolean, hostHeader: string | undefined): void {
    const { req, res, rt, headers } = this;
    const target = this.target!;
    const opts = rt.options;
    const policy = target.policy;
    let contentLength: string | undefined;
    if (this.isH2) {
      this.hasBody = !(req as Http2ServerRequest).stream.endAfterHeaders;
      const cl = headers['content-length'];
      if (cl !== undefined && isDigits(cl)) contentLength = cl;
    } else if (headers['transfer-encoding'] !== undefined) {
      this.hasBody = true;
    } else {
      contentLength = headers['content-length'];
      this.hasBody = contentLength !== undefined && contentLength !== '0';
    }
    const maxBody = policy.maxBodySize ?? opts.limits.maxBodySize;
    if (maxBody !== undefined && this.hasBody) {
      if (contentLength !== undefined && Number(contentLength) > maxBody) {
        this.limit = 'max-body-size';
        return this.respondPlain(413, true);
      }
      this.maxBody = maxBody;
    }

    this.requestId = requestIdFor(headers['x-request-id']);
    this.upstreamHeaders = buildUpstreamHeaders(req.rawHeaders, headers.connection, {
      scheme: this.scheme,
      peerAddress: peer,
      clientAddress: this.clientIp,
      trustedPeer: trusted,
      host: hostHeader ?? '',
      localPort: req.socket?.localPort ?? 0,
      requestId: this.requestId,
      contentLength,
      joinCookies: this.isH2,
    });
    if (target.basicAuth !== undefined) this.upstreamHeaders = withoutAuthorization(this.upstreamHeaders);
    if (this.clientCertificate?.ok === true) this.upstreamHeaders.push(...this.clientCertificate.headers); // mtls
    this.trace = propagateTrace(headers, this.upstreamHeaders, opts.observer);
    // Expect: 100-continue is answered only now that the body will be read (the servers listen to
    // 'checkContinue', so Node does not send 100 itself): refused requests get no 100 (hardening).
    if (this.hasBody && headers.expect !== undefined && (this.isH2 || req.httpVersionMinor === 1)) (res as ServerResponse).writeContinue();
    this.forward();
  }

  // PickContext
  cookie(name: string): string | undefined {
    if (this.#cookies === undefined) this.#cookies = parseCookies(this.headers.cookie);
    return this.#cookies.get(name);
  }

  forward(): void {
    const target = this.target!;
    const endpoint = target.picker.pick(this);
    if (endpoint === undefined) {
      // On a retry with no other endpoint left, the client gets the original failure.
      if (this.failed.length > 0) return this.respondPlain(this.retryStatus, false);
      this.error = 'no ready endpoint';
      return this.respondPlain(503, false);
    }
    this.endpoint = endpoint;
    const opts = this.rt.options;
    const policy = target.policy;
    let pool;
    try {
      pool = this.rt.pools.get(endpoint, policy.connectTimeoutMs ?? opts.timeouts.connectTimeoutMs);
    } catch (err) {
      this.release('connect-error');
      this.error = 'ERR_POOLS_CLOSED';
      void err;
      return this.respondPlain(503, true);
    }
    this.pool = pool;
    // At most the pool's connection count upstream at once, a bounded wait behind (upstream-queue.ts).
    const queue = this.rt.pools.queueOf(pool);
    const admission = queue.admit(this);
    if (admission === 'full') return this.answerOverloaded('upstream-queue-size', 'ERR_UPSTREAM_QUEUE_FULL');
    this.slot = queue;
    if (admission === 'queued') {
      this.waiting = true;
      return;
    }
    this.startUpstream();
  }

  /** QueuedDispatch: a slot of the endpoint's pool is ours; send the request. */
  startUpstream(): void {
    this.waiting = false;
    const opts = this.rt.options;
    const policy = this.target!.policy;
    const readTimeout = policy.readTimeoutMs ?? opts.timeouts.readTimeoutMs;
    this.controller = null;
    this.headStatus = 0;
    this.responseStarted = false;
    this.attempts++;
    this.upstreamStartedAt = performance.now();
    this.upstreamEndedAt = 0;
    if (this.hasBody) {
      this.sendTimer = setTimeout(onSendTimeout, policy.sendTimeoutMs ?? opts.timeouts.sendTimeoutMs, this);
    }
    this.pool!.dispatch(
      {
        method: this.req.method as Dispatcher.HttpMethod,
        path: this.pathAndQuery,
        headers: this.upstreamHeaders,
        body: this.hasBody ? (this.req as IncomingMessage) : null,
        headersTimeout: readTimeout,
        bodyTimeout: readTimeout,
      },
      this,
    );
  }

  /** QueuedDispatch: no connection came free within --upstream-queue-timeout. */
  queueTimedOut(): void {
    this.slot = undefined;
    this.waiting = false;
    this.answerOverloaded('upstream-queue-timeout', 'ERR_UPSTREAM_QUEUE_TIMEOUT');
  }

  /** The endpoint is saturated: 503 with Retry-After, as Envoy's circuit breakers answer. */
  answerOverloaded(limit: string, error: string): void {
    this.release('aborted'); // not the endpoint's failure: passive health must not count it
    this.upstreamDone = true;
    this.limit = limit;
    this.error = error;
    this.respondPlain(503, false, ['retry-after', '1']);
  }

  /** The upstream exchange ended (response complete, failed or aborted): its slot goes to the next waiter. */
  releaseSlot(): void {
    const slot = this.slot;
    if (slot === undefined || this.waiting) return;
    this.slot = undefined;
    slot.release();
  }

  // ---- undici dispatch handler ----

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ProxyAbort('ERR_CLIENT_ABORTED', 'client went away'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200 || this.clientGone) return; // informational responses are not relayed
    this.headStatus = statusCode;
    this.headFields = buildResponseHeaders(
      headers as Record<string, string | string[] | undefined>,
      this.scheme === 'https' ? this.target!.hsts : undefined,
      this.corsHeaders === undefined ? this.responseHeaders : [...this.responseHeaders, ...this.corsHeaders],
      this.corsHeaders === undefined ? undefined : CORS_RESPONSE_HEADERS,
    );
    // Written with the first body byte, at the end, or by the sweep: not yet (see the top of the file).
    holdHead(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    if (!this.responseStarted && !this.writeHeldHead()) return this.refuseHead(controller);
    this.bytesOut += chunk.length;
    if (!(this.res as ServerResponse).write(chunk)) {
      controller.pause();
      if (this.clientSendTimer === undefined) {
        this.clientSendTimer = setTimeout(onClientSendTimeout, this.rt.options.limits.clientSendTimeoutMs, this);
      }
      if (!this.drainHooked) {
        this.drainHooked = true;
        this.res.on('drain', onResponseDrain);
      }
    }
  }

  onResponseEnd(): void {
    this.clearSendTimer();
    this.releaseSlot();
    this.upstreamDone = true;
    this.upstreamEndedAt = performance.now();
    // An empty body (HEAD, 204, 304, Content-Length: 0): the held head goes out now, with the end.
    if (!this.clientGone && !this.responseStarted && !this.writeHeldHead()) {
      this.release('reset');
      this.error = 'ERR_BAD_RESPONSE_HEADER';
      return this.respondPlain(502, false);
    }
    this.release(this.headStatus >= 500 ? 'http-5xx' : 'ok');
    if (!this.clientGone) this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    this.clearSendTimer();
    this.releaseSlot();
    this.upstreamDone = true;
    releaseHead(this);
    this.upstreamEndedAt = performance.now();
    const failure = classifyUpstreamError(err);
    if (this.clientGone) return this.release('aborted');
    notifyUpstreamFailed(this.rt.options.observer, this, err);
    this.release(failure.outcome);
    const code = (err as { code?: unknown }).code;
    this.error = typeof code === 'string' ? code : err.message;
    if (this.limit === undefined) this.limit = failure.limit;
    // Nothing was relayed yet (at most a held head): the client still gets a plain answer.
    if (!this.responseStarted) {
      const retries = this.target!.policy.retries;
      // A reset may come after the backend acted on the request: only idempotent methods retry it.
      const safe = failure.outcome !== 'reset' || IDEMPOTENT.has(this.req.method ?? '');
      // Retried only before any response byte: a received head means the backend answered.
      if (failure.retryable && safe && this.headStatus === 0 && !this.hasBody && this.failed.length < retries && this.endpoint !== undefined) {
        this.failed = [...this.failed, this.endpoint];
        this.retryStatus = failure.status;
        this.upstreamDone = false;
        return this.forward();
      }
      return this.respondPlain(this.limit === 'max-body-size' ? 413 : failure.status, this.hasBody);
    }
    this.abortClient();
  }

  onBodySent(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    if (this.sendTimer !== undefined) this.sendTimer.refresh();
    if (this.maxBody >= 0 && this.bytesIn > this.maxBody && this.limit === undefined) {
      this.limit = 'max-body-size';
      this.controller?.abort(new ProxyAbort('ERR_BODY_TOO_LARGE', 'request body exceeds the limit'));
    }
  }

  onRequestSent(): void {
    this.clearSendTimer();
  }

  /** Writes the held head to the client; false when Node refuses one of its fields (nothing is written then). */
  writeHeldHead(): boolean {
    releaseHead(this);
    try {
      // Node validates every name and value here and throws on anything that cannot be a header.
      (this.res as ServerResponse).writeHead(this.headStatus, this.headFields as string[]);
    } catch {
      // Node's HTTP/2 compatibility response keeps the fields it stored before refusing one (a
      // connection-specific header): drop them, or the 502 would carry them and be refused too.
      if (this.isH2) {
        const res = this.res as Http2ServerResponse;
        for (const name of res.getHeaderNames()) res.removeHeader(name);
      }
      return false;
    }
    this.responseStarted = true;
    this.status = this.headStatus;
    return true;
  }

  /** The backend's head cannot be relayed: abort the upstream request (its error path answers 502). */
  refuseHead(controller: Dispatcher.DispatchController | null): void {
    controller?.abort(new ProxyAbort('ERR_BAD_RESPONSE_HEADER', 'backend sent a header that cannot be relayed'));
  }

  /** HeldHead: the backend sent its head and no body byte yet; the client gets the head now. */
  flushHead(): void {
    if (this.responseStarted || this.headStatus === 0 || this.upstreamDone || this.clientGone) return;
    if (!this.writeHeldHead()) return this.refuseHead(this.controller);
    // HTTP/1 writes a head with the first body write; this sends it alone (HTTP/2's writeHead already did).
    if (!this.isH2) (this.res as ServerResponse).flushHeaders();
  }

  // ---- client side ----

  sendTimedOut(): void {
    this.sendTimer = undefined;
    if (this.upstreamDone) return;
    this.limit = 'send-timeout';
    this.controller?.abort(new ProxyAbort('ERR_SEND_TIMEOUT', 'send timeout'));
  }

  /**
   * --client-send-timeout: a write was held back (the socket, or the HTTP/2 stream's window, was
   * full) and no 'drain' came for that long: the client took too little to empty it (nginx's
   * send_timeout, measured between two writes the client makes room for).
   */
  clientSendTimedOut(): void {
    this.clientSendTimer = undefined;
    if (this.clientGone || this.logged) return;
    this.limit = 'client-send-timeout';
    this.error = 'ERR_CLIENT_SEND_TIMEOUT';
    this.aborted = true;
    if (!this.upstreamDone) {
      this.clientGone = true;
      releaseHead(this);
      this.controller?.abort(new ProxyAbort('ERR_CLIENT_SEND_TIMEOUT', 'the client accepts no bytes'));
    }
    // HTTP/2: only this stream is reset; HTTP/1: the connection is closed.
    if (this.isH2) {
      const stream = (this.res as Http2ServerResponse).stream;
      if (!stream.destroyed) stream.close(h2constants.NGHTTP2_CANCEL);
    } else {
      (this.res as ServerResponse).destroy();
    }
  }

  clearClientSendTimer(): void {
    if (this.clientSendTimer !== undefined) {
      clearTimeout(this.clientSendTimer);
      this.clientSendTimer = undefined;
    }
  }

  clientClosed(): void {
    const res = this.res;
    this.clearClientSendTimer();
    if (this.waiting) {
      // Still waiting for a connection: leave the queue, nothing was sent upstream.
      this.slot?.cancel(this);
      this.slot = undefined;
      this.waiting = false;
      this.upstreamDone = true;
      this.aborted = true;
      this.release('aborted');
    }
    // An HTTP/2 stream the client reset reports writableFinished too: an upstream exchange still
    // running must be aborted all the same, or rapid resets wedge the pool (hardening).
    if (!res.writableFinished || (this.endpoint !== undefined && !this.upstreamDone)) {
      this.aborted = true;
      // Node's request timeout cut the connection (answered 408 by the clientError handler).
      const fired = clientLimitFired(this.req.socket);
      if (fired !== undefined && this.limit === undefined) {
        this.limit = fired;
        if (!this.responseStarted) this.status = 408;
      }
      if (!this.upstreamDone) {
        this.clientGone = true;
        this.clearSendTimer();
        releaseHead(this);
        this.controller?.abort(new ProxyAbort('ERR_CLIENT_ABORTED', 'client went away'));
      }
    }
    this.finish();
  }

  /** The response was cut mid-body: the client must see an aborted response, never a clean short one. */
  abortClient(): void {
    this.aborted = true;
    if (this.isH2) {
      const stream = (this.res as Http2ServerResponse).stream;
      if (!stream.destroyed) stream.close(h2constants.NGHTTP2_INTERNAL_ERROR);
    } else {
      (this.res as ServerResponse).destroy();
    }
  }

  respondPlain(status: number, close: boolean, extra?: string[]): void {
    this.status = status;
    const res = this.res;
    if (res.headersSent || res.writableEnded) {
      this.abortClient();
      return;
    }
    const body = plainBody(status);
    const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length), 'server', SERVER_NAME];
    if (extra !== undefined) headers.push(...extra);
    if (this.corsHeaders !== undefined) headers.push(...this.corsHeaders);
    const hsts = this.target?.hsts;
    if (hsts !== undefined && this.scheme === 'https') headers.push('strict-transport-security', hsts);
    if (close && !this.isH2) {
      headers.push('connection', 'close');
      markConnectionClosing(this.req.socket);
    }
    try {
      (res as ServerResponse).writeHead(status, headers);
      if (this.req.method !== 'HEAD') this.bytesOut = body.length;
      res.end(body);
    } catch {
      this.abortClient();
    }
  }

  /** A CORS preflight (steps/cors.ts): 204 with the CORS headers, as ingress-nginx answers it. */
  respondPreflight(): void {
    this.status = 204;
    // ingress-nginx also sets Content-Length: 0, which nginx drops from a 204 as RFC 9110 asks.
    const headers = ['content-type', 'text/plain charset=UTF-8', 'server', SERVER_NAME, ...this.corsHeaders!];
    const hsts = this.target?.hsts;
    if (hsts !== undefined && this.scheme === 'https') headers.push('strict-transport-security', hsts);
    try {
      (this.res as ServerResponse).writeHead(204, headers);
      this.res.end();
    } catch {
      this.abortClient();
    }
  }

  /** mtls: 400, 421, or 302 to the auth-tls-error-page. */
  refuseClientCertificate(check: ClientCertificateCheck & { ok: false }): void {
    this.error = check.error;
    if (check.location !== undefined) return this.respondRedirect(check.status, check.location);
    this.respondPlain(check.status, false);
  }

  /** A redirect of the Ingress (steps/redirect.ts); a location that cannot be a header value is a 400. */
  respondRedirect(status: number, location: string): void {
    if (!isSafeHeaderValue(location)) {
      this.error = 'redirect location is not a valid header value';
      return this.respondPlain(400, true);
    }
    this.respondPlain(status, false, ['location', location]);
  }

  redirectToHttps(query: string): void {
    const port = this.rt.options.httpsPort;
    const location = `https://${this.host}${port === 443 ? '' : `:${port}`}${this.path}${query}`;
    if (!isSafeHeaderValue(location)) {
      this.error = 'redirect location is not a valid header value';
      return this.respondPlain(400, true);
    }
    this.respondPlain(308, false, ['location', location]);
  }

  release(outcome: PickOutcome): void {
    const ep = this.endpoint;
    const picker = this.target?.picker;
    if (ep !== undefined && picker?.release !== undefined) picker.release(ep, outcome);
  }

  get upstreamLabel(): string | undefined {
    return this.endpoint === undefined ? undefined : endpointLabel(this.endpoint);
  }

  clearSendTimer(): void {
    if (this.sendTimer !== undefined) {
      clearTimeout(this.sendTimer);
      this.sendTimer = undefined;
    }
  }

  finish(): void {
    if (this.logged) return;
    this.logged = true;
    this.rt.tracker.end();
    const opts = this.rt.options;
    const status = this.aborted && !this.responseStarted && this.status === 0 ? 499 : this.status;
    const durationMs = performance.now() - this.startedAt;
    // Answered without forwarding (404, 503, a redirect...): it still gets a trace id for its log line and span.
    this.trace ??= traceContextOf(this.headers, opts.observer);
    notifyEnded(opts.observer, this, status, durationMs);
    if (!opts.accessLog) return;
    const entry: AccessLogEntry = {
      method: this.req.method ?? '',
      scheme: this.scheme,
      host: this.host,
      path: this.path,
      status,
      route: this.target?.routeId,
      upstream: this.upstreamLabel,
      durationMs: Math.round(durationMs * 1000) / 1000,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      requestId: this.requestId,
      client: this.clientIp,
      protocol: `HTTP/${this.req.httpVersion}`,
      referer: this.headers.referer,
      userAgent: this.headers['user-agent'],
    };
    if (this.trace !== undefined) entry.traceId = this.trace.traceId;
    if (this.limit !== undefined) entry.limit = this.limit;
    if (this.error !== undefined) entry.error = this.error;
    if (this.aborted) entry.aborted = true;
    opts.accessLog.write(entry);
  }
}

// 'address:port' per endpoint, built once: table Endpoint objects are stable between swaps.
const endpointLabels = new WeakMap<Endpoint, string>();
export function endpointLabel(ep: Endpoint): string {
  let label = endpointLabels.get(ep);
  if (label === undefined) {
    label = ep.address.includes(':') ? `[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`;
    endpointLabels.set(ep, label);
  }
  return label;
}

/** RFC 9110 §9.2.2. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 16) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Cookie header(s) → name → first value. No regex; malformed pairs are skipped. */
export function parseCookies(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  const all = typeof header === 'string' ? header : header.join('; ');
  for (const part of all.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name.length === 0 || out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1);
    out.set(name, value);
  }
  return out;
}
