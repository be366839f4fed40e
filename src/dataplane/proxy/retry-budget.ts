// A retry budget per backend (the Finagle/Envoy idea): over a sliding window, retries may add at
// most `ratio` of the requests, plus a small floor so a quiet backend can still retry. In an outage
// where every first attempt fails, the load on the backend is then at most (1 + ratio) times the
// client load plus the floor, instead of (1 + retries) times.

export interface RetryBudgetOptions {
  /** Share of recent requests that may be retried. Default 0.2. */
  ratio: number;
  /** Retries always allowed per window, whatever the traffic. Default 10. */
  minRetries: number;
  /** Sliding window. Default 10 s (in 10 buckets). */
  windowMs: number;
  /** Monotonic milliseconds. Default performance.now. */
  now: () => number;
}

export const DEFAULT_RETRY_BUDGET: Readonly<RetryBudgetOptions> = Object.freeze({
  ratio: 0.2,
  minRetries: 10,
  windowMs: 10_000,
  now: () => performance.now(),
});

export interface RetryBudgetSnapshot {
  /** First attempts in the current window. */
  requests: number;
  /** Retries spent in the current window. */
  retries: number;
  /** Retries allowed now. */
  available: number;
  /** Retries refused since start, because the budget was spent. */
  refusedTotal: number;
  retriesTotal: number;
}

const BUCKETS = 10;

export class RetryBudget {
  readonly options: RetryBudgetOptions;
  readonly #requests = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  readonly #bucketMs: number;
  /** Index (time / bucketMs) of the newest bucket. */
  #head = -1;
  #requestSum = 0;
  #retrySum = 0;
  #refusedTotal = 0;
  #retriesTotal = 0;

  constructor(options: Partial<RetryBudgetOptions> = {}) {
    this.options = { ...DEFAULT_RETRY_BUDGET, ...options };
    this.#bucketMs = this.options.windowMs / BUCKETS;
  }

  /** Counts a first attempt (it earns `ratio` of a retry). */
  recordRequest(): void {
    const i = this.#advance();
    this.#requests[i]!++;
    this.#requestSum++;
  }

  /** Spends one retry if the budget allows it; false means do not retry. */
  tryRetry(): boolean {
    const i = this.#advance();
    if (this.#retrySum >= this.#allowed()) {
      this.#refusedTotal++;
      return false;
    }
    this.#retries[i]!++;
    this.#retrySum++;
    this.#retriesTotal++;
    return true;
  }

  #allowed(): number {
    return this.options.minRetries + Math.floor(this.options.ratio * this.#requestSum);
  }

  /** Moves the window to now, emptying buckets that fell out of it; returns the current bucket. */
  #advance(): number {
    const index = Math.floor(this.options.now() / this.#bucketMs);
    if (index !== this.#head) {
      const steps = this.#head < 0 ? BUCKETS : Math.min(index - this.#head, BUCKETS);
      for (let s = 1; s <= steps; s++) {
        const b = (((this.#head + s) % BUCKETS) + BUCKETS) % BUCKETS;
        this.#requestSum -= this.#requests[b]!;
        this.#retrySum -= this.#retries[b]!;
        this.#requests[b] = 0;
        this.#retries[b] = 0;
      }
      this.#head = index;
    }
    return ((index % BUCKETS) + BUCKETS) % BUCKETS;
  }

  snapshot(): RetryBudgetSnapshot {
    this.#advance();
    return {
      requests: this.#requestSum,
      retries: this.#retrySum,
      available: Math.max(0, this.#allowed() - this.#retrySum),
      refusedTotal: this.#refusedTotal,
      retriesTotal: this.#retriesTotal,
    };
  }
}
