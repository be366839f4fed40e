// Keep-alive connection pools to endpoints, keyed by 'address:port'. They live outside the compiled
// table so a table swap never drops a keep-alive connection. An endpoint that leaves the table has
// its pool closed after a grace period (requests still in flight on it finish first); one that comes
// back within the grace period keeps its pool.
import { Pool } from 'undici';
import type { Endpoint } from '../../core/route-table.ts';
import type { UpstreamPoolOptions } from '../data-plane-options.ts';
import { UpstreamQueue } from './upstream-queue.ts';

interface PoolEntry {
  pool: Pool;
  queue: UpstreamQueue;
  closeTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

export class UpstreamPools {
  readonly #options: UpstreamPoolOptions;
  readonly #defaultConnectTimeoutMs: number;
  readonly #pools = new Map<string, PoolEntry>();
  /** Hot-path cache: the table's Endpoint objects are stable, so no key string is built per request. */
  readonly #byEndpoint = new WeakMap<Endpoint, PoolEntry>();
  readonly #queues = new WeakMap<Pool, UpstreamQueue>();
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
  get(endpoint: Endpoint, connectTimeoutMs: number): Pool {
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

  /** The admission queue in front of a pool returned by get(): one per pool, so per endpoint. */
  queueOf(pool: Pool): UpstreamQueue {
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

  #createPool(endpoint: Endpoint, connectTimeoutMs: number): Pool {
    const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
    const pool = new Pool(`http://${host}:${endpoint.port}`, {
      connections: this.#options.maxConnectionsPerEndpoint,
      pipelining: 1,
      keepAliveTimeout: this.#options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(this.#options.keepAliveTimeoutMs, 600_000),
      connectTimeout: connectTimeoutMs,
      strictContentLength: true,
      maxHeaderSize: 64 * 1024,
    });
    // Errors surface per request through the dispatch handler; the pool itself must never throw.
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
