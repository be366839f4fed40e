// nginx's limit_req as ingress-nginx configures it (`limit_req zone=... burst=rate×multiplier
// nodelay`), over a BucketStore: a leaky bucket per key whose `excess` (in thousandths of a request)
// drains at the rate; a request adds 1000; it is refused when the result would be over
// burst × 1000, and then the bucket is left as it was (nginx does not charge refused requests).
// With nodelay, admitted requests are never delayed. A client's first request is always admitted
// and, as in nginx, leaves the bucket empty: 1 + burst requests pass at once, then one per 1/rate.

import { mix32 } from '../proxy/balancers.ts';
import type { BucketSlot, BucketStore } from './rate-limit-store.ts';

export interface LeakyBucketRule {
  /** Requests per second (limit-rps, or limit-rpm / 60). */
  ratePerSecond: number;
  /** Extra requests allowed at once: rate × limit-burst-multiplier, as ingress-nginx writes burst. */
  burst: number;
}

/** Bounded retries of a lost compare-and-swap (only a shared store can lose one). */
const MAX_SWAPS = 8;

export class LeakyBucketLimiter {
  readonly #store: BucketStore;
  readonly #slot: BucketSlot = { version: 0, key: 0, excess: 0, stamp: 0, seen: 0 };
  readonly #other: BucketSlot = { version: 0, key: 0, excess: 0, stamp: 0, seen: 0 };

  constructor(store: BucketStore) {
    this.#store = store;
  }

  /**
   * Whether admit() would admit now, without charging or touching anything: with two limits
   * (limit-rps and limit-rpm), the first is asked this way so a request the second refuses is
   * charged to neither, as nginx accounts several limit_req only when all pass.
   */
  wouldAdmit(key: number, rule: LeakyBucketRule, nowMs: number): boolean {
    const store = this.#store;
    const a = this.#slot;
    store.read(key % store.size, a);
    if (a.version === 0 || a.key !== key) {
      store.read(mix32(key ^ 0x9e3779b9) % store.size, a);
      if (a.version === 0 || a.key !== key) return true;
    }
    const excess = Math.max(0, a.excess - rule.ratePerSecond * Math.max(0, nowMs - a.stamp) + 1000);
    return excess <= rule.burst * 1000;
  }

  /** Admits or refuses one request of the bucket `key` (an unsigned 32-bit hash) at `nowMs`. */
  admit(key: number, rule: LeakyBucketRule, nowMs: number): boolean {
    const store = this.#store;
    const first = key % store.size;
    const second = mix32(key ^ 0x9e3779b9) % store.size;
    for (let attempt = 0; attempt < MAX_SWAPS; attempt++) {
      const a = this.#slot;
      const b = this.#other;
      store.read(first, a);
      store.read(second, b);
      let index: number;
      let slot: BucketSlot;
      let known: boolean;
      if (a.version !== 0 && a.key === key) [index, slot, known] = [first, a, true];
      else if (b.version !== 0 && b.key === key) [index, slot, known] = [second, b, true];
      // A new bucket: an empty candidate, else the one seen longest ago.
      else if (a.version === 0 || (b.version !== 0 && a.seen <= b.seen)) [index, slot, known] = [first, a, false];
      else [index, slot, known] = [second, b, false];
      let excess = 0;
      if (known) {
        const elapsed = Math.max(0, nowMs - slot.stamp);
        excess = Math.max(0, slot.excess - rule.ratePerSecond * elapsed + 1000);
        if (excess > rule.burst * 1000) {
          // Refused: not charged (nginx leaves excess and last as they were), but seen now.
          if (store.compareAndSwap(index, slot.version, key, slot.excess, slot.stamp, nowMs)) return false;
          continue;
        }
      }
      if (store.compareAndSwap(index, slot.version, key, excess, nowMs, nowMs)) return true;
    }
    // Contention beyond reason (a shared store only): admit rather than refuse a client for another's race.
    return true;
  }
}
