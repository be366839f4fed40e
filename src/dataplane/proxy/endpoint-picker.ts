// The one seam through which the data plane chooses an endpoint. This default is round-robin over
// ready endpoints, falling back to serving (e.g. terminating but still serving) endpoints when none
// is ready, as kube-proxy does. The traffic-policy work replaces the factory (affinity, least-request,
// consistent hash, passive health) without touching the request path.
import type { IncomingHttpHeaders } from 'node:http';
import type { Backend, Endpoint } from '../../core/route-table.ts';
import type { RoutePolicy } from '../../core/policy.ts';

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
  /** An endpoint for this request, or undefined when none can take it (the client gets 503). */
  pick(ctx: PickContext): Endpoint | undefined;
  /** Called once per pick, when the upstream exchange ends (for in-flight counts and passive health). */
  release?(endpoint: Endpoint, outcome: PickOutcome): void;
}

export type EndpointPickerFactory = (backend: Backend, policy: RoutePolicy) => EndpointPicker;

export function createEndpointPicker(backend: Backend, _policy: RoutePolicy): EndpointPicker {
  return new RoundRobinPicker(usableEndpoints(backend.endpoints));
}

/** Ready endpoints; when there are none, the ones still serving (terminating pods included). */
export function usableEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving);
}

class RoundRobinPicker implements EndpointPicker {
  readonly #endpoints: Endpoint[];
  #next = 0;

  constructor(endpoints: Endpoint[]) {
    this.#endpoints = endpoints;
  }

  pick(ctx: PickContext): Endpoint | undefined {
    const list = this.#endpoints;
    const n = list.length;
    if (n === 0) return undefined;
    const start = this.#next;
    this.#next = start + 1 >= n ? 0 : start + 1;
    if (ctx.failed.length === 0) return list[start];
    for (let k = 0; k < n; k++) {
      const e = list[(start + k) % n]!;
      if (!ctx.failed.includes(e)) return e;
    }
    return undefined;
  }
}
