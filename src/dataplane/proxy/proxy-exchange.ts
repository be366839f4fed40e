// The one request flow, for every client protocol: admission, routing, the request-phase steps,
// endpoint picking, forward, retry, release, response relay, upgrade and the access-log line.
// Protocol differences live in the client-side adapter (exchange/client-side.ts: the HTTP/1 engine
// or an HTTP/2 stream); this object is its own undici dispatch handler (the per-attempt state is
// reset by startUpstream) and its own PickContext, so a proxied request allocates this object,
// the adapter, the header list and the dispatch options, and little else.
//
// Streaming both ways with back-pressure: the client's body stream is the upstream body (undici
// pauses it when the upstream socket is full); response chunks are written to the client and the
// upstream read is paused until the client can take more.
//
// The response head is held until the first body byte (or the end of the response, or the
// held-heads sweep for a backend that sends its head and then waits): a body that fails before any
// byte was relayed (a malformed first chunk) is still answered 502 instead of a head and a cut.
//
// Upgrades (WebSocket) take the same flow up to the backend's 101; then the adapter hands the
// connection over and the two sockets are spliced (exchange/tunnel.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Endpoint } from '../../core/route-table.ts';
import type { CompiledTable, RouteTarget } from '../compile-table.ts';
import type { ResolvedDataPlaneOptions } from '../data-plane-options.ts';
import type { RequestCheckOptions } from '../http/check-request.ts';
import { resolveClientAddress } from '../http/client-address.ts';
import type { AccessLogEntry } from '../http/access-log.ts';
import { plainBody, REASONS } from '../http/plain-response.ts';
import { requestIdFor } from '../http/request-id.ts';
import { normalizeHost } from '../normalize-host.ts';
import type { ClientEvents, ClientSide } from '../exchange/client-side.ts';
import { retryDecision } from '../exchange/retry-decision.ts';
import { openTunnel, type TunnelRegistry } from '../exchange/tunnel.ts';
import type { PickContext, PickOutcome } from './endpoint-picker.ts';
import { notifyEnded, notifyUpstreamFailed, type ObservedExchange } from './exchange-observer.ts';
import { holdHead, releaseHead, type HeldHead } from './held-heads.ts';
import { buildResponseHeaders, buildUpgradeResponseHead, SERVER_NAME } from './response-headers.ts';
import { REQUEST_STEPS } from '../steps/request-steps.ts';
import { LATER, type StepAnswer, type StepOutcome, type StepRequest } from '../steps/request-step.ts';
import { propagateTrace, traceContextOf, type TraceContext } from './trace-context.ts';
import { CORS_RESPONSE_HEADERS } from '../steps/cors.ts';
import { buildUpstreamHeaders } from './upstream-headers.ts';
import type { ExternalAuthState } from '../steps/request-step.ts';
import { authCookiesFor } from '../steps/external-auth.ts';
import { canaryTargetFor } from '../steps/canary.ts';
import { editResponseHeaders, templateContextOf } from '../steps/header-edits.ts';
import { rewriteRawRedirectHeaders, rewriteRedirectHeaders } from '../steps/proxy-redirect.ts';
import { editUpstreamRequest } from '../steps/upstream-edits.ts';
import { isGrpcStatusHead } from './relay-trailers.ts';
import type { RateLimiter } from '../steps/rate-limits.ts';
import { classifyUpstreamError, ProxyAbort } from './upstream-error.ts';
import { replaceAnswer, type CustomErrorPage } from './custom-error-page.ts';
import type { UpstreamDispatcher, UpstreamPools } from './upstream-pools.ts';
import type { QueuedDispatch, UpstreamQueue } from './upstream-queue.ts';

/** What the request path needs from its owner (the DataPlane, or a test). */
export interface ExchangeRuntime {
  /** The active table, read once per request. */
  current(): CompiledTable | undefined;
  readonly pools: UpstreamPools;
  readonly options: ResolvedDataPlaneOptions;
  /** Passed to checkRequestHead (HTTP/2): built once from the limits. */
  readonly requestChecks: RequestCheckOptions;
  /** Counts requests in flight, for drain. */
  readonly tracker: { begin(): void; end(): void; readonly draining: boolean };
  /** Upgraded connections, so a drain can end them. */
  readonly tunnels: TunnelRegistry;
  /** limit-rps/-rpm/-connections state, shared across table swaps (steps/rate-limits.ts). */
  readonly rateLimiter?: RateLimiter;
}

function onSendTimeout(ex: ProxyExchange): void {
  ex.sendTimedOut();
}

const EMPTY_FAILED: readonly Endpoint[] = Object.freeze([]);
const NO_TRACE_HEADERS: IncomingHttpHeaders = Object.freeze({});

export class ProxyExchange implements PickContext, Dispatcher.DispatchHandler, HeldHead, ObservedExchange, QueuedDispatch, ClientEvents, StepRequest {
  readonly rt: ExchangeRuntime;
  readonly client: ClientSide;
  readonly scheme: 'http' | 'https';
  readonly startedAt: number;

  host = '';
  path = '';
  query = '';
  pathAndQuery = '';
  /** The authority as the client sent it (Host, :authority or the absolute-form's). */
  authority: string | undefined = undefined;
  target: RouteTarget | undefined = undefined;
  endpoint: Endpoint | undefined = undefined;
  clientIp = '';
  trustedPeer = false;
  requestId: string | undefined = undefined;
  upstreamHeaders: string[] | undefined = undefined;
  hasBody = false;
  failed: readonly Endpoint[] = EMPTY_FAILED;
  responseHeaders: string[] = [];
  /** The CORS step's headers: on every response of the request, Gatehouse's own answers included. */
  corsHeaders: string[] | undefined = undefined;
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
  // For observers (metrics, traffic statistics, tracing): see exchange-observer.ts.
  attempts = 0;
  upstreamStartedAt = 0;
  upstreamEndedAt = 0;
  trace: TraceContext | undefined = undefined;
  readonly upgrade: boolean;
  pool: UpstreamDispatcher | undefined = undefined;
  /** The endpoint's admission queue while this exchange holds one of its slots or waits in it. */
  slot: UpstreamQueue | undefined = undefined;
  waiting = false;
  /** The index of the request step that answered LATER (-1: none). */
  stepWaiting = -1;
  /** External auth's state (steps/external-auth-step.ts). */
  auth: ExternalAuthState | undefined = undefined;
  /** The client-certificate headers for the upstream request (steps/client-certificate-step.ts). */
  clientCertificateHeaders: readonly string[] | undefined = undefined;
  /** Ends this request's limit-connections count (steps/rate-limit-step.ts); called once. */
  releaseLimit: (() => void) | undefined = undefined;
  /** The path and query sent upstream when a rewrite changed it (steps/upstream-edits.ts). */
  upstreamPath: string | undefined = undefined;
  /** custom-http-errors: the answer is being replaced by the error backend's (custom-error-page.ts). */
  errorPage: CustomErrorPage | undefined = undefined;
  #cookies: Map<string, string> | undefined = undefined;

  constructor(rt: ExchangeRuntime, scheme: 'http' | 'https', client: ClientSide) {
    this.rt = rt;
    this.client = client;
    this.scheme = scheme;
    this.upgrade = client.upgrade !== undefined;
    this.startedAt = performance.now();
  }

  /** The client's headers as a record: built on first use (most requests read only header()). */
  get headers(): IncomingHttpHeaders {
    return this.client.headers;
  }

  header(name: string): string | string[] | undefined {
    return this.client.header(name);
  }

  /** ObservedExchange's view of the request. */
  get req(): { readonly method: string } {
    return this.client;
  }

  /** Routes and forwards the request, or answers it directly. Never throws (but see failRequest). */
  run(): void {
    const { client, rt } = this;
    rt.tracker.begin();
    client.bind(this);
    this.clientIp = client.peerAddress;
    const checked = client.target();
    if (!checked.ok) {
      this.error = checked.reason;
      return this.respondPlain(checked.status, true);
    }
    // OPTIONS * asks about the server, not a resource: answered here, never routed (hardening).
    if (checked.asterisk) return this.respondPlain(200, false, ['allow', 'OPTIONS, GET, HEAD, POST, PUT, PATCH, DELETE']);
    this.path = checked.path;
    this.query = checked.query;
    this.pathAndQuery = checked.query.length === 0 ? checked.path : checked.path + checked.query;
    this.authority = checked.authority;
    this.host = normalizeHost(checked.authority);
    if (this.upgrade && rt.tracker.draining) {
      this.error = 'draining';
      return this.respondPlain(503, true);
    }
    const table = rt.current();
    if (table === undefined) {
      this.error = 'no configuration applied yet';
      return this.respondPlain(503, false);
    }
    const routed = table.lookup(this.host, this.path);
    if (routed === undefined) return this.respondPlain(404, false);
    // A canary splits the route (steps/canary.ts): its target keeps the main route's policy.
    const target = routed.canary === undefined ? routed : canaryTargetFor(routed, this);
    this.target = target;

    const opts = rt.options;
    const peer = client.peerAddress;
    const trusted = opts.isTrustedProxy !== undefined && peer.length > 0 && opts.isTrustedProxy(peer);
    this.trustedPeer = trusted;
    if (trusted) this.clientIp = resolveClientAddress(peer, this.header('x-forwarded-for'), opts.isTrustedProxy);
    this.runSteps(target, 0);
  }

  /** The request-phase steps (steps/request-steps.ts) from `i` on, then admission. */
  runSteps(target: RouteTarget, i: number): void {
    for (; i < REQUEST_STEPS.length; i++) {
      const outcome = REQUEST_STEPS[i]!.run(target, this);
      if (outcome === LATER) {
        this.stepWaiting = i;
        return;
      }
      if (outcome !== undefined) return this.answer(outcome);
    }
    this.admit();
  }

  /** StepRequest: the outcome of the step that answered LATER. */
  resume(outcome: StepOutcome): void {
    const i = this.stepWaiting;
    this.stepWaiting = -1;
    if (i < 0 || this.clientGone) return; // finished (499) when the client went away
    if (outcome === undefined) this.runSteps(this.target!, i + 1);
    else this.answer(outcome);
  }

  /** A step's answer. */
  answer(a: StepAnswer): void {
    if (a.error !== undefined) this.error = a.error;
    if (a.preflight === true) return this.respondPreflight();
    if (a.drop === true) return this.abortClient();
    this.respondPlain(a.status, a.close === true, a.headers, a.body);
  }

  // StepRequest
  get method(): string {
    return this.client.method;
  }

  get httpsPort(): number {
    return this.rt.options.httpsPort;
  }

  get rawHeaders(): readonly string[] {
    return this.client.rawHeaders;
  }

  get peerAddress(): string {
    return this.client.peerAddress;
  }

  get localPort(): number {
    return this.client.localPort;
  }

  get joinCookies(): boolean {
    return this.client.joinCookies;
  }

  get timeouts(): { readonly connectTimeoutMs: number; readonly readTimeoutMs: number } {
    return this.rt.options.timeouts;
  }

  get connection(): object | undefined {
    return this.client.connection;
  }

  get rateLimiter(): RateLimiter | undefined {
    return this.rt.rateLimiter;
  }

  /** The request passed the access steps: body limits, upstream headers, then forward. */
  admit(): void {
    const { client, rt } = this;
    const target = this.target!;
    const opts = rt.options;
    const contentLength = client.contentLength;
    this.hasBody = client.hasBody;
    const maxBody = target.policy.maxBodySize ?? opts.limits.maxBodySize;
    if (maxBody !== undefined && this.hasBody) {
      if (contentLength !== undefined && Number(contentLength) > maxBody) {
        this.limit = 'max-body-size';
        return this.respondPlain(413, true);
      }
      this.maxBody = maxBody;
    }

    this.requestId ??= requestIdFor(this.header('x-request-id'));
    this.upstreamHeaders = buildUpstreamHeaders(client.rawHeaders, this.header('connection'), {
      scheme: this.scheme,
      peerAddress: client.peerAddress,
      clientAddress: this.clientIp,
      trustedPeer: this.trustedPeer,
      host: this.authority ?? '',
      localPort: client.localPort,
      requestId: this.requestId,
      contentLength,
      joinCookies: client.joinCookies,
    });
    for (const step of REQUEST_STEPS) {
      if (step.editUpstreamHeaders !== undefined) this.upstreamHeaders = step.editUpstreamHeaders(target, this.upstreamHeaders, this);
    }
    // rewrite-target, X-Forwarded-Prefix, upstream-vhost (steps/upstream-edits.ts): the path and Host sent.
    if (target.upstreamEdits !== undefined) this.upstreamPath = editUpstreamRequest(target.upstreamEdits, this.path, this.pathAndQuery, this.upstreamHeaders);
    this.trace = propagateTrace(this.traceHeaders(), this.upstreamHeaders, opts.observer);
    // Expect: 100-continue is answered only now that the body will be read: refused requests get no 100 (hardening).
    if (this.hasBody) client.writeContinue();
    this.forward();
  }

  /** The two fields the trace context reads. */
  traceHeaders(): IncomingHttpHeaders {
    const traceparent = this.header('traceparent') as string | undefined;
    if (traceparent === undefined) return NO_TRACE_HEADERS;
    return { traceparent, tracestate: this.header('tracestate') as string | undefined };
  }

  // PickContext
  cookie(name: string): string | undefined {
    if (this.#cookies === undefined) this.#cookies = parseCookies(this.header('cookie'));
    return this.#cookies.get(name);
  }

  forward(): void {
    const target = this.target!;
    const endpoint = target.picker.pick(this);
    if (endpoint === undefined) {
      // On a retry with no other endpoint left, the client gets the original failure.
      if (this.failed.length > 0) return this.respondFailure(this.retryStatus, false);
      this.error = 'no ready endpoint';
      return this.respondFailure(503, false);
    }
    this.endpoint = endpoint;
    const opts = this.rt.options;
    const policy = target.policy;
    if (this.upgrade) {
      // HTTP/2 backends (GRPC, GRPCS, H2C) take no HTTP/1.1 upgrade: refused, never sent in clear.
      const kind = this.scheme === 'https' ? target.upstream.overTls : target.upstream.plain;
      if (kind === 'h2c' || kind === 'h2') {
        this.release('aborted');
        this.error = 'ERR_UPGRADE_TO_HTTP2_BACKEND';
        return this.respondPlain(502, true);
      }
    }
    // The backend protocol (backend-protocol, proxy-ssl-*) chooses the pool; at most its connection
    // count go upstream at once, with a bounded wait behind (upstream-pools.ts, upstream-queue.ts).
    const admission = this.rt.pools.admit(this, endpoint, policy.connectTimeoutMs ?? opts.timeouts.connectTimeoutMs, target.upstream, this.scheme, this.host, this.upgrade);
    if (admission === undefined) {
      this.release('connect-error');
      this.error = 'ERR_POOLS_CLOSED';
      return this.respondPlain(503, true);
    }
    if (admission === 'full') return this.answerOverloaded('upstream-queue-size', 'ERR_UPSTREAM_QUEUE_FULL');
    if (admission === 'queued') {
      this.waiting = true;
      return;
    }
    this.startUpstream();
  }

  /** QueuedDispatch: a slot of the endpoint's pool is ours; send the request (one attempt). */
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
    const options: Dispatcher.DispatchOptions = {
      method: this.client.method as Dispatcher.HttpMethod,
      path: this.upstreamPath ?? this.pathAndQuery,
      headers: this.upstreamHeaders,
      body: this.hasBody ? this.client.body() : null,
      headersTimeout: readTimeout,
      bodyTimeout: readTimeout,
    };
    if (this.upgrade) options.upgrade = this.client.upgrade!;
    this.pool!.dispatch(options, this);
  }

  /** QueuedDispatch: no connection came free within --upstream-queue-timeout. */
  queueTimedOut(): void {
    this.waiting = false;
    this.slot = undefined;
    this.answerOverloaded('upstream-queue-timeout', 'ERR_UPSTREAM_QUEUE_TIMEOUT');
  }

  /** 503 with Retry-After: the endpoint's connections are all busy and its queue is full or too slow. */
  answerOverloaded(limit: string, error: string): void {
    this.release('aborted'); // not the endpoint's fault: passive health must not count it
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

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, upstream: Duplex): void {
    this.clearSendTimer();
    this.releaseSlot();
    this.upstreamDone = true;
    this.upstreamEndedAt = performance.now();
    if (this.clientGone) {
      upstream.destroy();
      return this.release('aborted');
    }
    const received = (controller.rawHeaders ?? []) as (Buffer | string)[];
    // proxy-redirect-from/-to (steps/proxy-redirect.ts) on the 101's raw fields too.
    const redirect = this.target?.upstreamEdits?.redirect;
    const raw = redirect === undefined ? received : rewriteRawRedirectHeaders(redirect, received);
    // auth-always-set-cookie: on the 101 too (add_header always); a 101 is not in add_header's list otherwise.
    const allowed = this.auth?.allowed;
    if (allowed !== undefined && allowed.cookies.length > 0) this.responseHeaders.push(...authCookiesFor(101, allowed.cookies, this.target!.externalAuth!.policy.alwaysSetCookie));
    // The picker's headers (an affinity Set-Cookie) go on the 101 too; the builder validates them.
    const head = buildUpgradeResponseHead(statusCode, REASONS[statusCode] ?? 'Switching Protocols', this.responseHeaders.length === 0 ? raw : [...raw, ...this.responseHeaders]);
    const taken = head === undefined ? undefined : this.client.detach();
    if (taken === undefined) {
      upstream.destroy();
      this.release('reset');
      this.error = 'ERR_BAD_RESPONSE_HEADER';
      return this.respondPlain(502, true);
    }
    this.status = statusCode;
    this.responseStarted = true;
    this.release('ok');
    const idleMs = this.target?.policy.readTimeoutMs ?? this.rt.options.timeouts.readTimeoutMs;
    openTunnel(taken.socket, taken.head, upstream, head!, idleMs, () => {
      this.rt.options.logger.debug('idle tunnel closed', { route: this.target?.routeId, idleMs });
    });
    this.rt.tunnels.add(taken.socket);
    // limit-connections: a tunnel counts for its whole life, not just its handshake.
    const release = this.releaseLimit;
    this.releaseLimit = undefined;
    if (release !== undefined) taken.socket.once('close', release);
    this.finish();
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200 || this.clientGone) return; // informational responses are not relayed
    this.headStatus = statusCode;
    const target = this.target!;
    // External auth: its Set-Cookie on the backend's answer, as ingress-nginx's add_header.
    const allowed = this.auth?.allowed;
    if (allowed !== undefined && allowed.cookies.length > 0) {
      this.responseHeaders.push(...authCookiesFor(statusCode, allowed.cookies, target.externalAuth!.policy.alwaysSetCookie));
      this.auth = { ...this.auth, allowed: { ...allowed, cookies: [] } };
    }
    // proxy-redirect-from/-to: Location and Refresh rewritten (steps/proxy-redirect.ts).
    const redirect = target.upstreamEdits?.redirect;
    const received = headers as Record<string, string | string[] | undefined>;
    this.headFields = buildResponseHeaders(
      redirect === undefined ? received : rewriteRedirectHeaders(redirect, received),
      this.scheme === 'https' ? target.hsts : undefined,
      this.corsHeaders === undefined ? this.responseHeaders : [...this.responseHeaders, ...this.corsHeaders],
      this.corsHeaders === undefined ? undefined : CORS_RESPONSE_HEADERS,
    );
    // Typed response header edits (steps/header-edits.ts).
    const edits = target.policy.headerEdits;
    if (edits !== undefined) this.headFields = editResponseHeaders(this.headFields, statusCode, edits, templateContextOf(this));
    // custom-http-errors: a listed status is replaced by the error backend's answer (custom-error-page.ts).
    const ce = target.customErrors;
    if (ce !== undefined && ce.codes[statusCode] === 1 && replaceAnswer(this, ce, statusCode, true)) return;
    // Written with the first body byte, at the end, or by the sweep: not yet (see the top of the file).
    holdHead(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    if (this.errorPage !== undefined) return this.errorPage.originalData(controller, chunk);
    if (!this.responseStarted && !this.writeHeldHead()) return this.refuseHead(controller);
    this.bytesOut += chunk.length;
    if (!this.client.write(chunk)) controller.pause();
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers?: IncomingHttpHeaders): void {
    this.clearSendTimer();
    this.releaseSlot();
    this.upstreamDone = true;
    this.upstreamEndedAt = performance.now();
    if (this.errorPage !== undefined) {
      this.release(this.headStatus >= 500 ? 'http-5xx' : 'ok');
      if (!this.clientGone) this.errorPage.originalEnded(true);
      return;
    }
    // gRPC's trailers-only answer (a status, no body nor trailers): where the client side can, the head ends the stream.
    if (!this.clientGone && !this.responseStarted && !hasFields(trailers) && isGrpcStatusHead(this.headFields)) {
      releaseHead(this);
      const ended = this.client.endWithHead(this.headStatus, this.headFields!);
      if (ended === true) {
        this.responseStarted = true;
        this.status = this.headStatus;
        return this.release(this.headStatus >= 500 ? 'http-5xx' : 'ok');
      }
      if (ended === false) {
        this.release('reset');
        this.error = 'ERR_BAD_RESPONSE_HEADER';
        return this.respondPlain(502, false);
      }
    }
    // An empty body (HEAD, 204, 304, Content-Length: 0): the held head goes out now, with the end.
    if (!this.clientGone && !this.responseStarted && !this.writeHeldHead()) {
      this.release('reset');
      this.error = 'ERR_BAD_RESPONSE_HEADER';
      return this.respondPlain(502, false);
    }
    this.release(this.headStatus >= 500 ? 'http-5xx' : 'ok');
    // The backend's trailers (gRPC's status) go on as trailers where the client side can send them.
    if (!this.clientGone) this.client.end(trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    this.clearSendTimer();
    this.releaseSlot();
    this.upstreamDone = true;
    releaseHead(this);
    this.upstreamEndedAt = performance.now();
    const failure = classifyUpstreamError(err);
    if (this.clientGone) return this.release('aborted');
    // The answer being replaced by an error page was cut (too long to keep, or failed): ask all the same.
    if (this.errorPage !== undefined) {
      this.release(this.headStatus >= 500 ? 'http-5xx' : 'ok');
      return this.errorPage.originalEnded(false);
    }
    notifyUpstreamFailed(this.rt.options.observer, this, err);
    this.release(failure.outcome);
    const code = (err as { code?: unknown }).code;
    this.error = typeof code === 'string' ? code : err.message;
    if (this.limit === undefined) this.limit = failure.limit;
    // Nothing was relayed yet (at most a held head): the client still gets a plain answer.
    if (!this.responseStarted) {
      const retry = retryDecision({
        retryable: failure.retryable,
        outcome: failure.outcome,
        method: this.client.method,
        headReceived: this.headStatus !== 0,
        responseStarted: this.responseStarted,
        hasBody: this.hasBody,
        failedSoFar: this.failed.length + 1,
        retries: this.target!.policy.retries,
      });
      if (retry && this.endpoint !== undefined) {
        this.failed = [...this.failed, this.endpoint];
        this.retryStatus = failure.status;
        this.upstreamDone = false;
        return this.forward();
      }
      if (this.limit === 'max-body-size') return this.respondPlain(413, this.hasBody);
      return this.respondFailure(failure.status, this.hasBody);
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

  /** Writes the held head to the client; false when the client side refuses one of its fields (nothing is written then). */
  writeHeldHead(): boolean {
    releaseHead(this);
    if (!this.client.writeHead(this.headStatus, this.headFields!)) return false;
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
    this.client.flushHead();
  }

  // ---- client side (ClientEvents) ----

  sendTimedOut(): void {
    this.sendTimer = undefined;
    if (this.upstreamDone) return;
    this.limit = 'send-timeout';
    this.controller?.abort(new ProxyAbort('ERR_SEND_TIMEOUT', 'send timeout'));
  }

  clientWritable(): void {
    this.controller?.resume();
  }

  /**
   * --client-send-timeout: a write was held back (the socket, or the HTTP/2 stream's window, was
   * full) and the client made no room for that long (nginx's send_timeout, measured between two
   * writes the client makes room for).
   */
  clientSendTimedOut(): void {
    if (this.clientGone || this.logged) return;
    this.limit = 'client-send-timeout';
    this.error = 'ERR_CLIENT_SEND_TIMEOUT';
    this.aborted = true;
    if (!this.upstreamDone) {
      this.clientGone = true;
      releaseHead(this);
      this.controller?.abort(new ProxyAbort('ERR_CLIENT_SEND_TIMEOUT', 'the client accepts no bytes'));
    }
    this.client.abort('cancel');
  }

  /** The request body was malformed: the client side answered (400, or a cut); the upstream request ends. */
  clientBodyFailed(reason: string): void {
    if (!this.responseStarted) this.status = 400;
    else this.aborted = true;
    this.error = reason;
    if (!this.upstreamDone) {
      this.clientGone = true;
      this.clearSendTimer();
      releaseHead(this);
      this.controller?.abort(new ProxyAbort('ERR_CLIENT_ABORTED', 'malformed request body'));
    }
    this.finish();
  }

  clientClosed(completed: boolean, limit?: string): void {
    this.auth?.abort?.abort();
    this.errorPage?.clientClosed();
    if (this.waiting) {
      // Still waiting for a connection: leave the queue, nothing was sent upstream.
      this.slot?.cancel(this);
      this.slot = undefined;
      this.waiting = false;
      this.upstreamDone = true;
      this.aborted = true;
      this.release('aborted');
    }
    // An HTTP/2 stream the client reset reports a finished response too: an upstream exchange
    // still running must be aborted all the same, or rapid resets wedge the pool (hardening).
    if (!completed || (this.endpoint !== undefined && !this.upstreamDone)) {
      this.aborted = true;
      // A client-side limit cut the connection (the client side answered 408 if it could).
      if (limit !== undefined && this.limit === undefined) {
        this.limit = limit;
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
    this.client.abort('error');
  }

  /**
   * Gatehouse's own answer to a failure to forward (503 no ready endpoint, 502/504 upstream errors):
   * with custom-http-errors listing it, the error backend answers instead (custom-error-page.ts).
   */
  respondFailure(status: number, close: boolean): void {
    const ce = this.target?.customErrors;
    if (ce !== undefined && this.errorPage === undefined && ce.codes[status] === 1 && replaceAnswer(this, ce, status, false)) return;
    this.respondPlain(status, close);
  }

  respondPlain(status: number, close: boolean, extra?: string[], ownBody?: Buffer): void {
    this.status = status;
    const client = this.client;
    if (client.headersSent) {
      this.abortClient();
      return;
    }
    const body = ownBody ?? plainBody(status);
    // A step's own answer (a snippet's `return`) brings its own Content-Type.
    const headers = ownBody === undefined ? ['content-type', 'text/plain; charset=utf-8', 'server', SERVER_NAME] : ['server', SERVER_NAME];
    if (extra !== undefined) headers.push(...extra);
    const always = this.auth?.alwaysCookies;
    if (always !== undefined) headers.push(...always);
    if (this.corsHeaders !== undefined) headers.push(...this.corsHeaders);
    const hsts = this.target?.hsts;
    if (hsts !== undefined && this.scheme === 'https') headers.push('strict-transport-security', hsts);
    if (client.method !== 'HEAD') this.bytesOut = body.length;
    try {
      client.respond(status, headers, body, close);
    } catch {
      this.bytesOut = 0;
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
      this.client.respond(204, headers, undefined, false);
    } catch {
      this.abortClient();
    }
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
    const release = this.releaseLimit;
    this.releaseLimit = undefined;
    release?.();
    this.rt.tracker.end();
    const opts = this.rt.options;
    const status = this.status === 0 ? 499 : this.status;
    const durationMs = performance.now() - this.startedAt;
    // Answered without forwarding (404, 503, a redirect...): it still gets a trace id for its log line and span.
    this.trace ??= traceContextOf(this.traceHeaders(), opts.observer);
    notifyEnded(opts.observer, this, status, durationMs);
    if (!opts.accessLog) return;
    const entry: AccessLogEntry = {
      method: this.client.method,
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
      protocol: this.client.protocol,
      referer: this.header('referer') as string | undefined,
      userAgent: this.header('user-agent') as string | undefined,
    };
    if (this.trace !== undefined) entry.traceId = this.trace.traceId;
    if (this.limit !== undefined) entry.limit = this.limit;
    if (this.error !== undefined) entry.error = this.error;
    if (this.aborted || this.status === 0) entry.aborted = true;
    if (this.upgrade) entry.upgrade = true;
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

function hasFields(o: object | undefined): boolean {
  if (o === undefined || o === null) return false;
  for (const _ in o) return true;
  return false;
}
