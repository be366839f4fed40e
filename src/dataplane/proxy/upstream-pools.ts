// Keep-alive connection pools to endpoints, keyed by 'address:port'. They live outside the compiled
// table so a table swap never drops a keep-alive connection. An endpoint that leaves the table has
// its pool closed after a grace period (requests still in flight on it finish first); one that comes
// back within the grace period keeps its pool.
//
// The pool of a request depends on its route's backend protocol too (upstream/upstream-protocol.ts):
// HTTP/1.1 in clear (the default, cached per Endpoint object), HTTP/1.1 over TLS, HTTP/2 in clear
// with prior knowledge (GRPC, H2C) or over TLS (GRPCS). Such pools are keyed by endpoint, connect
// timeout, kind, TLS settings and server name, and retired with their endpoint like the others.
//
// Plain HTTP/1.1 requests go through the engine's own upstream client (upstream/engine-dispatcher.ts,
// measured cheaper than undici on the hot path); upgrades and every other backend protocol through
// undici's pools. Both answer the flow through undici's dispatch-handler interface.
import { Pool, type Dispatcher } from 'undici';
import { EngineDispatcher } from '../upstream/engine-dispatcher.ts';
import { UpstreamPool } from '../upstream/upstream-pool.ts';
import { backendTlsConnector } from '../upstream/backend-tls-connector.ts';
import { upstreamName, type CompiledUpstream, type UpstreamKind } from '../upstream/upstream-protocol.ts';
import type { Endpoint } from '../../core/route-table.ts';
import type { UpstreamPoolOptions } from '../data-plane-options.ts';
import { UpstreamQueue, type Admission, type QueuedDispatch } from './upstream-queue.ts';

/** What the flow needs of a pool: undici's Pool, or the engine client's EngineDispatcher. */
export interface UpstreamDispatcher {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** What admit() writes its answer onto: the exchange, or a custom-error page's request. */
export interface AdmittedDispatch extends QueuedDispatch {
  pool: UpstreamDispatcher | undefined;
  slot: UpstreamQueue | undefined;
}

interface PoolEntry {
  pool: UpstreamDispatcher;
  queue: UpstreamQueue;
  closeTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

const H2_STREAMS_PER_CONNECTION = 100;

/**
 * undici ties a TLS connection to the request's Host as its server name and reconnects when the
 * Host changes; the name is the pool's own here (backendTlsConnector), so every request gets one.
 */
class FixedNamePool extends Pool {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    (options as { servername?: string }).servername = 'gatehouse-upstream';
    return super.dispatch(options, handler);
  }
}

export class UpstreamPools {
  readonly #options: UpstreamPoolOptions;
  readonly #defaultConnectTimeoutMs: number;
  readonly #pools = new Map<string, PoolEntry>();
  /** Hot-path cache: the table's Endpoint objects are stable, so no key string is built per request. */
  readonly #byEndpoint = new WeakMap<Endpoint, PoolEntry>();
  readonly #queues = new WeakMap<UpstreamDispatcher, UpstreamQueue>();
  #closed = false;

  constructor(options: UpstreamPoolOptions, defaultConnectTimeoutMs: number) {
    this.#options = options;
    this.#defaultConnectTimeoutMs = defaultConnectTimeoutMs;
  }

  get size(): number {
    return this.#pools.size;
  }

  /**
   * The pool for an endpoint. A connect timeout other than the default gets its own pool, since
   * undici applies connect timeouts per pool.
   */
  get(endpoint: Endpoint, connectTimeoutMs: number): UpstreamDispatcher {
    const isDefault = connectTimeoutMs === this.#defaultConnectTimeoutMs;
    if (isDefault) {
      const cached = this.#byEndpoint.get(endpoint);
      if (cached !== undefined && !cached.closed) return cached.pool;
    }
    const key = `${endpoint.address}:${endpoint.port}`;
    const poolKey = isDefault ? key : `${key}#${connectTimeoutMs}`;
    let entry = this.#pools.get(poolKey);
    if (entry === undefined) {
      if (this.#closed) throw new Error('upstream pools are closed');
      const pool = this.#createPool(endpoint, connectTimeoutMs);
      const o = this.#options;
      entry = { pool, queue: new UpstreamQueue(o.maxConnectionsPerEndpoint, o.queueSize, o.queueTimeoutMs), closeTimer: undefined, closed: false };
      this.#queues.set(pool, entry.queue);
      this.#pools.set(poolKey, entry);
    } else if (entry.closeTimer !== undefined) {
      clearTimeout(entry.closeTimer);
      entry.closeTimer = undefined;
    }
    if (isDefault) this.#byEndpoint.set(endpoint, entry);
    return entry.pool;
  }

  /**
   * The pool for a request of a route with this backend protocol: `scheme` is the client's (AUTO_HTTP
   * uses TLS when it is https), `host` the request's (the TLS name when proxy-ssl-name is not set).
   */
  forRequest(endpoint: Endpoint, connectTimeoutMs: number, upstream: CompiledUpstream, scheme: 'http' | 'https', host: string, upgrade = false): UpstreamDispatcher {
    const kind = scheme === 'https' ? upstream.overTls : upstream.plain;
    if (kind === 'http1' && !upgrade) return this.get(endpoint, connectTimeoutMs);
    const tls = kind === 'https1' || kind === 'h2' ? upstream.tls : undefined;
    const name = tls === undefined ? undefined : upstreamName(tls, host);
    // '#' never occurs in an address or a host name: retain() reads the endpoint up to the first one.
    // Upgrades (WebSocket) of plain HTTP/1.1 routes take undici's pool: the engine client has no upgrade.
    const poolKey = `${endpoint.address}:${endpoint.port}#${connectTimeoutMs}#${kind}#${tls?.id ?? ''}#${name ?? ''}${upgrade ? '#upgrade' : ''}`;
    let entry = this.#pools.get(poolKey);
    if (entry === undefined) {
      if (this.#closed) throw new Error('upstream pools are closed');
      const pool = this.#createProtocolPool(endpoint, connectTimeoutMs, kind, upstream, name);
      const o = this.#options;
      entry = { pool, queue: new UpstreamQueue(o.maxConnectionsPerEndpoint, o.queueSize, o.queueTimeoutMs), closeTimer: undefined, closed: false };
      this.#queues.set(pool, entry.queue);
      this.#pools.set(poolKey, entry);
    } else if (entry.closeTimer !== undefined) {
      clearTimeout(entry.closeTimer);
      entry.closeTimer = undefined;
    }
    return entry.pool;
  }

  /**
   * A request's way upstream, written onto it (no object per request): its `pool` for its endpoint
   * and backend protocol (forRequest), and unless refused its `slot`, the pool's admission queue.
   * 'started': go now; 'queued': startUpstream() is called when a connection frees; 'full': refused.
   * Undefined when the pools are closed (stopping).
   */
  admit(
    dispatch: AdmittedDispatch,
    endpoint: Endpoint,
    connectTimeoutMs: number,
    upstream: CompiledUpstream,
    scheme: 'http' | 'https',
    host: string,
    upgrade = false,
  ): Admission | undefined {
    let pool: UpstreamDispatcher;
    try {
      pool = this.forRequest(endpoint, connectTimeoutMs, upstream, scheme, host, upgrade);
    } catch {
      return undefined;
    }
    dispatch.pool = pool;
    const queue = this.queueOf(pool);
    const admission = queue.admit(dispatch);
    if (admission !== 'full') dispatch.slot = queue;
    return admission;
  }

  /** The admission queue in front of a pool returned by get(): one per pool, so per endpoint. */
  queueOf(pool: UpstreamDispatcher): UpstreamQueue {
    const queue = this.#queues.get(pool);
    if (queue === undefined) throw new Error('not a pool of these UpstreamPools');
    return queue;
  }

  /** Requests upstream and waiting, summed over every pool (for /debug/dataplane). */
  queueStats(): { active: number; waiting: number } {
    let active = 0;
    let waiting = 0;
    for (const e of this.#pools.values()) {
      active += e.queue.active;
      waiting += e.queue.waiting;
    }
    return { active, waiting };
  }

  /** Plain HTTP/1.1: the engine's own client. */
  #createPool(endpoint: Endpoint, connectTimeoutMs: number): UpstreamDispatcher {
    const o = this.#options;
    return new EngineDispatcher(
      new UpstreamPool(endpoint.address, endpoint.port, {
        maxConnections: o.maxConnectionsPerEndpoint,
        // The flow's admission queue (upstream-queue.ts) already bounds what waits for this pool.
        maxQueue: o.maxConnectionsPerEndpoint + o.queueSize,
        connectTimeoutMs,
        // Each request brings its route's read timeout; the flow runs the send timeout itself.
        sendTimeoutMs: 0,
        keepAliveTimeoutMs: o.keepAliveTimeoutMs,
        maxHeaderSize: 64 * 1024,
      }),
    );
  }

  #createProtocolPool(endpoint: Endpoint, connectTimeoutMs: number, kind: UpstreamKind, upstream: CompiledUpstream, name: string | undefined): Pool {
    const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
    const o = this.#options;
    const common = {
      connections: o.maxConnectionsPerEndpoint,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(o.keepAliveTimeoutMs, 600_000),
      connectTimeout: connectTimeoutMs,
      strictContentLength: true,
      maxHeaderSize: 64 * 1024,
    };
    // HTTP/2: many streams share a connection (undici caps a connection's streams at `pipelining`).
    const h2 = { allowH2: true, pipelining: H2_STREAMS_PER_CONNECTION };
    let pool: Pool;
    if (kind === 'http1') {
      pool = new Pool(`http://${host}:${endpoint.port}`, { ...common, pipelining: 1 });
    } else if (kind === 'h2c') {
      // The Pool builds its connector from a top-level useH2c (undici 8.13), which its types omit.
      const options = { ...common, ...h2, useH2c: true, h2Options: { useH2c: true, maxConcurrentStreams: H2_STREAMS_PER_CONNECTION } };
      pool = new Pool(`http://${host}:${endpoint.port}`, options as Pool.Options);
    } else {
      const connect = backendTlsConnector({
        address: endpoint.address,
        port: endpoint.port,
        tls: upstream.tls!,
        name,
        alpn: kind === 'h2' ? ['h2'] : ['http/1.1'],
        connectTimeoutMs,
      });
      const options = kind === 'h2' ? { ...common, ...h2, h2Options: { maxConcurrentStreams: H2_STREAMS_PER_CONNECTION }, connect } : { ...common, pipelining: 1, allowH2: false, connect };
      pool = new FixedNamePool(`https://${host}:${endpoint.port}`, options);
    }
    pool.on('connectionError', () => {});
    return pool;
  }

  /** After a swap: schedule closing pools whose endpoint is no longer in the table. */
  retain(endpointKeys: ReadonlySet<string>): void {
    for (const [poolKey, entry] of this.#pools) {
      const hash = poolKey.indexOf('#');
      const key = hash === -1 ? poolKey : poolKey.slice(0, hash);
      if (endpointKeys.has(key)) {
        if (entry.closeTimer !== undefined) {
          clearTimeout(entry.closeTimer);
          entry.closeTimer = undefined;
        }
      } else if (entry.closeTimer === undefined) {
        entry.closeTimer = setTimeout(() => {
          if (this.#pools.get(poolKey) !== entry) return;
          this.#pools.delete(poolKey);
          entry.closed = true;
          // close() lets queued and running requests finish before the sockets go.
          entry.pool.close().catch(() => {});
        }, this.#options.poolGraceMs);
        entry.closeTimer.unref();
      }
    }
  }

  /** Closes every pool: running requests finish first unless `force`, which destroys them. */
  async close(force = false): Promise<void> {
    this.#closed = true;
    const entries = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(
      entries.map((e) => {
        if (e.closeTimer !== undefined) clearTimeout(e.closeTimer);
        e.closed = true;
        return (force ? e.pool.destroy() : e.pool.close()).catch(() => {});
      }),
    );
  }
}
