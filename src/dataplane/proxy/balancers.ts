// The load-balancing algorithms. Each chooses one slot among the candidates the picker hands it
// (usable, not ejected, not already failed for this request); none of them allocates per request.
//
// consistent-hash is rendezvous hashing (HRW): each endpoint scores hash(key, endpoint) and the
// highest wins. Adding an endpoint moves only the keys it now wins (about 1/n of them); removing
// one moves only its own keys; and when the winner is excluded (failed or ejected) the runner-up
// takes over, so no ring has to be rebuilt. O(n) per request, which is cheap for the endpoint
// counts of one Service.
import type { HashKey, LoadBalanceAlgorithm } from '../../core/policy.ts';
import type { Endpoint } from '../../core/route-table.ts';
import type { PickContext } from './endpoint-picker.ts';
import type { EndpointHealth } from './passive-health.ts';

/** One endpoint as the picker and balancers see it. */
export interface Slot {
  readonly endpoint: Endpoint;
  readonly health: EndpointHealth;
  /** hash32 of the endpoint's identity: its rendezvous seed. */
  readonly seed: number;
}

export interface Balancer {
  /** One of `slots` (never empty). */
  pick(slots: readonly Slot[], ctx: PickContext): Slot;
}

export function createBalancer(algorithm: LoadBalanceAlgorithm, hashKey: HashKey | undefined): Balancer {
  switch (algorithm) {
    case 'round-robin':
      return new RoundRobin();
    case 'random':
      return RANDOM;
    case 'least-request':
      return LEAST_REQUEST;
    case 'consistent-hash':
      return new ConsistentHash(hashKey ?? { kind: 'client-ip' });
  }
}

export class RoundRobin implements Balancer {
  #next = 0;
  pick(slots: readonly Slot[]): Slot {
    const n = slots.length;
    const i = this.#next >= n ? 0 : this.#next;
    this.#next = i + 1;
    return slots[i]!;
  }
}

const RANDOM: Balancer = {
  pick(slots: readonly Slot[]): Slot {
    return slots[Math.floor(Math.random() * slots.length)]!;
  },
};

/** Power of two choices: two distinct slots at random, the one with fewer requests in flight. */
const LEAST_REQUEST: Balancer = {
  pick(slots: readonly Slot[]): Slot {
    const n = slots.length;
    if (n === 1) return slots[0]!;
    const i = Math.floor(Math.random() * n);
    let j = Math.floor(Math.random() * (n - 1));
    if (j >= i) j++;
    const a = slots[i]!;
    const b = slots[j]!;
    return b.health.inFlight < a.health.inFlight ? b : a;
  },
};

export class ConsistentHash implements Balancer {
  readonly #key: HashKey;
  readonly #fallback = new RoundRobin();

  constructor(key: HashKey) {
    this.#key = key;
  }

  pick(slots: readonly Slot[], ctx: PickContext): Slot {
    const key = hashKeyOf(this.#key, ctx);
    // No key (header or cookie absent): nothing to be consistent about; spread these evenly.
    if (key === undefined) return this.#fallback.pick(slots);
    return rendezvous(slots, hash32(key));
  }
}

/** Service.spec.sessionAffinity: ClientIP, as a hash of the client address. */
export class ClientIpAffinity implements Balancer {
  pick(slots: readonly Slot[], ctx: PickContext): Slot {
    return rendezvous(slots, hash32(ctx.clientIp));
  }
}

export function hashKeyOf(key: HashKey, ctx: PickContext): string | undefined {
  switch (key.kind) {
    case 'client-ip':
      return ctx.clientIp;
    case 'cookie':
      return ctx.cookie(key.name);
    case 'header': {
      const v = ctx.headers[key.name];
      return v === undefined ? undefined : typeof v === 'string' ? v : v.join(',');
    }
  }
}

/** The highest-scoring slot for a key hash (ties, vanishingly rare, go to the first). */
export function rendezvous(slots: readonly Slot[], keyHash: number): Slot {
  let best = slots[0]!;
  let bestScore = mix32(keyHash ^ best.seed);
  for (let i = 1; i < slots.length; i++) {
    const s = slots[i]!;
    const score = mix32(keyHash ^ s.seed);
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best;
}

/** FNV-1a over UTF-16 code units, finished with mix32 so nearby strings land far apart. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** MurmurHash3's finaliser: a bijection on 32 bits with full avalanche. Unsigned result. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
