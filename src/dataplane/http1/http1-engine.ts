// The HTTP/1.1 server engine: serves plain `net` or `tls` sockets without Node's http objects.
// It owns the connections it is given (`serve(socket)`), one shared timer that enforces every
// connection's deadlines (headers, request, keep-alive idle, send, close linger), and drain.
//
// Usage: `const engine = new Http1Engine(handler, options)`, then hand it sockets from a
// `net.Server` 'connection' or a `tls.Server` 'secureConnection' listener (ALPN decides which
// TLS connections come here and which go to node:http2).

import type { Socket } from 'node:net';
import { connectionPeerAddress } from '../front/connection-address.ts';
import { DEFAULT_HTTP1_ENGINE_OPTIONS, type Http1EngineOptions } from './engine-options.ts';
import { Http1Connection } from './http1-connection.ts';
import type { Http1Exchange } from './http1-exchange.ts';

/** A request the engine refused (or a connection a limit cut) before or instead of the handler. */
export interface Http1Rejection {
  /** The status answered (0: none could be sent, the connection was cut). */
  status: number;
  /** Stable short code: 'invalid-header-token', 'header-overflow', 'headers-timeout', 'send-timeout'... */
  code: string;
  reason: string;
  remoteAddress: string | undefined;
  encrypted: boolean;
}

export interface Http1Handler {
  /** A request whose head passed every check. Answer it through `ex`; read its body with `ex.readBody`. */
  onRequest(ex: Http1Exchange): void;
  /** For the access log: a request refused by the engine, or a connection cut by a limit. */
  onRejected?(rejection: Http1Rejection): void;
  /** A handler that threw: the engine answered 500 (or cut the response). */
  onHandlerError?(err: unknown): void;
}

export class Http1Engine {
  readonly handler: Http1Handler;
  readonly options: Readonly<Http1EngineOptions>;
  private readonly connections = new Set<Http1Connection>();
  private timer: NodeJS.Timeout | undefined;
  draining = false;

  constructor(handler: Http1Handler, options: Partial<Http1EngineOptions> = {}) {
    this.handler = handler;
    this.options = Object.freeze({ ...DEFAULT_HTTP1_ENGINE_OPTIONS, ...options });
  }

  /** Open connections (requests in flight or idle keep-alive). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Serves HTTP/1.1 on a connected socket until it closes or is detached (upgrade). */
  serve(socket: Socket): void {
    if (socket.destroyed) return;
    const conn = new Http1Connection(this, socket, Date.now());
    this.connections.add(conn);
    if (this.timer === undefined) {
      this.timer = setInterval(sweep, this.options.checkIntervalMs, this);
      this.timer.unref();
    }
    if (this.draining) conn.destroy();
  }

  /** @internal */
  forget(conn: Http1Connection): void {
    this.connections.delete(conn);
  }

  /** @internal one pass over every connection's deadlines. */
  sweep(now: number): void {
    for (const conn of this.connections) conn.sweep(now);
  }

  /** Stops taking new requests: idle connections close now, busy ones after their current response. */
  drain(): void {
    this.draining = true;
    for (const conn of this.connections) if (conn.idle) conn.destroy();
  }

  /** Destroys every connection and stops the timer. */
  close(): void {
    this.draining = true;
    for (const conn of [...this.connections]) conn.destroy();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** @internal */
  reportRejected(conn: Http1Connection, status: number, code: string, reason: string): void {
    const h = this.handler.onRejected;
    if (h === undefined) return;
    try {
      h.call(this.handler, { status, code, reason, remoteAddress: connectionPeerAddress(conn.socket), encrypted: conn.encrypted });
    } catch (err) {
      this.reportHandlerError(err);
    }
  }

  /** @internal */
  reportHandlerError(err: unknown): void {
    try {
      this.handler.onHandlerError?.(err);
    } catch {
      // A reporting hook that throws must not take the connection's state machine with it.
    }
  }
}

function sweep(engine: Http1Engine): void {
  engine.sweep(Date.now());
}
