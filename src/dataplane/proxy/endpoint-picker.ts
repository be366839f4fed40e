// The one seam through which the data plane chooses an endpoint, and its policy-aware picker:
// usable endpoints (ready ones; the serving ones only when none is ready, as kube-proxy does),
// minus those passive health has ejected (unless that would leave none: panic mode), minus those
// that already failed for this request; then cookie affinity, Service ClientIP affinity or the
// Ingress's load-balancing algorithm; retries only within the backend's retry budget.
//
// The hot path allocates nothing unless an endpoint is ejected or the request is a retry.
import type { IncomingHttpHeaders } from 'node:http';
import type { RoutePolicy } from '../../core/policy.ts';
import type { Backend, Endpoint } from '../../core/route-table.ts';
import { ClientIpAffinity, createBalancer, hash32, type Balancer, type Slot } from './balancers.ts';
import { affinityCookie, affinityCookieValue, type AffinityCookie } from './cookie-affinity.ts';
import { defaultTrafficState, type BackendTraffic, type TrafficState } from './traffic-state.ts';

/** What a picker may look at for one request. Built once per request; cheap to construct. */
export interface PickContext {
  /** The client's address (after trusted-proxy resolution), without an IPv4-mapped prefix. */
  readonly clientIp: string;
  readonly scheme: 'http' | 'https';
  /** Request headers, lower-case names (for HTTP/2 the pseudo-headers are present too). */
  readonly headers: IncomingHttpHeaders;
  /** A cookie's value from the request, parsed on first use. */
  cookie(name: string): string | undefined;
  /** Endpoints that already failed for this request (a retry must avoid them). Empty on the first try. */
  readonly failed: readonly Endpoint[];
  /**
   * Response headers the picker wants added (for example an affinity Set-Cookie), as flat
   * name/value pairs. Names must be valid tokens and values valid header values.
   */
  readonly responseHeaders: string[];
}

export type PickOutcome = 'ok' | 'connect-error' | 'reset' | 'timeout' | 'http-5xx' | 'aborted';

export interface EndpointPicker {
  /**
   * An endpoint for this request, or undefined when none can take it (the client gets 503; on a
   * retry, the original failure — also when the retry budget is spent).
   */
  pick(ctx: PickContext): Endpoint | undefined;
  /** Called once per pick, when the upstream exchange ends (for in-flight counts and passive health). */
  release?(endpoint: Endpoint, outcome: PickOutcome): void;
  /** With cookie affinity: the request's cookie pins one of this picker's usable endpoints (steps/canary.ts keeps a session on its side). */
  holdsSession?(ctx: PickContext): boolean;
}

export type EndpointPickerFactory = (backend: Backend, policy: RoutePolicy) => EndpointPicker;

/** The data plane's default factory: the policy-aware picker over the process-wide traffic state. */
export function createEndpointPicker(backend: Backend, policy: RoutePolicy): EndpointPicker {
  return new PolicyPicker(backend, policy, defaultTrafficState);
}

/** A factory over a given traffic state (tests; a DataPlane with its own health settings). */
export function createEndpointPickerFactory(state: TrafficState): EndpointPickerFactory {
  return (backend, policy) => new PolicyPicker(backend, policy, state);
}

/** Ready endpoints; when there are none, the ones still serving (terminating pods included). */
export function usableEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving);
}

const SET_COOKIE = 'set-cookie';

interface Affinity {
  readonly cookie: AffinityCookie;
  /** Cookie value → slot, for usable endpoints only (a stale value finds nothing and re-pins). */
  readonly byValue: Map<string, Slot>;
  /** Parallel to the picker's slots. */
  readonly values: Map<Slot, string>;
}

export class PolicyPicker implements EndpointPicker {
  readonly #slots: readonly Slot[];
  readonly #byEndpoint = new Map<Endpoint, Slot>();
  readonly #balancer: Balancer;
  readonly #affinity: Affinity | undefined;
  readonly #state: TrafficState;
  readonly #backend: BackendTraffic;
  readonly #ejectOn5xx: boolean;

  constructor(backend: Backend, policy: RoutePolicy, state: TrafficState) {
    this.#state = state;
    this.#backend = state.backend(backend.id);
    this.#ejectOn5xx = policy.ejectOn5xx;
    state.health.forgetIdle();
    this.#slots = usableEndpoints(backend.endpoints).map((endpoint) => {
      const key = endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
      const slot: Slot = { endpoint, health: state.health.record(key), seed: hash32(key) };
      this.#byEndpoint.set(endpoint, slot);
      return slot;
    });
    // The Service's ClientIP affinity replaces the non-sticky algorithms; consistent-hash keeps its
    // own key, and cookie affinity pins sessions first (new ones are placed by this balancer).
    this.#balancer =
      backend.sessionAffinity === 'ClientIP' && policy.loadBalance !== 'consistent-hash' ? new ClientIpAffinity() : createBalancer(policy.loadBalance, policy.hashKey);
    if (policy.affinity !== undefined) {
      const byValue = new Map<string, Slot>();
      const values = new Map<Slot, string>();
      for (const slot of this.#slots) {
        const value = affinityCookieValue(state.affinityKey, backend.id, slot.endpoint);
        byValue.set(value, slot);
        values.set(slot, value);
      }
      this.#affinity = { cookie: affinityCookie(policy.affinity), byValue, values };
    }
  }

  pick(ctx: PickContext): Endpoint | undefined {
    let candidates = this.#slots;
    if (candidates.length === 0) return undefined;
    const retry = ctx.failed.length > 0;
    if (retry || this.#state.health.anyEjected) {
      candidates = this.#eligible(ctx.failed);
      if (candidates.length === 0) return undefined;
    }
    if (retry) {
      if (!this.#backend.budget.tryRetry()) return undefined;
    } else {
      this.#backend.budget.recordRequest();
    }
    const slot = this.#affinity === undefined ? this.#balancer.pick(candidates, ctx) : this.#pickAffine(this.#affinity, candidates, ctx);
    slot.health.inFlight++;
    slot.health.requests++;
    return slot.endpoint;
  }

  holdsSession(ctx: PickContext): boolean {
    const affinity = this.#affinity;
    if (affinity === undefined) return false;
    const value = ctx.cookie(affinity.cookie.name);
    return value !== undefined && affinity.byValue.has(value);
  }

  release(endpoint: Endpoint, outcome: PickOutcome): void {
    const slot = this.#byEndpoint.get(endpoint);
    if (slot === undefined) return;
    const h = slot.health;
    if (h.inFlight > 0) h.inFlight--;
    // The client went away: says nothing about the endpoint.
    if (outcome === 'aborted') return;
    const failed = outcome === 'http-5xx' ? this.#ejectOn5xx : outcome !== 'ok';
    const ejections = h.ejections;
    this.#state.health.report(h, failed);
    if (h.ejections !== ejections) this.#backend.ejections++;
  }

  /** Slots not ejected and not failed for this request; every non-failed one when all are ejected. */
  #eligible(failed: readonly Endpoint[]): Slot[] {
    const health = this.#state.health;
    const now = health.options.now();
    const out: Slot[] = [];
    let ejected = 0;
    for (const slot of this.#slots) {
      if (failed.includes(slot.endpoint)) continue;
      if (health.isEjected(slot.health, now)) {
        ejected++;
        continue;
      }
      out.push(slot);
    }
    if (out.length > 0 || ejected === 0) return out;
    // Panic mode: never eject every endpoint of a backend; with all of them out, use them all.
    this.#backend.panics++;
    return this.#slots.filter((s) => !failed.includes(s.endpoint));
  }

  #pickAffine(affinity: Affinity, candidates: readonly Slot[], ctx: PickContext): Slot {
    const value = ctx.cookie(affinity.cookie.name);
    if (value !== undefined) {
      const pinned = affinity.byValue.get(value);
      if (pinned !== undefined && (candidates === this.#slots || candidates.includes(pinned))) {
        this.#backend.affinityHits++;
        return pinned;
      }
    }
    // A new session, or its endpoint is gone, not ready, ejected or just failed: pin another one.
    const slot = this.#balancer.pick(candidates, ctx);
    const header = affinity.cookie.setCookie(affinity.values.get(slot)!, ctx.scheme === 'https');
    const out = ctx.responseHeaders;
    const prefix = `${affinity.cookie.name}=`;
    for (let i = 0; i + 1 < out.length; i += 2) {
      // A retry replaces the cookie its first attempt set.
      if (out[i] === SET_COOKIE && out[i + 1]!.startsWith(prefix)) {
        out[i + 1] = header;
        return slot;
      }
    }
    out.push(SET_COOKIE, header);
    return slot;
  }
}
