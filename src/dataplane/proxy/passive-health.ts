// Passive health checks: the outcome of every proxied request is reported per endpoint; N
// consecutive failures eject the endpoint for an interval that doubles at each new ejection (up to
// a cap), after which it is brought back. A returned endpoint that fails again at once is ejected
// again, for longer; one that stays healthy for a whole max interval starts over at the base.
//
// State is kept per endpoint ('address:port'), outside any picker, so it survives table swaps
// (a picker is rebuilt whenever its backend's endpoints change) and is shared by every backend
// that reaches the same pod. The panic threshold (never eject every endpoint of a backend) is
// applied where endpoints are chosen, by the picker, which knows the backend.

export interface PassiveHealthOptions {
  /** Consecutive failures that eject an endpoint. Default 5. */
  consecutiveFailures: number;
  /** First ejection interval. Default 5 s. */
  baseEjectionMs: number;
  /** Longest ejection interval. Default 5 min. */
  maxEjectionMs: number;
  /** Monotonic milliseconds. Default performance.now. */
  now: () => number;
}

export const DEFAULT_PASSIVE_HEALTH: Readonly<PassiveHealthOptions> = Object.freeze({
  consecutiveFailures: 5,
  baseEjectionMs: 5_000,
  maxEjectionMs: 300_000,
  now: () => performance.now(),
});

/** One endpoint's counters. Mutable by design: the request path updates it in place. */
export interface EndpointHealth {
  readonly key: string;
  /** Requests sent to it and not yet finished (least-request reads this). */
  inFlight: number;
  requests: number;
  failures: number;
  consecutiveFailures: number;
  /** Monotonic time it returns; 0 when not ejected. */
  ejectedUntil: number;
  /** How many ejections in a row without a long healthy spell (the interval doubles with it). */
  ejectionLevel: number;
  ejections: number;
  returnedAt: number;
  lastActive: number;
}

export interface EndpointHealthSnapshot {
  endpoint: string;
  inFlight: number;
  requests: number;
  failures: number;
  consecutiveFailures: number;
  ejected: boolean;
  /** Milliseconds until it returns, when ejected. */
  ejectedForMs?: number;
  ejections: number;
}

/** Records idle for this long (and not busy or ejected) are forgotten. */
const IDLE_FORGET_MS = 3_600_000;

export class PassiveHealth {
  readonly options: PassiveHealthOptions;
  readonly #records = new Map<string, EndpointHealth>();
  /** Endpoints currently ejected, so the request path can skip all checks while it is 0. */
  #ejected = 0;
  #ejectionsTotal = 0;

  constructor(options: Partial<PassiveHealthOptions> = {}) {
    this.options = { ...DEFAULT_PASSIVE_HEALTH, ...options };
  }

  /** The record of an endpoint, created on first use. */
  record(key: string): EndpointHealth {
    let r = this.#records.get(key);
    if (r === undefined) {
      r = { key, inFlight: 0, requests: 0, failures: 0, consecutiveFailures: 0, ejectedUntil: 0, ejectionLevel: 0, ejections: 0, returnedAt: 0, lastActive: this.options.now() };
      this.#records.set(key, r);
    }
    return r;
  }

  /** True while any endpoint is ejected (cheap; the request path checks it first). */
  get anyEjected(): boolean {
    return this.#ejected > 0;
  }

  get ejectedCount(): number {
    return this.#ejected;
  }

  get ejectionsTotal(): number {
    return this.#ejectionsTotal;
  }

  /** Whether the endpoint is out now; brings it back when its interval is over. */
  isEjected(r: EndpointHealth, now = this.options.now()): boolean {
    if (r.ejectedUntil === 0) return false;
    if (now < r.ejectedUntil) return true;
    this.#bringBack(r, now);
    return false;
  }

  /** The outcome of one request: a failure counts towards ejection, a success resets the count. */
  report(r: EndpointHealth, failed: boolean): void {
    const now = this.options.now();
    r.lastActive = now;
    if (!failed) {
      r.consecutiveFailures = 0;
      // A long healthy spell forgets past ejections: the next one starts at the base interval again.
      if (r.ejectionLevel > 0 && r.ejectedUntil === 0 && now - r.returnedAt >= this.options.maxEjectionMs) r.ejectionLevel = 0;
      return;
    }
    r.failures++;
    // Already out: a request that was in flight when it was ejected. (A due return happens here too.)
    if (this.isEjected(r, now)) return;
    r.consecutiveFailures++;
    if (r.consecutiveFailures >= this.options.consecutiveFailures) this.#eject(r, now);
  }

  #eject(r: EndpointHealth, now: number): void {
    r.ejectionLevel++;
    const interval = Math.min(this.options.baseEjectionMs * 2 ** (r.ejectionLevel - 1), this.options.maxEjectionMs);
    r.ejectedUntil = now + interval;
    r.ejections++;
    this.#ejectionsTotal++;
    this.#ejected++;
  }

  #bringBack(r: EndpointHealth, now: number): void {
    r.ejectedUntil = 0;
    r.returnedAt = now;
    // On probation: one more failure ejects it again, for a longer interval.
    r.consecutiveFailures = Math.max(0, this.options.consecutiveFailures - 1);
    this.#ejected--;
  }

  /** Counters of every known endpoint, sorted by endpoint, for /debug and metrics. */
  snapshot(): EndpointHealthSnapshot[] {
    const now = this.options.now();
    const out: EndpointHealthSnapshot[] = [];
    for (const r of this.#records.values()) {
      const ejected = this.isEjected(r, now);
      const s: EndpointHealthSnapshot = {
        endpoint: r.key,
        inFlight: r.inFlight,
        requests: r.requests,
        failures: r.failures,
        consecutiveFailures: r.consecutiveFailures,
        ejected,
        ejections: r.ejections,
      };
      if (ejected) s.ejectedForMs = Math.ceil(r.ejectedUntil - now);
      out.push(s);
    }
    return out.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
  }

  /** Forgets endpoints idle for an hour (pods come and go; the map must not grow forever). */
  forgetIdle(): void {
    const now = this.options.now();
    for (const [key, r] of this.#records) {
      if (r.inFlight === 0 && r.ejectedUntil === 0 && now - r.lastActive > IDLE_FORGET_MS) this.#records.delete(key);
    }
  }
}
