// nginx's limit_req as ingress-nginx configures it (`limit_req zone=... burst=rate×multiplier
// nodelay`), over a BucketStore. nginx keeps per key an `excess` (requests over the rate, draining
// at the rate) and the time of the last admitted request; a request makes it
// max(0, excess - drained + 1) and is refused when that is over burst, leaving the bucket as it was
// (nginx does not charge refused requests); with nodelay admitted requests are never delayed. A
// client's first request is always admitted and leaves the bucket empty: 1 + burst requests pass
// at once, then one per 1/rate.
//
// The same bucket is kept here as one number, the time at which it will be empty again:
// emptyAt = last + excess / rate (the "theoretical arrival time" of GCRA). A request at `now`
// makes it max(now, emptyAt + 1/rate) and is admitted when that is at most burst / rate ahead of
// now — exactly nginx's rule, as one word pair a compare-and-swap can change across threads. An
// empty bucket and no bucket are the same state, so a refused request writes nothing, and
// eviction can prefer the bucket that is empty soonest: it loses the least.

import { mix32 } from '../proxy/balancers.ts';
import type { BucketSlot, BucketStore } from './rate-limit-store.ts';

export interface LeakyBucketRule {
  /** Requests per second (limit-rps, or limit-rpm / 60). */
  ratePerSecond: number;
  /** Extra requests allowed at once: rate × limit-burst-multiplier, as ingress-nginx writes burst. */
  burst: number;
}

/**
 * Bounded retries of a lost compare-and-swap (only a store shared by worker threads can lose one:
 * each loss means another thread wrote, or was writing, the same slot meanwhile).
 */
const MAX_SWAPS = 8;
/**
 * Float sums of intervals land a hair off the exact boundary (1/3 s three times is not always 1 s):
 * a bucket within this of full still admits. A thousandth of a request (nginx's unit), at most 1 µs:
 * below any clock's resolution here, so it only absorbs rounding.
 */
const MAX_SLACK_MS = 0.001;

export class LeakyBucketLimiter {
  readonly #store: BucketStore;
  readonly #slot: BucketSlot = { version: 0, key: 0, emptyAt: 0 };
  readonly #other: BucketSlot = { version: 0, key: 0, emptyAt: 0 };

  constructor(store: BucketStore) {
    this.#store = store;
  }

  /**
   * Whether admit() would admit now, without charging anything: with two limits (limit-rps and
   * limit-rpm), the first is asked this way so a request the second refuses is charged to neither,
   * as nginx accounts several limit_req only when all pass.
   */
  wouldAdmit(key: number, rule: LeakyBucketRule, nowMs: number): boolean {
    const store = this.#store;
    const a = this.#slot;
    // A slot that cannot be read (stuck in another thread's write) refuses: never unlimited.
    if (!store.read(key % store.size, a)) return false;
    if (a.version === 0 || a.key !== key) {
      if (!store.read(mix32(key ^ 0x9e3779b9) % store.size, a)) return false;
      if (a.version === 0 || a.key !== key) return true;
    }
    return this.#next(a.emptyAt, rule, nowMs) !== undefined;
  }

  /** Admits (and charges) or refuses one request of the bucket `key` (an unsigned 32-bit hash) at `nowMs`. */
  admit(key: number, rule: LeakyBucketRule, nowMs: number): boolean {
    const store = this.#store;
    const first = key % store.size;
    const a = this.#slot;
    const b = this.#other;
    for (let attempt = 0; attempt < MAX_SWAPS; attempt++) {
      if (!store.read(first, a)) return false;
      let index = first;
      let slot = a;
      let known = a.version !== 0 && a.key === key;
      if (!known) {
        const second = mix32(key ^ 0x9e3779b9) % store.size;
        if (!store.read(second, b)) return false;
        if (b.version !== 0 && b.key === key) [index, slot, known] = [second, b, true];
        // A new bucket: an empty candidate, else the one that is empty soonest.
        else if (a.version !== 0 && (b.version === 0 || b.emptyAt < a.emptyAt)) [index, slot] = [second, b];
      }
      let emptyAt = nowMs; // a client's first request leaves its bucket empty, as in nginx
      if (known) {
        const next = this.#next(slot.emptyAt, rule, nowMs);
        // Refused: the bucket stays as it was.
        if (next === undefined) return false;
        emptyAt = next;
      }
      if (store.compareAndSwap(index, slot.version, key, emptyAt)) return true;
    }
    // Contention beyond reason (a shared store only): refuse rather than serve this client unlimited.
    return false;
  }

  /** The bucket's next emptyAt if a request at nowMs is admitted; undefined when it is refused. */
  #next(emptyAt: number, rule: LeakyBucketRule, nowMs: number): number | undefined {
    const interval = 1000 / rule.ratePerSecond;
    const next = Math.max(nowMs, emptyAt + interval);
    return next - nowMs <= rule.burst * interval + Math.min(MAX_SLACK_MS, interval / 1000) ? next : undefined;
  }
}
