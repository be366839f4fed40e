// The traffic state that outlives pickers: passive health per endpoint, a retry budget and a panic
// counter per backend, and the affinity cookie key. Pickers are rebuilt whenever a backend's
// endpoints change, so none of this can live in them. One per process by default (the DataPlane
// reads defaultTrafficState); tests make their own with short intervals.
import { createAffinityKey, MIN_AFFINITY_KEY_BYTES } from './cookie-affinity.ts';
import { PassiveHealth, type EndpointHealthSnapshot, type PassiveHealthOptions } from './passive-health.ts';
import { RetryBudget, type RetryBudgetOptions, type RetryBudgetSnapshot } from './retry-budget.ts';

export interface TrafficStateOptions {
  health?: Partial<PassiveHealthOptions>;
  retryBudget?: Partial<RetryBudgetOptions>;
  /** Key of the affinity cookie HMAC; default random per process (at least 16 bytes). */
  affinityKey?: Buffer;
}

export interface BackendTraffic {
  readonly budget: RetryBudget;
  /** Times every usable endpoint was ejected and all were used anyway (panic mode). */
  panics: number;
  /** Ejections of this backend's endpoints caused by its own requests (metrics). */
  ejections: number;
  /** Requests whose affinity cookie pinned them to an endpoint still usable (metrics). */
  affinityHits: number;
}

export interface TrafficSnapshot {
  ejectedEndpoints: number;
  ejectionsTotal: number;
  endpoints: EndpointHealthSnapshot[];
  backends: { backend: string; panics: number; ejections: number; affinityHits: number; retryBudget: RetryBudgetSnapshot }[];
}

export class TrafficState {
  readonly health: PassiveHealth;
  #affinityKey: Buffer;
  readonly #budgetOptions: Partial<RetryBudgetOptions>;
  readonly #backends = new Map<string, BackendTraffic>();

  constructor(options: TrafficStateOptions = {}) {
    this.health = new PassiveHealth(options.health);
    this.#affinityKey = createAffinityKey();
    if (options.affinityKey !== undefined) this.useAffinityKey(options.affinityKey);
    this.#budgetOptions = { now: this.health.options.now, ...options.retryBudget };
  }

  get affinityKey(): Buffer {
    return this.#affinityKey;
  }

  /** Replicas behind one load balancer share a key (--session-affinity-key-file); set once at start. */
  useAffinityKey(key: Buffer): void {
    if (key.length < MIN_AFFINITY_KEY_BYTES) throw new RangeError(`the affinity key must be at least ${MIN_AFFINITY_KEY_BYTES} bytes`);
    this.#affinityKey = Buffer.from(key);
  }

  backend(id: string): BackendTraffic {
    let b = this.#backends.get(id);
    if (b === undefined) {
      b = { budget: new RetryBudget(this.#budgetOptions), panics: 0, ejections: 0, affinityHits: 0 };
      this.#backends.set(id, b);
    }
    return b;
  }

  /** For /debug and metrics: every endpoint's health counters and every backend's budget. */
  snapshot(): TrafficSnapshot {
    const backends = [...this.#backends.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([backend, b]) => ({ backend, panics: b.panics, ejections: b.ejections, affinityHits: b.affinityHits, retryBudget: b.budget.snapshot() }));
    const endpoints = this.health.snapshot(); // first: it brings back endpoints whose interval is over
    return { ejectedEndpoints: this.health.ejectedCount, ejectionsTotal: this.health.ejectionsTotal, endpoints, backends };
  }
}

/** The process-wide state behind createEndpointPicker. */
export const defaultTrafficState = new TrafficState();
