// The engine's own HTTP/1.1 upstream client (upstream-pool.ts) behind the part of undici's
// Dispatcher interface the exchange flow uses: `dispatch(options, handler)` with the handler's
// onRequestStart / onResponseStart / onResponseData / onResponseEnd / onResponseError, a
// controller to pause, resume and abort, and onBodySent / onRequestSent for a streamed body. So
// the flow stays one flow over either client, and plain HTTP/1.1 backends (the common case) skip
// undici's request objects, its WebAssembly parser and its setImmediate-driven queue: the profile
// of the 1-worker bench put undici at about a fifth of Gatehouse's CPU time.
//
// Upgrades, TLS and HTTP/2 backends stay on undici (upstream-pools.ts decides).
//
// Errors are reported with undici's codes where the flow's classification already knows them
// (UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT, ECONNRESET...), so the
// access log, metrics and retry decisions read the same whichever client carried the request.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ResponseHead } from './response-head-parser.ts';
import type { UpstreamCall, UpstreamHandler, UpstreamRequest } from './upstream-connection.ts';
import { UpstreamError } from './upstream-error.ts';
import type { UpstreamPool } from './upstream-pool.ts';

/** A header value that would end the line it is written on (the client writes names and values as given). */
const LINE_BREAKING = /[\0\r\n]/;

export class EngineDispatcher {
  readonly pool: UpstreamPool;

  constructor(pool: UpstreamPool) {
    this.pool = pool;
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    new EngineDispatch(this.pool, options, handler).start();
    return true;
  }

  /** Idle connections close now, busy ones when their request ends. */
  close(): Promise<void> {
    this.pool.close();
    return Promise.resolve();
  }

  /** Every connection closes now; requests on them fail. */
  destroy(): Promise<void> {
    this.pool.destroy();
    return Promise.resolve();
  }
}

/** One request: the UpstreamCall's handler and the flow's DispatchController. */
class EngineDispatch implements UpstreamHandler, Dispatcher.DispatchController {
  readonly #pool: UpstreamPool;
  readonly #options: Dispatcher.DispatchOptions;
  readonly #handler: Dispatcher.DispatchHandler;
  #call: UpstreamCall | null = null;
  #body: Readable | null = null;
  #aborted = false;
  #paused = false;
  #reason: Error | null = null;
  #ended = false;

  constructor(pool: UpstreamPool, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    this.#pool = pool;
    this.#options = options;
    this.#handler = handler;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  start(): void {
    const handler = this.#handler;
    handler.onRequestStart?.(this, undefined);
    if (this.#aborted) return; // the handler gave up at once; it heard onResponseError from abort()
    const o = this.#options;
    const given = (o.headers ?? []) as string[];
    const headers: string[] = [];
    let length = 0;
    for (let i = 0; i + 1 < given.length; i += 2) {
      const name = given[i]!;
      const value = given[i + 1]!;
      if (LINE_BREAKING.test(value) || LINE_BREAKING.test(name)) {
        return this.#fail(new UpstreamError('UND_ERR_INVALID_ARG', `invalid ${name} header value`, 502, false));
      }
      // The body's framing is the client's to write: the flow says the length it knows here.
      if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(value);
      else headers.push(name, value);
    }
    const body = (o.body ?? null) as Readable | null;
    const request: UpstreamRequest = { method: o.method, path: o.path, headers, contentLength: body === null ? 0 : length > 0 ? length : -1 };
    // The flow gives the route's read timeout as undici's headersTimeout (bodyTimeout is the same).
    if (typeof o.headersTimeout === 'number') request.readTimeoutMs = o.headersTimeout;
    this.#call = this.#pool.request(request, this);
    if (body !== null && !this.#ended) this.#pump(body);
  }

  /** Streams the request body with back-pressure: paused while the upstream socket is full. */
  #pump(body: Readable): void {
    this.#body = body;
    body.on('data', (chunk: Buffer) => {
      const call = this.#call;
      if (call === null || this.#ended) return;
      this.#handler.onBodySent?.(chunk);
      if (!call.write(chunk)) body.pause();
    });
    body.once('end', () => {
      if (this.#ended) return;
      this.#call?.end();
      this.#handler.onRequestSent?.();
    });
    body.once('error', (err: Error) => this.abort(err));
  }

  // ---- DispatchController ----

  abort(reason: Error): void {
    if (this.#aborted || this.#ended) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#call?.abort();
    this.#fail(reason);
  }

  pause(): void {
    this.#paused = true;
    this.#call?.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#call?.resume();
  }

  // ---- UpstreamHandler ----

  onRequestWritable(): void {
    this.#body?.resume();
  }

  onResponseStart(_call: UpstreamCall, head: ResponseHead): void {
    if (this.#ended) return;
    this.#handler.onResponseStart?.(this, head.status, headerRecord(head.rawHeaders), '');
  }

  onResponseData(_call: UpstreamCall, chunk: Buffer): boolean {
    if (this.#ended) return true;
    this.#handler.onResponseData?.(this, chunk);
    return !this.#paused;
  }

  onResponseEnd(_call: UpstreamCall, trailers?: readonly string[]): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detachBody();
    this.#handler.onResponseEnd?.(this, trailers === undefined ? {} : headerRecord(trailers));
  }

  onResponseError(_call: UpstreamCall, err: UpstreamError): void {
    this.#fail(err);
  }

  #fail(err: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detachBody();
    this.#handler.onResponseError?.(this, err instanceof UpstreamError ? withUndiciCode(err) : err);
  }

  #detachBody(): void {
    const body = this.#body;
    if (body === null) return;
    this.#body = null;
    body.removeAllListeners('data');
    // The rest of an unread body is the client side's to discard (it closes the connection).
    body.on('error', ignore);
  }
}

function ignore(): void {}

/** The client's stable codes as the undici codes the flow classifies (proxy/upstream-error.ts). */
const UNDICI_CODES: Record<string, string> = {
  'connect-timeout': 'UND_ERR_CONNECT_TIMEOUT',
  'read-timeout': 'UND_ERR_HEADERS_TIMEOUT',
  'body-timeout': 'UND_ERR_BODY_TIMEOUT',
  'send-timeout': 'ERR_SEND_TIMEOUT',
  'malformed-response': 'HPE_INVALID_RESPONSE',
  'body-length-mismatch': 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'pool-closed': 'UND_ERR_CLOSED',
  'queue-full': 'UND_ERR_QUEUE_FULL',
  aborted: 'UND_ERR_SOCKET',
};

function withUndiciCode(err: UpstreamError): UpstreamError {
  const code = UNDICI_CODES[err.code];
  if (code === undefined) return err;
  return new UpstreamError(code, err.message, err.status, err.retryable);
}

/** The response's fields as undici gives them: lower-case names, repeated fields as lists. */
export function headerRecord(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (typeof had === 'string') out[name] = [had, value];
    else had.push(value);
  }
  return out as IncomingHttpHeaders;
}
