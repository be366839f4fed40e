// The rate-limit step (ingress-nginx limit-rps, limit-rpm, limit-connections, limit-whitelist), run
// once per request after the redirects and before the source ranges and authentication, as nginx
// runs limit_req and limit_conn in its preaccess phase, before the access phase (allow/deny,
// auth_basic, auth_request). Keys are the Ingress ('ns/name', the policy id: ingress-nginx names
// its zones after the Ingress, so all its paths share them) and the client address the data plane
// computed (trusted proxies honoured). State lives in two fixed-size tables (workers/limit-tables.ts)
// outside the route table, so it survives table swaps, memory does not grow with the number of
// clients, and every data-plane worker thread attached to the same tables counts a client's
// requests together. The compiled limits and whitelists come with each worker's table.

import type { RateLimitPolicy } from '../../core/policy.ts';
import { createCidrMatcher } from '../http/cidr-matcher.ts';
import { hash32, mix32 } from '../proxy/balancers.ts';
import { attachLimitTables, createLimitTables, type LimitTables } from '../workers/limit-tables.ts';
import { type ConnectionSlots, OVER_LIMIT } from './connection-slots.ts';
import { LeakyBucketLimiter, type LeakyBucketRule } from './leaky-bucket.ts';

/** A policy's limits, compiled once per table (every route of the Ingress shares it). */
export interface CompiledRateLimit {
  readonly zone: string;
  /** hash32 of the zone, so a request hashes only its client address. */
  readonly zoneHash: number;
  readonly rps: LeakyBucketRule | undefined;
  readonly rpm: LeakyBucketRule | undefined;
  readonly connections: number | undefined;
  readonly exempt: ((address: string) => boolean) | undefined;
}

export function compileRateLimit(policyId: string, limit: RateLimitPolicy | undefined): CompiledRateLimit | undefined {
  if (limit === undefined) return undefined;
  const rule = (perSecond: number, perPeriod: number): LeakyBucketRule => ({ ratePerSecond: perSecond, burst: perPeriod * limit.burstMultiplier });
  return {
    zone: policyId,
    zoneHash: hash32(policyId),
    rps: limit.rps === undefined ? undefined : rule(limit.rps, limit.rps),
    rpm: limit.rpm === undefined ? undefined : rule(limit.rpm / 60, limit.rpm),
    connections: limit.connections,
    exempt: limit.whitelist === undefined ? undefined : createCidrMatcher(limit.whitelist),
  };
}

export interface RateLimiterOptions {
  /** The answer to a limited request (--limit-status-code). Default 503, as ingress-nginx. */
  statusCode: number;
  /** Client buckets of limit-rps/limit-rpm (16 bytes each) of tables made here. Default 65536. */
  bucketSlots: number;
  /** Client counters of limit-connections (12 bytes each) of tables made here. Default 65536. */
  connectionSlots: number;
  /**
   * Tables made elsewhere and attached here (--workers N: the control plane's SharedArrayBuffers,
   * one for every worker; their sizes win). Default: private tables of the sizes above.
   */
  tables?: LimitTables;
  /** This thread's owner number in `tables` (the worker id, 1..tables.owners). Default 1. */
  owner?: number;
  /** The limiter's clock, in milliseconds. Default monotonicMs(). */
  now?: () => number;
}

// CLOCK_MONOTONIC in milliseconds: performance.now() counts from this thread's start, so it is
// moved to the system's origin once (hrtime reads the same clock), giving one time for every
// thread of the process that no wall-clock step can move. Each worker computes its own offset.
const monotonicOffsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Milliseconds on the system's monotonic clock: the same in every thread (the limiter's clock). */
export function monotonicMs(): number {
  return performance.now() + monotonicOffsetMs;
}

export const DEFAULT_RATE_LIMITER: Readonly<RateLimiterOptions> = Object.freeze({ statusCode: 503, bucketSlots: 65_536, connectionSlots: 65_536 });

/** A limited request: the status to answer and the access log's `limit`. */
export interface LimitRefusal {
  status: number;
  limit: 'limit-rps' | 'limit-rpm' | 'limit-connections';
  error: string;
}

/** The request may go on; `release` (when set) must be called once when it ends. */
export interface LimitAdmission {
  refusal?: undefined;
  release: (() => void) | undefined;
}

export class RateLimiter {
  readonly statusCode: number;
  readonly buckets: LeakyBucketLimiter;
  readonly connections: ConnectionSlots;
  readonly tables: LimitTables;
  readonly #now: () => number;

  constructor(options: Partial<RateLimiterOptions> = {}) {
    const o = { ...DEFAULT_RATE_LIMITER, ...options };
    this.statusCode = o.statusCode;
    this.tables = o.tables ?? createLimitTables({ bucketSlots: o.bucketSlots, connectionSlots: o.connectionSlots, owners: 1, shared: false });
    const attached = attachLimitTables(this.tables, o.owner ?? 1);
    this.buckets = new LeakyBucketLimiter(attached.buckets);
    this.connections = attached.connections;
    // One clock for every thread sharing the tables: a bucket stamped by one worker drains right in another.
    this.#now = o.now ?? monotonicMs;
  }

  /** Checks (and, when admitted, charges) one request of `clientAddress` against `limit`. */
  check(limit: CompiledRateLimit, clientAddress: string): LimitAdmission | { refusal: LimitRefusal } {
    if (limit.exempt !== undefined && limit.exempt(clientAddress)) return { release: undefined };
    // A request without an address (its socket already gone) shares one bucket: it cannot be told apart.
    const now = this.#now();
    const { rps, rpm } = limit;
    // One key per zone, limit kind and client: the address is hashed once, then mixed with the zone and kind.
    const client = Math.imul(hash32(clientAddress), 0x9e3779b1) ^ limit.zoneHash;
    const rpsKey = mix32(client ^ 0x1b873593);
    const rpmKey = mix32(client ^ 0x2c1b3c6d);
    if (rps !== undefined && rpm !== undefined) {
      // Both must pass; neither is charged when one refuses.
      if (!this.buckets.wouldAdmit(rpsKey, rps, now)) return this.#refuse('limit-rps', rps);
      if (!this.buckets.admit(rpmKey, rpm, now)) return this.#refuse('limit-rpm', rpm);
      // Another worker may have used the last of the rps burst since wouldAdmit: then refuse
      // (this request stays charged to rpm; never served over the rps limit).
      if (!this.buckets.admit(rpsKey, rps, now)) return this.#refuse('limit-rps', rps);
    } else if (rps !== undefined) {
      if (!this.buckets.admit(rpsKey, rps, now)) return this.#refuse('limit-rps', rps);
    } else if (rpm !== undefined) {
      if (!this.buckets.admit(rpmKey, rpm, now)) return this.#refuse('limit-rpm', rpm);
    }
    if (limit.connections === undefined) return { release: undefined };
    const key = mix32(client ^ 0x3d4c5b6a);
    const slot = this.connections.acquire(key, limit.connections);
    if (slot < 0) {
      const why = slot === OVER_LIMIT ? `more than ${limit.connections} requests in progress` : 'the connection-limit table is full';
      return { refusal: { status: this.statusCode, limit: 'limit-connections', error: why } };
    }
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.connections.release(slot, key);
      },
    };
  }

  #refuse(limit: 'limit-rps' | 'limit-rpm', rule: LeakyBucketRule): { refusal: LimitRefusal } {
    return { refusal: { status: this.statusCode, limit, error: `over ${limit === 'limit-rps' ? `${rule.ratePerSecond} requests/s` : `${Math.round(rule.ratePerSecond * 60)} requests/min`} (burst ${rule.burst})` } };
  }
}

/**
 * The request step: undefined when the route has no limits (or the client is exempt and nothing
 * is held). Without a limiter (a runtime built without one) a limited route refuses with 503:
 * never served unlimited.
 */
export function checkRateLimit(limiter: RateLimiter | undefined, limit: CompiledRateLimit | undefined, clientAddress: string): LimitAdmission | { refusal: LimitRefusal } | undefined {
  if (limit === undefined) return undefined;
  if (limiter === undefined) return { refusal: { status: 503, limit: 'limit-connections', error: 'no rate limiter in this runtime' } };
  return limiter.check(limit, clientAddress);
}
