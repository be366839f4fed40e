// The admission in front of one endpoint's connection pool, after Envoy's circuit breakers
// (max_connections + max_pending_requests): at most `maxActive` requests of the endpoint are
// upstream at once (the pool's connection count, so undici never queues on its own), at most
// `maxWaiting` wait for one of them to finish, each for at most `timeoutMs`. A request that finds
// the queue full, or whose wait runs out, is answered 503 with Retry-After by its exchange: a
// saturated backend is told quickly and never leaves a client hanging. A waiter whose client
// leaves is taken out at once, so nothing is sent upstream for it.

export interface QueuedDispatch {
  /** Its turn came: dispatch upstream now (the slot is already counted). */
  startUpstream(): void;
  /** The wait ran out; the waiter is already out of the queue. */
  queueTimedOut(): void;
}

export type Admission = 'started' | 'queued' | 'full';

interface Waiter {
  dispatch: QueuedDispatch;
  timer: NodeJS.Timeout;
}

export class UpstreamQueue {
  readonly maxActive: number;
  readonly maxWaiting: number;
  readonly timeoutMs: number;
  #active = 0;
  /** Insertion-ordered: the first entry is the oldest waiter. */
  readonly #waiting = new Map<QueuedDispatch, Waiter>();

  constructor(maxActive: number, maxWaiting: number, timeoutMs: number) {
    this.maxActive = maxActive;
    this.maxWaiting = maxWaiting;
    this.timeoutMs = timeoutMs;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * 'started': a slot is taken, dispatch now (and call release() when the upstream exchange ends);
   * 'queued': startUpstream() or queueTimedOut() follows; 'full': answer 503 now.
   */
  admit(dispatch: QueuedDispatch): Admission {
    if (this.#active < this.maxActive && this.#waiting.size === 0) {
      this.#active++;
      return 'started';
    }
    if (this.#waiting.size >= this.maxWaiting) return 'full';
    const timer = setTimeout(() => {
      if (this.#waiting.delete(dispatch)) dispatch.queueTimedOut();
    }, this.timeoutMs);
    this.#waiting.set(dispatch, { dispatch, timer });
    return 'queued';
  }

  /** A started request's upstream exchange ended: its slot goes to the oldest waiter. */
  release(): void {
    this.#active--;
    while (this.#active < this.maxActive && this.#waiting.size > 0) {
      const first = this.#waiting.values().next().value as Waiter;
      this.#waiting.delete(first.dispatch);
      clearTimeout(first.timer);
      this.#active++;
      first.dispatch.startUpstream();
    }
  }

  /** A waiter's client went away: it leaves the queue (no-op when it is not waiting). */
  cancel(dispatch: QueuedDispatch): void {
    const w = this.#waiting.get(dispatch);
    if (w === undefined) return;
    clearTimeout(w.timer);
    this.#waiting.delete(dispatch);
  }
}
