// One keep-alive connection to a backend, carrying one request at a time: the head written in one
// write (with the body when it is given whole), a streamed body with back-pressure, the response
// parsed strictly (response-head-parser.ts, the engine's chunked decoder), the body delivered with
// back-pressure (the handler returns false to pause the socket), and reuse only when the response
// ended cleanly with nothing after it. Anything else destroys the connection.
//
// Deadlines use the socket's own inactivity timer (socket.setTimeout), re-armed only when a
// phase needs another value (connect; sending a streamed body; waiting for the response head and
// between body bytes, the read timeout, which also bounds an idle connection): re-arming it per
// request cost as much as parsing the response head. The keep-alive limit of idle connections is
// the pool's sweep (upstream-pool.ts).

import { connect, type Socket } from 'node:net';
import { ChunkedDecoder, type ChunkSink } from '../http1/chunked-decoder.ts';
import { MalformedResponse, parseResponseHead, type ResponseCursor, type ResponseHead } from './response-head-parser.ts';
import { UpstreamError } from './upstream-error.ts';
import type { UpstreamPool } from './upstream-pool.ts';

export interface UpstreamRequest {
  method: string;
  /** Origin-form target, already checked. */
  path: string;
  /** Flat [name, value, ...] list without framing headers (the client writes those). */
  headers: readonly string[];
  /** The whole body, written with the head. */
  body?: Buffer;
  /**
   * Without `body`: -1 streams a chunked body through UpstreamCall.write/end; a positive length
   * streams exactly that many bytes (framed by Content-Length, which this client writes: it must not
   * be in `headers`); 0 or absent: no body.
   */
  contentLength?: number;
  /** This request's read timeout (to the response head, between body bytes); default the pool's. */
  readTimeoutMs?: number;
}

export interface UpstreamHandler {
  onResponseStart(call: UpstreamCall, head: ResponseHead): void;
  /** Return false to pause the upstream read; call.resume() continues. */
  onResponseData(call: UpstreamCall, chunk: Buffer): boolean | void;
  /** `trailers`: a chunked response's trailer fields ([name, value, ...]), when it had any. */
  onResponseEnd(call: UpstreamCall, trailers?: readonly string[]): void;
  onResponseError(call: UpstreamCall, err: UpstreamError): void;
  /** The request body can take more after write() returned false. */
  onRequestWritable?(call: UpstreamCall): void;
}

/** One request's handle: what the handler may do while it runs. Inert once it is over. */
export class UpstreamCall {
  readonly handler: UpstreamHandler;
  readonly request: UpstreamRequest;
  /** @internal */
  conn: UpstreamConnection | null = null;
  done = false;
  /** Response bytes received (head excluded). */
  bytesIn = 0;

  constructor(request: UpstreamRequest, handler: UpstreamHandler) {
    this.request = request;
    this.handler = handler;
  }

  /** @internal body written before a connection was assigned (sent right after the head). */
  early: Buffer[] | null = null;
  /** @internal end() was called before a connection was assigned. */
  endedEarly = false;

  /**
   * Streams request body bytes (contentLength -1). The chunk is always taken (as with Node's
   * streams); false means wait for onRequestWritable before writing more.
   */
  write(chunk: Buffer): boolean {
    if (this.done) return false;
    if (this.conn === null) {
      (this.early ??= []).push(chunk);
      return false;
    }
    return this.conn.writeBody(this, chunk);
  }

  /** Ends a streamed request body. */
  end(): void {
    if (this.done) return;
    if (this.conn === null) this.endedEarly = true;
    else this.conn.endBody(this);
  }

  pause(): void {
    if (this.conn !== null && !this.done) this.conn.socket.pause();
  }

  resume(): void {
    if (this.conn !== null && !this.done) this.conn.socket.resume();
  }

  /** Gives up (the client left): the connection is destroyed, no further callback. */
  abort(): void {
    if (this.conn !== null && !this.done) {
      this.done = true;
      this.conn.destroy();
    } else {
      this.done = true;
    }
  }
}

/** Subtracted from a backend's Keep-Alive timeout hint, for the request that crosses its close. */
const KEEP_ALIVE_HINT_MARGIN_MS = 1000;

/** Where every upstream connection of this thread reads into (see the constructor). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

const CONNECTING = 0;
const IDLE = 1;
const WAIT_HEAD = 2;
const BODY = 3;
const CLOSED = 4;

export class UpstreamConnection implements ChunkSink {
  readonly socket: Socket;
  readonly pool: UpstreamPool;
  private state = CONNECTING;
  private call: UpstreamCall | null = null;
  private buffer: Buffer | null = null;
  private readonly cursor: ResponseCursor = { scanned: 0, consumed: 0 };
  private head: ResponseHead | null = null;
  private remaining = 0;
  private decoder: ChunkedDecoder | null = null;
  private requestDone = false;
  private chunkedRequest = false;
  /** Bytes of a length-framed streamed body still to send (-1: not such a body). */
  private bodyLeft = -1;
  /** Requests this connection has carried (a reused connection that fails first may be retried). */
  uses = 0;
  /** When it last became idle (Date.now()), for the pool's keep-alive sweep. */
  idleSince = 0;
  /**
   * How long it may stay idle: the pool's keep-alive timeout, shortened by the backend's own
   * `Keep-Alive: timeout=N` hint (less a margin), so it is not reused just as the backend closes it.
   */
  idleLimitMs: number;
  /** The socket's inactivity timeout as last set (-1: never set). */
  private timeoutMs = -1;

  constructor(pool: UpstreamPool) {
    this.pool = pool;
    this.idleLimitMs = pool.options.keepAliveTimeoutMs;
    // Reads land in one buffer shared by every upstream connection of the thread and are handed to
    // onRead directly, skipping the socket's Readable machinery (a push, an event and a nextTick per
    // read); onRead copies what it keeps before returning.
    const socket = connect({ host: pool.host, port: pool.port, noDelay: true, onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) } });
    this.socket = socket;
    this.armTimeout(pool.options.connectTimeoutMs);
    socket.on('connect', () => {
      this.armTimeout(pool.options.readTimeoutMs);
      this.state = IDLE;
      this.idleSince = Date.now();
      this.pool.connected(this);
    });
    socket.on('timeout', () => this.onTimeout());
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code ?? 'EUPSTREAM', err.message));
    socket.on('close', () => this.fail('ECONNRESET', 'upstream connection closed'));
    socket.on('drain', () => {
      const c = this.call;
      if (c !== null && !c.done) c.handler.onRequestWritable?.(c);
    });
  }

  get idle(): boolean {
    return this.state === IDLE;
  }

  /** Starts a request on this idle connection. */
  start(call: UpstreamCall): void {
    this.call = call;
    call.conn = this;
    this.uses++;
    this.state = WAIT_HEAD;
    this.head = null;
    this.buffer = null;
    this.cursor.scanned = 0;
    const r = call.request;
    let head = `${r.method} ${r.path} HTTP/1.1\r\n`;
    const h = r.headers;
    for (let i = 0; i + 1 < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
    const body = r.body;
    this.chunkedRequest = false;
    this.bodyLeft = -1;
    if (body !== undefined) {
      head += `content-length: ${body.length}\r\n\r\n`;
      this.requestDone = true;
    } else if (r.contentLength === -1) {
      head += 'transfer-encoding: chunked\r\n\r\n';
      this.chunkedRequest = true;
      this.requestDone = false;
    } else if (r.contentLength !== undefined && r.contentLength > 0) {
      head += `content-length: ${r.contentLength}\r\n\r\n`;
      this.bodyLeft = r.contentLength;
      this.requestDone = false;
    } else {
      if (r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH') head += 'content-length: 0\r\n';
      head += '\r\n';
      this.requestDone = true;
    }
    // While a streamed body is being sent, the inactivity timer is the send timeout (between body
    // bytes); from its end on, the read timeout (to the response head, between body bytes).
    this.armTimeout(this.requestDone ? this.readTimeoutMs : this.pool.options.sendTimeoutMs);
    if (body !== undefined && body.length > 0) {
      const out = Buffer.allocUnsafe(head.length + body.length);
      out.write(head, 0, 'latin1');
      body.copy(out, head.length);
      this.socket.write(out);
    } else {
      this.socket.write(head, 'latin1');
    }
    if (!this.requestDone) {
      // Body written while the request waited for a connection, then the go-ahead for more.
      const early = call.early;
      call.early = null;
      if (early !== null) for (const chunk of early) this.writeBody(call, chunk);
      if (call.endedEarly) this.endBody(call);
      else if (early !== null) call.handler.onRequestWritable?.(call);
    }
  }

  /** Sets the socket's inactivity timeout when it differs from the one set (0: none). */
  private armTimeout(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  /** The read timeout of the request on this connection (its own, or the pool's). */
  private get readTimeoutMs(): number {
    return this.call?.request.readTimeoutMs ?? this.pool.options.readTimeoutMs;
  }

  writeBody(call: UpstreamCall, chunk: Buffer): boolean {
    if (call !== this.call || this.requestDone || chunk.length === 0) return !this.socket.writableNeedDrain;
    if (this.bodyLeft >= 0) {
      // A length-framed body: more bytes than announced would be read by the backend as a next request.
      if (chunk.length > this.bodyLeft) {
        this.fail('body-length-mismatch', 'the request body is longer than its Content-Length');
        return false;
      }
      this.bodyLeft -= chunk.length;
      return this.socket.write(chunk);
    }
    this.socket.cork();
    this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    this.socket.write(chunk);
    const ok = this.socket.write('\r\n', 'latin1');
    this.socket.uncork();
    return ok;
  }

  endBody(call: UpstreamCall): void {
    if (call !== this.call || this.requestDone) return;
    if (this.bodyLeft > 0) return this.fail('body-length-mismatch', 'the request body ended before its Content-Length');
    this.requestDone = true;
    if (this.chunkedRequest) this.socket.write('0\r\n\r\n', 'latin1');
    if (this.state === IDLE) this.pool.release(this);
    else if (this.state === WAIT_HEAD) this.armTimeout(this.readTimeoutMs);
  }

  /** Always true: pausing is done by pause() itself (deliver), which stops the reads. */
  private onRead(n: number, shared: Uint8Array): boolean {
    if (this.state === IDLE || this.state === CONNECTING) {
      // Bytes nobody asked for (after a response, or before any request): never reuse.
      this.destroy();
      return true;
    }
    if (this.state === CLOSED) return true;
    // A copy: the shared buffer is overwritten by the next read, and body chunks outlive this call
    // (a client write that does not complete at once keeps its chunk).
    const d = Buffer.from(shared.subarray(0, n));
    const b = this.buffer;
    this.buffer = b === null || b.length === 0 ? d : Buffer.concat([b, d]);
    this.process();
    return true;
  }

  private process(): void {
    const call = this.call;
    if (call === null) return;
    if (this.state === WAIT_HEAD) {
      const buf = this.buffer!;
      const r = parseResponseHead(buf, this.pool.options.maxHeaderSize, this.cursor, call.request.method === 'HEAD');
      if (r === undefined) return;
      if (r instanceof MalformedResponse) return this.fail('malformed-response', r.reason);
      this.head = r;
      const rest = this.cursor.consumed === buf.length ? null : buf.subarray(this.cursor.consumed);
      this.buffer = rest;
      this.state = BODY;
      this.decoder = r.chunked ? new ChunkedDecoder(this.pool.options.maxHeaderSize, 100, true) : null;
      this.remaining = r.noBody || r.chunked || r.toClose ? 0 : r.contentLength;
      call.handler.onResponseStart(call, r);
      if (call.done || this.state !== BODY) return;
      if (r.noBody || (!r.chunked && !r.toClose && r.contentLength === 0)) return this.complete();
    }
    if (this.state !== BODY) return;
    const buf = this.buffer;
    if (buf === null || buf.length === 0) return;
    const head = this.head!;
    if (this.decoder !== null) {
      this.buffer = null;
      const decoder = this.decoder;
      const at = decoder.decode(buf, 0, buf.length, this);
      // The handler may have aborted inside a chunk (the connection is gone): nothing more to do.
      if (this.state !== BODY) return;
      if (at === -1) return this.fail('malformed-response', decoder.error);
      if (decoder.done) {
        if (at < buf.length) this.buffer = buf.subarray(at);
        return this.complete();
      }
    } else if (head.toClose) {
      this.buffer = null;
      this.deliver(call, buf);
    } else {
      const n = Math.min(this.remaining, buf.length);
      this.buffer = n === buf.length ? null : buf.subarray(n);
      this.remaining -= n;
      this.deliver(call, n === buf.length ? buf : buf.subarray(0, n));
      if (this.remaining === 0 && !call.done) this.complete();
    }
  }

  chunkData(buf: Buffer, start: number, end: number): void {
    const call = this.call;
    if (call !== null && !call.done && end > start) this.deliver(call, buf.subarray(start, end));
  }

  private deliver(call: UpstreamCall, chunk: Buffer): void {
    call.bytesIn += chunk.length;
    if (call.handler.onResponseData(call, chunk) === false) this.socket.pause();
  }

  private complete(): void {
    const call = this.call!;
    const head = this.head!;
    const leftover = this.buffer !== null && this.buffer.length > 0;
    const trailers = this.decoder?.trailers;
    this.call = null;
    this.decoder = null;
    call.done = true;
    call.conn = null;
    // A backend that keeps idle connections for N s: ours go back to the pool for N - 1 s at most
    // (undici's margin), none when that leaves nothing.
    if (head.keepAliveHintMs >= 0) this.idleLimitMs = Math.min(this.pool.options.keepAliveTimeoutMs, head.keepAliveHintMs - KEEP_ALIVE_HINT_MARGIN_MS);
    const reusable = head.keepAlive && !leftover && !head.toClose && this.idleLimitMs > 0;
    this.state = reusable ? IDLE : CLOSED;
    if (reusable) this.idleSince = Date.now();
    this.socket.resume();
    call.handler.onResponseEnd(call, trailers === undefined || trailers === null || trailers.length === 0 ? undefined : trailers);
    if (!reusable) {
      this.socket.destroy();
      this.pool.forget(this);
    } else if (this.requestDone) {
      this.pool.release(this);
    }
    // A response that ended before its streamed request body: the connection goes back once the
    // body ends (endBody), or is destroyed if the handler aborts instead.
  }

  private onTimeout(): void {
    if (this.state === IDLE) return this.destroy();
    if (this.state === CONNECTING) return this.fail('connect-timeout', 'upstream connect timed out');
    if (this.state === WAIT_HEAD && !this.requestDone) return this.fail('send-timeout', 'no request body bytes within the send timeout');
    this.fail('read-timeout', 'upstream read timed out');
  }

  /** Ends the connection with an error for the request on it (if any). */
  private fail(code: string, message: string): void {
    if (this.state === CLOSED) return;
    if (this.state === BODY && this.head?.toClose === true && code === 'ECONNRESET' && this.call !== null) {
      // A close-delimited body ends with the connection: that is its normal end.
      this.state = CLOSED;
      this.pool.forget(this);
      const call = this.call;
      this.call = null;
      call.done = true;
      call.conn = null;
      call.handler.onResponseEnd(call);
      return;
    }
    const wasConnecting = this.state === CONNECTING;
    const started = this.state === BODY;
    this.state = CLOSED;
    this.socket.destroy();
    this.pool.forget(this);
    const call = this.call;
    this.call = null;
    if (wasConnecting) {
      this.pool.connectFailed(this, new UpstreamError(code, message, code === 'connect-timeout' ? 504 : 502, true));
      return;
    }
    if (call === null || call.done) return;
    call.done = true;
    call.conn = null;
    const status = code === 'read-timeout' || code === 'send-timeout' ? 504 : 502;
    // Nothing received yet on a connection that had carried requests before: the backend may
    // have closed it while idle; the caller may retry (idempotent requests, no body sent).
    const retryable = !started && code !== 'malformed-response' && code !== 'read-timeout' && code !== 'send-timeout';
    // After the head, a read timeout is still a timeout (the access log says which limit fired).
    const reported = !started ? code : code === 'read-timeout' ? 'body-timeout' : 'aborted';
    call.handler.onResponseError(call, new UpstreamError(reported, message, status, retryable));
  }

  /** Ends the connection now; a request on it fails with `code` (the pool is being destroyed). */
  terminate(code: string, message: string): void {
    this.fail(code, message);
  }

  destroy(): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.call = null;
    this.socket.destroy();
    this.pool.forget(this);
  }
}
