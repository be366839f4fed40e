// The keep-alive connections to one backend endpoint (address:port) for the engine's upstream
// client: idle connections reused most-recent first, at most `maxConnections`, and a bounded queue
// of requests waiting for one (beyond it: 503 'queue-full', never an unbounded backlog).

import { UpstreamCall, UpstreamConnection, type UpstreamHandler, type UpstreamRequest } from './upstream-connection.ts';
import { UpstreamError } from './upstream-error.ts';

export interface UpstreamPoolOptions {
  maxConnections: number;
  /** Requests waiting for a connection beyond this are refused (503). */
  maxQueue: number;
  connectTimeoutMs: number;
  /** To the response head, and between response body bytes: 504 (or an aborted response). */
  readTimeoutMs: number;
  /** Between streamed request body bytes sent upstream: 504. */
  sendTimeoutMs: number;
  /** An idle connection is closed after this. */
  keepAliveTimeoutMs: number;
  maxHeaderSize: number;
}

export const DEFAULT_UPSTREAM_POOL_OPTIONS: Readonly<UpstreamPoolOptions> = Object.freeze({
  maxConnections: 256,
  maxQueue: 1024,
  connectTimeoutMs: 5000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  keepAliveTimeoutMs: 4000,
  maxHeaderSize: 64 * 1024,
});

export class UpstreamPool {
  readonly host: string;
  readonly port: number;
  readonly options: Readonly<UpstreamPoolOptions>;
  private readonly idleConnections: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private readonly queue: UpstreamCall[] = [];
  private connecting = 0;
  private closed = false;
  /** Closes connections idle for keepAliveTimeoutMs; runs while the pool has connections. */
  private sweep: NodeJS.Timeout | undefined = undefined;

  constructor(host: string, port: number, options: Partial<UpstreamPoolOptions> = {}) {
    this.host = host;
    this.port = port;
    this.options = Object.freeze({ ...DEFAULT_UPSTREAM_POOL_OPTIONS, ...options });
  }

  /** Open connections (idle, busy or connecting). */
  get size(): number {
    return this.all.size;
  }

  get idleCount(): number {
    return this.idleConnections.length;
  }

  /** Sends a request; the handler hears about its response. Returns its handle. */
  request(request: UpstreamRequest, handler: UpstreamHandler): UpstreamCall {
    const call = new UpstreamCall(request, handler);
    if (this.closed) {
      call.done = true;
      handler.onResponseError(call, new UpstreamError('pool-closed', 'the endpoint was removed', 503, true));
      return call;
    }
    let idle = this.idleConnections.pop();
    // Past its idle limit (the sweep runs only every so often): the backend may be closing it now.
    while (idle !== undefined && Date.now() - idle.idleSince >= idle.idleLimitMs) {
      idle.destroy();
      idle = this.idleConnections.pop();
    }
    if (idle !== undefined) {
      idle.start(call);
      return call;
    }
    if (this.queue.length >= this.options.maxQueue) {
      call.done = true;
      handler.onResponseError(call, new UpstreamError('queue-full', 'too many requests waiting for this endpoint', 503, false));
      return call;
    }
    this.queue.push(call);
    if (this.all.size < this.options.maxConnections && this.connecting < this.queue.length) this.open();
    return call;
  }

  private open(): void {
    this.connecting++;
    this.all.add(new UpstreamConnection(this));
    if (this.sweep === undefined) {
      this.sweep = setInterval(sweepIdle, Math.max(25, this.options.keepAliveTimeoutMs / 4), this);
      this.sweep.unref();
    }
  }

  /** @internal the sweep: idle connections past the keep-alive timeout are closed. */
  closeIdle(now: number): void {
    for (let i = this.idleConnections.length - 1; i >= 0; i--) {
      const c = this.idleConnections[i]!;
      if (now - c.idleSince >= c.idleLimitMs) c.destroy(); // forget() removes it from the list
    }
    if (this.all.size === 0 && this.sweep !== undefined) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  /** @internal a new connection is up. */
  connected(conn: UpstreamConnection): void {
    this.connecting--;
    this.release(conn);
  }

  /** @internal a connection failed to connect: the oldest waiting request gets the error. */
  connectFailed(_conn: UpstreamConnection, err: UpstreamError): void {
    this.connecting--;
    const call = this.nextWaiting();
    if (call !== undefined) {
      call.done = true;
      call.handler.onResponseError(call, err);
    }
  }

  /** @internal an idle connection: give it to the next waiting request or keep it. */
  release(conn: UpstreamConnection): void {
    if (!conn.idle) return;
    const call = this.nextWaiting();
    if (call !== undefined) conn.start(call);
    else if (this.closed) conn.destroy();
    else this.idleConnections.push(conn);
  }

  private nextWaiting(): UpstreamCall | undefined {
    for (;;) {
      const call = this.queue.shift();
      if (call === undefined || !call.done) return call; // skip requests aborted while waiting
    }
  }

  /** @internal */
  forget(conn: UpstreamConnection): void {
    this.all.delete(conn);
    const i = this.idleConnections.indexOf(conn);
    if (i !== -1) this.idleConnections.splice(i, 1);
    // Requests still waiting get a new connection if this one was their hope.
    if (!this.closed && this.queue.length > this.connecting && this.all.size < this.options.maxConnections) this.open();
  }

  /** Closes every connection now: requests still on one fail ('pool-closed'). */
  destroy(): void {
    this.close();
    for (const c of [...this.all]) c.terminate('pool-closed', 'the endpoint was removed');
  }

  /** Closes idle connections now and the others as their requests end. */
  close(): void {
    this.closed = true;
    if (this.sweep !== undefined) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
    for (const c of [...this.idleConnections]) c.destroy();
    for (const call of this.queue.splice(0)) {
      if (call.done) continue;
      call.done = true;
      call.handler.onResponseError(call, new UpstreamError('pool-closed', 'the endpoint was removed', 503, true));
    }
  }
}

function sweepIdle(pool: UpstreamPool): void {
  pool.closeIdle(Date.now());
}
