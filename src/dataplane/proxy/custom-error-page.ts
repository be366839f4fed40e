// custom-http-errors, the second dispatch: a route's answer with a listed status is not relayed;
// the error backend is asked (proxy/custom-error-request.ts says with what) and its answer — status,
// headers and body — goes to the client instead, as with ingress-nginx's `error_page CODE =
// @custom_...` (the `=` keeps the named location's status: the error backend decides it, and its
// documentation asks it to answer with X-Code).
//
// The answer being replaced is either the backend's (its head is held in the exchange, its body is
// read and kept up to MAX_KEPT_BODY, beyond which the upstream request is cut) or Gatehouse's own
// (503 no ready endpoint, 502/504 upstream failures). When the error backend cannot answer (no
// endpoint, its queue full, a connection failure, a timeout, a header that cannot be relayed), the
// original answer goes out: the backend's head and kept body, or Gatehouse's plain answer with
// the original status (also for a backend body too long to keep). One attempt, no retry, never a
// second error page: no loop and no hang (the route's read timeout bounds the wait).
//
// It talks to the error backend through the same seams as the flow: the table's picker, the pools'
// forRequest + queueOf admission + dispatch, and the client side of the exchange.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Endpoint } from '../../core/route-table.ts';
import { requestIdFor } from '../http/request-id.ts';
import { CORS_RESPONSE_HEADERS } from '../steps/cors.ts';
import type { CompiledCustomErrors } from '../steps/custom-errors.ts';
import { editResponseHeaders, templateContextOf } from '../steps/header-edits.ts';
import { HTTP1_UPSTREAM } from '../upstream/upstream-protocol.ts';
import { customErrorRequest, type CustomErrorRequest } from './custom-error-request.ts';
import type { ProxyExchange } from './proxy-exchange.ts';
import { buildResponseHeaders } from './response-headers.ts';
import { ProxyAbort } from './upstream-error.ts';
import type { UpstreamDispatcher } from './upstream-pools.ts';
import type { QueuedDispatch, UpstreamQueue } from './upstream-queue.ts';

/** The backend's own error body is kept up to this size, to be relayed if the error backend cannot answer. */
export const MAX_KEPT_BODY = 64 * 1024;

/**
 * Takes over the answer when the route's custom-http-errors lists `status`; false when it does not
 * apply (not listed, an upgrade, a gRPC request): the exchange relays or answers as usual.
 * `fromBackend`: the backend's answer, whose head is in the exchange and whose body follows.
 */
export function replaceAnswer(ex: ProxyExchange, ce: CompiledCustomErrors, status: number, fromBackend: boolean): boolean {
  const headers = ex.headers;
  const request = customErrorRequest(ce, {
    status,
    fromBackend,
    method: ex.method,
    upgrade: ex.upgrade,
    contentType: headers['content-type'],
    accept: headers.accept,
    path: ex.path,
    query: ex.query,
    authority: ex.authority ?? ex.host,
    clientIp: ex.clientIp,
    requestId: (ex.requestId ??= requestIdFor(headers['x-request-id'])),
    upstreamHeaders: ex.upstreamHeaders,
  });
  if (request === undefined) return false;
  const page = new CustomErrorPage(ex, ce, status, request, fromBackend);
  ex.errorPage = page;
  if (!fromBackend) page.ask();
  return true;
}

export class CustomErrorPage implements Dispatcher.DispatchHandler, QueuedDispatch {
  readonly ex: ProxyExchange;
  readonly ce: CompiledCustomErrors;
  /** The status being replaced (X-Code). */
  readonly status: number;
  readonly request: CustomErrorRequest;
  readonly fromBackend: boolean;
  /** The backend's body as read so far; undefined once it passed MAX_KEPT_BODY (then it is not relayed). */
  kept: Buffer[] | undefined = [];
  keptBytes = 0;
  /** The error backend was asked (or is being asked). */
  asked = false;
  endpoint: Endpoint | undefined = undefined;
  pool: UpstreamDispatcher | undefined = undefined;
  slot: UpstreamQueue | undefined = undefined;
  waiting = false;
  controller: Dispatcher.DispatchController | null = null;
  /** The error backend's head went to the client. */
  started = false;
  done = false;

  constructor(ex: ProxyExchange, ce: CompiledCustomErrors, status: number, request: CustomErrorRequest, fromBackend: boolean) {
    this.ex = ex;
    this.ce = ce;
    this.status = status;
    this.request = request;
    this.fromBackend = fromBackend;
  }

  // ---- the answer being replaced (the route's backend) ----

  /** A chunk of the backend's body: kept while small, else the upstream request is cut. */
  originalData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.kept === undefined) return;
    this.keptBytes += chunk.length;
    if (this.keptBytes <= MAX_KEPT_BODY) {
      this.kept.push(chunk);
      return;
    }
    this.kept = undefined;
    controller.abort(new ProxyAbort('ERR_ERROR_PAGE_REPLACED', 'the answer is replaced by an error page'));
  }

  /** The backend's answer is over (`complete`: its whole body was kept): ask the error backend. */
  originalEnded(complete: boolean): void {
    if (!complete) this.kept = undefined;
    this.ask();
  }

  // ---- the error backend ----

  ask(): void {
    if (this.asked || this.ex.clientGone) return;
    this.asked = true;
    const ex = this.ex;
    const endpoint = this.ce.picker.pick(ex);
    if (endpoint === undefined) return this.fallBack('no ready endpoint');
    this.endpoint = endpoint;
    const opts = ex.rt.options;
    // Plain HTTP/1.1, as ingress-nginx's `proxy_pass http://upstream_balancer` in its @custom_ locations.
    const admission = ex.rt.pools.admit(this, endpoint, ex.target?.policy.connectTimeoutMs ?? opts.timeouts.connectTimeoutMs, HTTP1_UPSTREAM, ex.scheme, ex.host);
    if (admission === undefined) return this.fallBack('ERR_POOLS_CLOSED', 'aborted');
    if (admission === 'full') return this.fallBack('ERR_UPSTREAM_QUEUE_FULL', 'aborted');
    if (admission === 'queued') {
      this.waiting = true;
      return;
    }
    this.startUpstream();
  }

  /** QueuedDispatch: a connection of the error backend's endpoint is ours. */
  startUpstream(): void {
    this.waiting = false;
    const ex = this.ex;
    const readTimeout = ex.target?.policy.readTimeoutMs ?? ex.rt.options.timeouts.readTimeoutMs;
    // Upstream again: the client's events (going away, room to write) reach this request now.
    ex.upstreamDone = false;
    this.pool!.dispatch(
      { method: this.request.method, path: this.request.path, headers: this.request.headers, body: null, headersTimeout: readTimeout, bodyTimeout: readTimeout },
      this,
    );
  }

  /** QueuedDispatch: no connection came free in time. */
  queueTimedOut(): void {
    this.waiting = false;
    this.slot = undefined;
    this.fallBack('ERR_UPSTREAM_QUEUE_TIMEOUT', 'aborted');
  }

  /** The client went away (the exchange aborts the request through its controller, which is ours). */
  clientClosed(): void {
    if (this.waiting) {
      this.slot?.cancel(this);
      this.slot = undefined;
      this.waiting = false;
      this.finishUpstream('aborted');
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // The exchange resumes and aborts its controller on the client's events: now this one.
    this.ex.controller = controller;
    if (this.ex.clientGone) controller.abort(new ProxyAbort('ERR_CLIENT_ABORTED', 'client went away'));
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController): void {
    controller.abort(new ProxyAbort('ERR_BAD_RESPONSE_HEADER', 'the error backend answered with an upgrade'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200 || this.ex.clientGone) return;
    const ex = this.ex;
    const target = ex.target!;
    // The answer as any relayed one: hop-by-hop removed, Gatehouse's Server, CORS, HSTS, the
    // picker's and auth's cookies, the Ingress's response header edits (more_set_headers applies to error pages too).
    let fields = buildResponseHeaders(
      headers as Record<string, string | string[] | undefined>,
      ex.scheme === 'https' ? target.hsts : undefined,
      ex.corsHeaders === undefined ? ex.responseHeaders : [...ex.responseHeaders, ...ex.corsHeaders],
      ex.corsHeaders === undefined ? undefined : CORS_RESPONSE_HEADERS,
    );
    const edits = target.policy.headerEdits;
    if (edits !== undefined) fields = editResponseHeaders(fields, statusCode, edits, templateContextOf(ex));
    if (!ex.client.writeHead(statusCode, fields)) {
      controller.abort(new ProxyAbort('ERR_BAD_RESPONSE_HEADER', 'the error backend sent a header that cannot be relayed'));
      return;
    }
    this.started = true;
    ex.responseStarted = true;
    ex.status = statusCode;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const ex = this.ex;
    if (ex.clientGone || !this.started) return;
    ex.bytesOut += chunk.length;
    if (!ex.client.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    const ex = this.ex;
    this.finishUpstream(ex.status >= 500 ? 'http-5xx' : 'ok');
    if (ex.clientGone) return;
    if (!this.started) return this.fallBack('the error backend sent no answer');
    ex.client.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    const ex = this.ex;
    const code = (err as { code?: unknown }).code;
    const why = typeof code === 'string' ? code : err.message;
    this.finishUpstream(ex.clientGone ? 'aborted' : 'reset');
    if (ex.clientGone) return;
    if (this.started) {
      ex.error = `custom-http-errors: the error backend's answer failed (${why})`;
      return ex.abortClient();
    }
    this.fallBack(why);
  }

  /** The error backend's request is over: its endpoint and connection slot go back. */
  finishUpstream(outcome: 'ok' | 'http-5xx' | 'reset' | 'aborted'): void {
    if (this.done) return;
    this.done = true;
    this.ex.upstreamDone = true;
    const slot = this.slot;
    this.slot = undefined;
    if (slot !== undefined && !this.waiting) slot.release();
    const endpoint = this.endpoint;
    if (endpoint !== undefined) this.ce.picker.release?.(endpoint, outcome);
  }

  /** The error backend could not answer: the original answer goes out. */
  fallBack(why: string, outcome?: 'aborted'): void {
    if (outcome !== undefined) this.finishUpstream(outcome);
    const ex = this.ex;
    if (ex.clientGone) return;
    ex.error = `${ex.error === undefined ? '' : `${ex.error}; `}custom-http-errors: the error backend did not answer (${why}), the original answer was relayed`;
    const kept = this.kept;
    if (!this.fromBackend || kept === undefined || ex.headFields === undefined) return ex.respondPlain(this.status, ex.hasBody);
    if (!ex.client.writeHead(ex.headStatus, ex.headFields)) return ex.respondPlain(502, false);
    ex.responseStarted = true;
    ex.status = ex.headStatus;
    for (const chunk of kept) {
      ex.bytesOut += chunk.length;
      ex.client.write(chunk);
    }
    this.kept = undefined;
    ex.client.end();
  }
}
