// One client connection of the HTTP/1 engine: the state machine that reads heads and bodies,
// hands one request at a time to the handler, writes its response, and decides what the
// connection does next.
//
//   HEAD ──head──▶ BODY ──body complete──▶ WAIT ──response done──▶ HEAD (keep-alive)
//     │ refused                                                   └──▶ CLOSING (close)
//     ▼
//   CLOSING ──linger or peer close──▶ CLOSED          (any state) ──detach──▶ DETACHED
//
// One request in flight: the next head is parsed only once the current response is complete and
// the socket has drained below its high-water mark. While a request is in flight the socket is
// read only up to `maxReadAheadBytes` of bytes nobody asked for yet, then paused, so a client
// that pipelines 150,000 requests in one write costs one read-ahead buffer, not a queue.
//
// Events from the socket go through module-level functions (the connection is found on the
// socket), and per-request events through the ExchangeListener object: no closure is created
// per connection or per request.

import type { Socket } from 'node:net';
import { ChunkedDecoder, type ChunkSink } from './chunked-decoder.ts';
import type { Http1Engine } from './http1-engine.ts';
import { Http1Exchange } from './http1-exchange.ts';
import { parseRequestHead, type HeadCursor } from './head-parser.ts';
import { HeadError } from './request-head.ts';
import { headerLines, statusLine } from './response-head.ts';

const HEAD = 0;
const BODY = 1;
const WAIT = 2;
const CLOSING = 3;
const CLOSED = 4;
const DETACHED = 5;

/** Response framing. */
const NO_BODY = 0;
const LENGTH = 1;
const CHUNKED = 2;
const TO_CLOSE = 3;

/** Responses up to this size are copied into one buffer for one write; larger ones use writev. */
const COPY_LIMIT = 16 * 1024;

const kConnection = Symbol('http1Connection');
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
const LAST_CHUNK = '0\r\n\r\n';
const EMPTY = Buffer.alloc(0);

type EngineSocket = Socket & { [kConnection]?: Http1Connection };

export class Http1Connection implements ChunkSink {
  readonly socket: EngineSocket;
  readonly engine: Http1Engine;
  readonly encrypted: boolean;
  private state = HEAD;
  /** Bytes read and not yet consumed (a partial head, body bytes not yet delivered, read-ahead). */
  private pending: Buffer | null = null;
  private readonly cursor: HeadCursor = { scanned: 0, consumed: 0 };
  private current: Http1Exchange | null = null;
  private processing = false;
  private again = false;
  private paused = false;

  // request body
  private bodyRemaining = 0;
  private decoder: ChunkedDecoder | null = null;
  private bodyReading = false;
  private bodyPaused = false;
  private bodyComplete = true;

  // response
  private framing = NO_BODY;
  private pendingHead: string | null = null;
  private lengthLeft = 0;
  private closeAfter = false;
  private continueSent = false;
  private awaitingDrain = false;
  /** Consecutive bodiless requests that had more bytes queued behind them when parsed. */
  private pipelined = 0;

  // deadlines (Date.now() values; 0 = not running)
  headStartedAt: number;
  requestStartedAt = 0;
  idleSince = 0;
  needDrainSince = 0;
  closingSince = 0;

  constructor(engine: Http1Engine, socket: Socket, now: number) {
    this.engine = engine;
    this.socket = socket;
    this.encrypted = (socket as { encrypted?: boolean }).encrypted === true;
    this.headStartedAt = now; // the first head must arrive within the headers timeout
    this.socket[kConnection] = this;
    socket.setNoDelay(true);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('drain', onDrain);
  }

  /** True when no request is in flight and no head has started: a drain may close it now. */
  get idle(): boolean {
    return this.state === HEAD && this.current === null && (this.pending === null || this.pending.length === 0);
  }

  // ---------------------------------------------------------------- reading

  onData(chunk: Buffer): void {
    if (this.state >= CLOSING) return;
    const p = this.pending;
    this.pending = p === null || p.length === 0 ? chunk : Buffer.concat([p, chunk]);
    if (this.state === HEAD && this.headStartedAt === 0) this.headStartedAt = Date.now();
    this.process();
  }

  private process(): void {
    if (this.processing) {
      this.again = true;
      return;
    }
    this.processing = true;
    try {
      do {
        this.again = false;
        this.step();
      } while (this.again && this.state < CLOSING);
    } finally {
      this.processing = false;
    }
  }

  private step(): void {
    switch (this.state) {
      case HEAD:
        this.stepHead();
        return;
      case BODY:
        this.stepBody();
        return;
      case WAIT:
        this.readAhead();
        return;
      default:
        return;
    }
  }

  private stepHead(): void {
    if (this.awaitingDrain) return this.pause();
    const buf = this.pending;
    if (buf === null || buf.length === 0) return this.resume();
    const limits = this.engine.options;
    const result = parseRequestHead(buf, limits, this.cursor, this.encrypted ? 'https' : 'http');
    if (result === undefined) return this.resume();
    if (result instanceof HeadError) return this.reject(result.status, result.code, result.reason);
    const consumed = this.cursor.consumed;
    this.pending = consumed === buf.length ? null : buf.subarray(consumed);
    const now = Date.now();
    this.requestStartedAt = this.headStartedAt === 0 ? now : this.headStartedAt;
    this.headStartedAt = 0;
    this.idleSince = 0;
    const ex = new Http1Exchange(this, result);
    this.current = ex;
    this.framing = NO_BODY;
    this.pendingHead = null;
    this.continueSent = false;
    this.closeAfter = !result.keepAlive || this.engine.draining;
    // Requests pipelined behind this one (bytes already here, and not its body): past the cap the
    // connection closes after this response, as a client that floods a connection is not served
    // forever one request at a time (the read-ahead cap already bounds the memory).
    if (!result.chunked && result.contentLength <= 0) {
      const behind = this.pending !== null && this.pending.length > 0;
      this.pipelined = behind ? this.pipelined + 1 : 0;
      if (this.pipelined > limits.maxPipelinedRequests) this.closeAfter = true;
    }
    this.bodyReading = false;
    this.bodyPaused = false;
    if (result.chunked) {
      this.decoder = new ChunkedDecoder(limits.maxHeaderSize, limits.maxHeadersCount);
      this.bodyComplete = false;
      this.state = BODY;
    } else if (result.contentLength > 0) {
      this.decoder = null;
      this.bodyRemaining = result.contentLength;
      this.bodyComplete = false;
      this.state = BODY;
    } else {
      this.decoder = null;
      this.bodyComplete = true;
      this.state = WAIT;
    }
    try {
      this.engine.handler.onRequest(ex);
    } catch (err) {
      this.engine.reportHandlerError(err);
      if (!ex.headersSent) this.respond(ex, 500, [], undefined);
      else this.destroyFor(ex, 'handler-error');
    }
    this.again = true;
  }

  private stepBody(): void {
    const ex = this.current!;
    if (!this.bodyReading || this.bodyPaused) return this.readAhead();
    const buf = this.pending;
    if (buf === null || buf.length === 0) return this.resume();
    if (this.decoder === null) {
      const n = Math.min(this.bodyRemaining, buf.length);
      this.pending = n === buf.length ? null : buf.subarray(n);
      this.bodyRemaining -= n;
      this.deliver(ex, n === buf.length ? buf : buf.subarray(0, n));
      if (this.bodyRemaining === 0) this.finishBody(ex);
    } else {
      const at = this.decoder.decode(buf, 0, buf.length, this);
      if (at === -1) return this.bodyError(ex, this.decoder.error);
      this.pending = at === buf.length ? null : buf.subarray(at);
      if (this.decoder.done) this.finishBody(ex);
    }
    if (this.state === BODY && !this.bodyPaused) this.again = true;
  }

  /** ChunkSink: a run of chunk data from the decoder. */
  chunkData(buf: Buffer, start: number, end: number): void {
    const ex = this.current;
    if (ex !== null && end > start) this.deliver(ex, buf.subarray(start, end));
  }

  private deliver(ex: Http1Exchange, chunk: Buffer): void {
    ex.bodyBytesRead += chunk.length;
    const l = ex.listener;
    if (l !== null && l.onBodyData !== undefined && l.onBodyData(ex, chunk) === false) this.bodyPaused = true;
  }

  private finishBody(ex: Http1Exchange): void {
    this.bodyComplete = true;
    this.decoder = null;
    this.state = ex.finished ? this.state : WAIT;
    ex.listener?.onBodyEnd?.(ex);
    if (ex.finished) this.afterResponse(ex);
  }

  private bodyError(ex: Http1Exchange, reason: string): void {
    this.pending = null;
    ex.listener?.onBodyError?.(ex, reason);
    this.engine.reportRejected(this, 400, 'invalid-body', reason);
    if (ex.finished) return this.close();
    if (!ex.headersSent && this.pendingHead === null) {
      this.closeAfter = true;
      this.respondPlain(ex, 400);
    } else {
      this.destroyFor(ex, 'invalid-body');
    }
  }

  /** While a request is in flight: keep reading (to notice a client that leaves) up to the read-ahead cap. */
  private readAhead(): void {
    const p = this.pending;
    if (p !== null && p.length >= this.engine.options.maxReadAheadBytes) this.pause();
    else this.resume();
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private resume(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  readBody(ex: Http1Exchange): void {
    if (ex !== this.current || this.bodyReading) return;
    this.bodyReading = true;
    if (this.bodyComplete) {
      ex.listener?.onBodyEnd?.(ex);
      return;
    }
    this.process();
  }

  pauseBody(ex: Http1Exchange): void {
    if (ex === this.current) this.bodyPaused = true;
  }

  resumeBody(ex: Http1Exchange): void {
    if (ex !== this.current || !this.bodyPaused) return;
    this.bodyPaused = false;
    this.process();
  }

  // ---------------------------------------------------------------- writing

  closeAfterResponse(ex: Http1Exchange): void {
    if (ex === this.current) this.closeAfter = true;
  }

  writeContinue(ex: Http1Exchange): void {
    if (ex !== this.current || this.continueSent || ex.headersSent || this.pendingHead !== null || !ex.head.expectContinue) return;
    if (this.bodyComplete) return;
    this.continueSent = true;
    this.socket.write(CONTINUE);
  }

  respond(ex: Http1Exchange, status: number, headers: readonly string[], body: Buffer | undefined): void {
    if (ex !== this.current || ex.headersSent || this.pendingHead !== null) return;
    // No body: `content-length: 0`, except on a 304, where a length would describe the
    // representation the client already has.
    const length = body === undefined ? (status === 304 ? -1 : 0) : body.length;
    // A complete answer while the body is still arriving: the connection cannot be reused, say so.
    if (!this.bodyComplete && this.bodyReading) this.closeAfter = true;
    this.startHead(ex, status, headers, length);
    const head = this.pendingHead!;
    this.pendingHead = null;
    ex.headersSent = true;
    if (this.framing === LENGTH && length > 0) {
      ex.bodyBytesWritten = length;
      this.send(head, body!, null);
    } else {
      this.send(head, null, null);
    }
    this.finishResponse(ex);
  }

  writeHead(ex: Http1Exchange, status: number, headers: readonly string[], contentLength: number): void {
    if (ex !== this.current || ex.headersSent || this.pendingHead !== null) return;
    this.startHead(ex, status, headers, contentLength);
  }

  /** Builds the head (throws InvalidResponseHeaderError before anything is decided or written). */
  private startHead(ex: Http1Exchange, status: number, headers: readonly string[], contentLength: number): void {
    if (status < 200 || status > 999) throw new RangeError(`response status ${status}: 1xx answers other than 100 Continue are not supported`);
    let head = statusLine(status) + headerLines(headers);
    const noBody = ex.head.method === 'HEAD' || status === 204 || status === 304;
    // A body the handler did not read, and that is not already here whole, makes reuse impossible.
    if (!this.bodyComplete && !this.bodyReading && !(this.decoder === null && (this.pending?.length ?? 0) >= this.bodyRemaining)) this.closeAfter = true;
    if (this.engine.draining) this.closeAfter = true;
    if (contentLength >= 0) {
      if (status !== 204) head += `content-length: ${contentLength}\r\n`;
      this.framing = noBody ? NO_BODY : LENGTH;
      this.lengthLeft = contentLength;
    } else if (noBody) {
      this.framing = NO_BODY;
    } else if (ex.head.versionMinor === 1) {
      head += 'transfer-encoding: chunked\r\n';
      this.framing = CHUNKED;
    } else {
      this.framing = TO_CLOSE;
      this.closeAfter = true;
    }
    if (this.closeAfter) head += 'connection: close\r\n\r\n';
    else if (ex.head.versionMinor === 0) head += 'connection: keep-alive\r\n\r\n';
    else head += '\r\n';
    this.pendingHead = head;
  }

  write(ex: Http1Exchange, chunk: Buffer): boolean {
    if (ex !== this.current || ex.finished) return false;
    if (this.pendingHead === null && !ex.headersSent) throw new Error('write() before writeHead()');
    const n = chunk.length;
    if (n === 0 || this.framing === NO_BODY) return this.flushHead(ex);
    if (this.framing === LENGTH) {
      if (n > this.lengthLeft) {
        this.destroyFor(ex, 'response-longer-than-content-length');
        return false;
      }
      this.lengthLeft -= n;
    }
    const head = this.pendingHead ?? '';
    this.pendingHead = null;
    ex.headersSent = true;
    ex.bodyBytesWritten += n;
    if (this.framing === CHUNKED) return this.send(`${head}${n.toString(16)}\r\n`, chunk, '\r\n');
    return this.send(head, chunk, null);
  }

  private flushHead(ex: Http1Exchange): boolean {
    const head = this.pendingHead;
    if (head === null) return !this.socket.writableNeedDrain;
    this.pendingHead = null;
    ex.headersSent = true;
    return this.send(head, null, null);
  }

  /** `trailers`: a checked trailer section ('name: value\r\n'...), sent only with chunked framing. */
  end(ex: Http1Exchange, chunk: Buffer | undefined, trailers = ''): void {
    if (ex !== this.current || ex.finished) return;
    if (chunk !== undefined && chunk.length > 0) {
      if (this.pendingHead !== null && this.framing === LENGTH && chunk.length === this.lengthLeft) {
        // Head and whole body in one write.
        const head = this.pendingHead;
        this.pendingHead = null;
        ex.headersSent = true;
        ex.bodyBytesWritten += chunk.length;
        this.lengthLeft = 0;
        this.send(head, chunk, null);
        return this.finishResponse(ex);
      }
      this.write(ex, chunk);
      if (ex.finished) return;
    }
    if (this.framing === LENGTH && this.lengthLeft > 0) {
      // Fewer bytes than announced: the client must see an aborted response, not a short one.
      this.flushHead(ex);
      return this.destroyFor(ex, 'response-shorter-than-content-length');
    }
    const head = this.pendingHead ?? '';
    this.pendingHead = null;
    ex.headersSent = true;
    if (this.framing === CHUNKED) this.send(head + (trailers.length === 0 ? LAST_CHUNK : `0\r\n${trailers}\r\n`), null, null);
    else if (head.length > 0) this.send(head, null, null);
    this.finishResponse(ex);
  }

  /** One write (copy) for small responses, one writev (cork) for large ones. */
  private send(head: string, body: Buffer | null, tail: string | null): boolean {
    const socket = this.socket;
    if (socket.destroyed) return false;
    const bodyLength = body === null ? 0 : body.length;
    const tailLength = tail === null ? 0 : tail.length;
    let ok: boolean;
    if (bodyLength === 0) {
      ok = socket.write(tail === null ? head : head + tail, 'latin1');
    } else if (head.length + bodyLength + tailLength <= COPY_LIMIT) {
      const out = Buffer.allocUnsafe(head.length + bodyLength + tailLength);
      out.write(head, 0, 'latin1');
      body!.copy(out, head.length);
      if (tail !== null) out.write(tail, head.length + bodyLength, 'latin1');
      ok = socket.write(out);
    } else {
      socket.cork();
      if (head.length > 0) socket.write(head, 'latin1');
      socket.write(body!);
      ok = tail === null ? !socket.writableNeedDrain : socket.write(tail, 'latin1');
      socket.uncork();
    }
    if (!ok && this.needDrainSince === 0) this.needDrainSince = Date.now();
    return ok;
  }

  private finishResponse(ex: Http1Exchange): void {
    ex.finished = true;
    if (this.state === BODY && this.bodyReading && !this.bodyComplete) {
      // The handler answered while still reading the body (an echo, or a 413 mid-body): the body
      // must end (or the connection close) before the next request can be framed.
      this.closeAfter = true;
    }
    this.afterResponse(ex);
  }

  private afterResponse(ex: Http1Exchange): void {
    if (this.current !== ex) return;
    if (!this.bodyComplete) {
      if (this.decoder === null && !this.closeAfter && (this.pending?.length ?? 0) >= this.bodyRemaining) {
        // An unread Content-Length body that is already here whole: skip it and keep the connection.
        this.pending = this.pending!.length === this.bodyRemaining ? null : this.pending!.subarray(this.bodyRemaining);
        this.bodyRemaining = 0;
        this.bodyComplete = true;
      } else {
        this.current = null;
        return this.close();
      }
    }
    this.current = null;
    this.decoder = null;
    if (this.closeAfter) return this.close();
    this.state = HEAD;
    const now = Date.now();
    this.idleSince = now;
    this.headStartedAt = this.pending !== null && this.pending.length > 0 ? now : 0;
    if (this.socket.writableNeedDrain) {
      this.awaitingDrain = true;
      this.pause();
      return;
    }
    this.process();
  }

  onDrain(): void {
    this.needDrainSince = 0;
    const ex = this.current;
    if (ex !== null && !ex.finished) ex.listener?.onWritable?.(ex);
    if (this.awaitingDrain) {
      this.awaitingDrain = false;
      this.process();
    }
  }

  // ---------------------------------------------------------------- ending

  /** A refusal from the engine itself: a short plain answer, then the connection closes. */
  reject(status: number, code: string, reason: string): void {
    this.engine.reportRejected(this, status, code, reason);
    this.pending = null;
    const ex = this.current;
    if (ex !== null && !ex.finished) {
      if (ex.headersSent || this.pendingHead !== null) return this.destroyFor(ex, code);
      this.abort(ex, code);
    }
    this.closeAfter = true;
    const body = `${status} ${statusLine(status).slice(13, -2)}\n`;
    this.socket.write(`${statusLine(status)}content-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
    this.close();
  }

  private respondPlain(ex: Http1Exchange, status: number): void {
    const body = `${status} ${statusLine(status).slice(13, -2)}\n`;
    this.respond(ex, status, ['content-type', 'text/plain; charset=utf-8'], Buffer.from(body, 'latin1'));
  }

  /** Ends the connection after what was written; the sweep destroys it if the client lingers. */
  private close(): void {
    if (this.state >= CLOSING) return;
    this.state = CLOSING;
    this.closingSince = Date.now();
    this.pending = null;
    this.socket.end();
    this.resume(); // read (and drop) until the peer closes, so its FIN is seen
  }

  destroyFor(ex: Http1Exchange, reason: string): void {
    if (ex !== this.current) return;
    this.abort(ex, reason);
    this.destroy();
  }

  destroy(): void {
    if (this.state === CLOSED || this.state === DETACHED) return;
    this.state = CLOSED;
    this.pending = null;
    this.socket.destroy();
    this.engine.forget(this);
  }

  private abort(ex: Http1Exchange, reason: string): void {
    if (ex.finished && this.bodyComplete) return;
    const wasFinished = ex.finished;
    ex.finished = true;
    ex.aborted = true;
    ex.abortReason = reason;
    this.current = null;
    if (!wasFinished) ex.listener?.onAbort?.(ex, reason);
  }

  detach(ex: Http1Exchange): { socket: Socket; head: Buffer } {
    if (ex !== this.current || ex.headersSent || this.pendingHead !== null || ex.head.upgrade === undefined || this.state >= CLOSING) {
      throw new Error('detach(): only an upgrade request with no response started can take the connection');
    }
    const socket = this.socket;
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('error', onError);
    socket.removeListener('close', onClose);
    socket.removeListener('drain', onDrain);
    delete socket[kConnection];
    socket.pause();
    const head = this.pending ?? EMPTY;
    this.pending = null;
    ex.finished = true;
    this.current = null;
    this.state = DETACHED;
    this.engine.forget(this);
    return { socket, head };
  }

  onEnd(): void {
    // A half-close is the client leaving (as with Node's httpAllowHalfOpen off): its request is
    // aborted and the connection closed.
    const ex = this.current;
    if (ex !== null && !ex.finished) this.abort(ex, 'client-closed');
    this.destroy();
  }

  onClose(): void {
    const ex = this.current;
    if (ex !== null && !ex.finished) this.abort(ex, 'client-closed');
    if (this.state !== DETACHED) {
      this.state = CLOSED;
      this.pending = null;
      this.engine.forget(this);
    }
  }

  /** The engine's sweep: every deadline of this connection, against one clock reading. */
  sweep(now: number): void {
    const o = this.engine.options;
    if (this.needDrainSince !== 0 && now - this.needDrainSince > o.sendTimeoutMs) {
      const ex = this.current;
      this.engine.reportRejected(this, 0, 'send-timeout', 'the client accepted no bytes within the send timeout');
      if (ex !== null) this.abort(ex, 'send-timeout');
      return this.destroy();
    }
    switch (this.state) {
      case HEAD:
        if (this.headStartedAt !== 0) {
          if (now - this.headStartedAt > o.headersTimeoutMs) this.reject(408, 'headers-timeout', 'the request head did not arrive in time');
        } else if (this.idleSince !== 0 && now - this.idleSince > o.keepAliveTimeoutMs && !this.awaitingDrain) {
          this.destroy();
        }
        return;
      case BODY:
        if (now - this.requestStartedAt > o.requestTimeoutMs) this.reject(408, 'request-timeout', 'the request body did not arrive in time');
        return;
      case CLOSING:
        if (now - this.closingSince > o.closeLingerMs) this.destroy();
        return;
      default:
        return;
    }
  }
}

function connectionOf(socket: EngineSocket): Http1Connection | undefined {
  return socket[kConnection];
}

function onData(this: EngineSocket, chunk: Buffer): void {
  connectionOf(this)?.onData(chunk);
}

function onEnd(this: EngineSocket): void {
  connectionOf(this)?.onEnd();
}

function onError(this: EngineSocket): void {
  // 'close' follows; an error on a client socket is that client's problem only.
}

function onClose(this: EngineSocket): void {
  connectionOf(this)?.onClose();
}

function onDrain(this: EngineSocket): void {
  connectionOf(this)?.onDrain();
}
