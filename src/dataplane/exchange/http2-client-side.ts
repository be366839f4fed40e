// The client side of an exchange on an HTTP/2 stream, through Node's compatibility API
// (Http2ServerRequest/Http2ServerResponse), for TLS sessions (ALPN h2) and h2c servers. Node's
// HTTP/2 parser leaves some checks to us (checkRequestHead), and a stream's flow-control window
// can stall a write: the send timeout is armed here.
import { endHttp2WithHead, relayTrailers } from '../proxy/relay-trailers.ts';
import type { IncomingHttpHeaders } from 'node:http';
import { constants as h2constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import { checkRequestHead, type RequestCheckOptions } from '../http/check-request.ts';
import { canonicalizeTarget } from '../http/canonical-path.ts';
import { peerAddress } from '../http/client-address.ts';
import type { ClientEvents, ClientSide, ClientTarget } from './client-side.ts';

const kSide = Symbol('gatehouse.clientSide');
type Tagged = { [kSide]?: Http2ClientSide };

// Listeners shared by every stream: `this` is the response, the adapter hangs off it.
function onResponseClose(this: Http2ServerResponse): void {
  const side = (this as Tagged)[kSide];
  if (side === undefined) return;
  side.clearSendTimer();
  side.events?.clientClosed(this.writableFinished);
}
function onResponseDrain(this: Http2ServerResponse): void {
  const side = (this as Tagged)[kSide];
  if (side === undefined) return;
  side.clearSendTimer();
  side.events?.clientWritable();
}
function onSendTimeout(side: Http2ClientSide): void {
  side.sendTimer = undefined;
  side.events?.clientSendTimedOut();
}

export class Http2ClientSide implements ClientSide {
  readonly req: Http2ServerRequest;
  readonly res: Http2ServerResponse;
  readonly method: string;
  readonly protocol = 'HTTP/2.0';
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly joinCookies = true;
  readonly peerAddress: string;
  readonly connection: object | undefined;
  readonly localPort: number;
  readonly hasBody: boolean;
  readonly contentLength: string | undefined;
  readonly upgrade = undefined;
  events: ClientEvents | null = null;
  sendTimer: NodeJS.Timeout | undefined = undefined;
  readonly #checks: RequestCheckOptions;
  readonly #sendTimeoutMs: number;
  #drainHooked = false;

  constructor(req: Http2ServerRequest, res: Http2ServerResponse, checks: RequestCheckOptions, sendTimeoutMs: number) {
    this.req = req;
    this.res = res;
    this.method = req.method;
    this.headers = req.headers;
    this.rawHeaders = req.rawHeaders;
    this.peerAddress = peerAddress(req.socket);
    this.localPort = req.socket?.localPort ?? 0;
    this.connection = req.socket;
    this.hasBody = !req.stream.endAfterHeaders;
    const cl = req.headers['content-length'];
    this.contentLength = cl !== undefined && isDigits(cl) ? cl : undefined;
    this.#checks = checks;
    this.#sendTimeoutMs = sendTimeoutMs;
  }

  header(name: string): string | string[] | undefined {
    return this.headers[name];
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  target(): ClientTarget {
    // The hardening checks read the parsed head as they do for HTTP/1 (IncomingMessage's shape).
    const rejection = checkRequestHead(this.req, this.#checks);
    if (rejection !== undefined) return { ok: false, status: rejection.status, reason: rejection.reason };
    const canonical = canonicalizeTarget(this.req.url ?? '');
    if (!canonical.ok) return { ok: false, status: canonical.status, reason: canonical.reason };
    const authority = canonical.authority ?? (this.headers[':authority'] as string | undefined) ?? this.headers.host;
    return { ok: true, path: canonical.form === 'asterisk' ? '*' : canonical.path, query: canonical.query, authority, asterisk: canonical.form === 'asterisk' };
  }

  bind(events: ClientEvents): void {
    this.events = events;
    (this.res as Tagged)[kSide] = this;
    this.res.on('close', onResponseClose);
  }

  body(): Readable | null {
    return this.hasBody ? this.req : null;
  }

  writeContinue(): void {
    if (this.headers.expect !== undefined) this.res.writeContinue();
  }

  respond(status: number, headers: string[], body: Buffer | undefined): void {
    // An answer of our own to a request whose body was never read (a redirect, a refusal): the body
    // is read and dropped, so the stream ends cleanly on both sides instead of DATA arriving for a
    // stream already closed (a RST_STREAM the client reports as a framing error).
    if (this.hasBody && !this.req.readableEnded && !this.req.readableFlowing) this.req.resume();
    if (body !== undefined) headers.push('content-length', String(body.length));
    this.res.writeHead(status, headers);
    if (body === undefined) this.res.end();
    else this.res.end(body);
  }

  writeHead(status: number, fields: (string | string[])[]): boolean {
    const res = this.res;
    try {
      // Node validates every name and value here and throws on anything that cannot be a header.
      res.writeHead(status, fields as string[]);
    } catch {
      // The compatibility response keeps the fields it stored before refusing one (a
      // connection-specific header): drop them, or the 502 would carry them and be refused too.
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      return false;
    }
    return true;
  }

  flushHead(): void {
    // writeHead already sent the HEADERS frame.
  }

  write(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // The stream's window (or the socket) is full: --client-send-timeout runs until 'drain'.
    this.sendTimer ??= setTimeout(onSendTimeout, this.#sendTimeoutMs, this);
    if (!this.#drainHooked) {
      this.#drainHooked = true;
      this.res.on('drain', onResponseDrain);
    }
    return false;
  }

  end(trailers?: IncomingHttpHeaders): void {
    if (trailers !== undefined) relayTrailers(this.res, trailers);
    this.res.end();
  }

  endWithHead(status: number, fields: (string | string[])[]): boolean {
    return endHttp2WithHead(this.res, status, fields);
  }

  /** Only this stream is reset: CANCEL when a client-side limit fired, INTERNAL_ERROR for a cut response. */
  abort(kind: 'error' | 'cancel'): void {
    const stream = this.res.stream;
    if (!stream.destroyed) stream.close(kind === 'cancel' ? h2constants.NGHTTP2_CANCEL : h2constants.NGHTTP2_INTERNAL_ERROR);
  }

  detach(): undefined {
    return undefined;
  }

  clearSendTimer(): void {
    if (this.sendTimer !== undefined) {
      clearTimeout(this.sendTimer);
      this.sendTimer = undefined;
    }
  }
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 16) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
