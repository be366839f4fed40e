// One request and its response on an engine connection: what a handler sees. The head is parsed
// and checked; the body is read on demand (`readBody`), with back-pressure; the response is written
// with `respond` (head and body in one write) or `writeHead`/`write`/`end` (streamed, with
// back-pressure reported by `write` and `ExchangeListener.onWritable`).
//
// No closures: events go to an ExchangeListener object the handler sets (its per-request or
// per-attempt object), and `context` carries the handler's state. Every method is a no-op once
// the exchange is over, so a late callback from an upstream cannot write into the next response.

import type { Socket } from 'node:net';
import type { Http1Connection } from './http1-connection.ts';
import type { RequestHead } from './request-head.ts';

export interface ExchangeListener {
  /** A run of request body bytes (a view: copy it to keep it past the call). Return false to pause. */
  onBodyData?(ex: Http1Exchange, chunk: Buffer): boolean | void;
  /** The request body is complete (also called for requests without a body once readBody is called). */
  onBodyEnd?(ex: Http1Exchange): void;
  /** The request body is malformed: the engine answers 400 (if nothing was sent) and closes. */
  onBodyError?(ex: Http1Exchange, reason: string): void;
  /** The response can take more bytes after write() returned false. */
  onWritable?(ex: Http1Exchange): void;
  /** The client went away, or a limit cut the connection, before the response was complete. */
  onAbort?(ex: Http1Exchange, reason: string): void;
}

export class Http1Exchange {
  readonly head: RequestHead;
  /** @internal the connection this exchange belongs to. */
  readonly conn: Http1Connection;
  listener: ExchangeListener | null = null;
  /** The handler's own state for this request. */
  context: unknown = undefined;
  headersSent = false;
  finished = false;
  aborted = false;
  /** Why the exchange was aborted ('client-closed', 'request-timeout', 'send-timeout'...). */
  abortReason = '';
  /** Request body bytes delivered to the listener so far. */
  bodyBytesRead = 0;
  /** Response body bytes written so far (framing excluded). */
  bodyBytesWritten = 0;

  constructor(conn: Http1Connection, head: RequestHead) {
    this.conn = conn;
    this.head = head;
  }

  get method(): string {
    return this.head.method;
  }

  /** The client's address as the socket reports it. */
  get remoteAddress(): string | undefined {
    return this.conn.socket.remoteAddress;
  }

  /** True on TLS connections. */
  get encrypted(): boolean {
    return this.conn.encrypted;
  }

  /** The request has a body to read (Content-Length > 0 or chunked). */
  get hasBody(): boolean {
    return this.head.chunked || this.head.contentLength > 0;
  }

  /** Starts delivering the body to `listener` (or the listener already set). */
  readBody(listener?: ExchangeListener): void {
    if (listener !== undefined) this.listener = listener;
    this.conn.readBody(this);
  }

  pauseBody(): void {
    this.conn.pauseBody(this);
  }

  resumeBody(): void {
    this.conn.resumeBody(this);
  }

  /** No further request on this connection: the response says `Connection: close` and the connection ends after it. */
  closeAfterResponse(): void {
    this.conn.closeAfterResponse(this);
  }

  /** Sends `100 Continue` once, if the client asked for it and no response has started. */
  writeContinue(): void {
    this.conn.writeContinue(this);
  }

  /**
   * A complete response in one write. `headers` is a flat [name, value, ...] list without
   * Content-Length, Transfer-Encoding or Connection (the engine writes those).
   */
  respond(status: number, headers: readonly string[], body?: Buffer | string): void {
    this.conn.respond(this, status, headers, body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body);
  }

  /**
   * Starts a streamed response. `contentLength` -1 means unknown: chunked on HTTP/1.1, read to
   * close on HTTP/1.0. The head is written with the first body bytes (or at end()).
   */
  writeHead(status: number, headers: readonly string[], contentLength: number): void {
    this.conn.writeHead(this, status, headers, contentLength);
  }

  /** Writes body bytes; false means the client is not keeping up: wait for onWritable. */
  write(chunk: Buffer): boolean {
    return this.conn.write(this, chunk);
  }

  /** `trailers`: a trailer section already checked by the caller, written only with chunked framing. */
  end(chunk?: Buffer, trailers?: string): void {
    this.conn.end(this, chunk, trailers);
  }

  /**
   * Hands the connection over (protocol upgrade): the socket, paused and with the engine's
   * listeners removed, and the bytes the client sent after this request's head. Only for requests
   * with `head.upgrade` set and before any response byte; the engine forgets the connection.
   */
  detach(): { socket: Socket; head: Buffer } {
    return this.conn.detach(this);
  }

  /** Cuts the connection (the client sees an aborted response): for failures after the head went out. */
  destroy(reason = 'destroyed'): void {
    this.conn.destroyFor(this, reason);
  }
}
