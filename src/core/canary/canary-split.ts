// The typed canary split of a route (ingress-nginx's canary annotations): which requests of a main
// route go to the canary Ingress's backend instead. Plain data in the route table; the decision
// itself is choose-canary.ts, shared by the data plane, the reference lookup and explain.

/** canary-by-header and its value or pattern. */
export interface CanaryHeaderRule {
  /** Lower-case header name. */
  name: string;
  /** canary-by-header-value: only this exact value routes to the canary. */
  value?: string;
  /** canary-by-header-pattern (RE2 syntax, checked and size-capped by the builder): a match routes to the canary. */
  pattern?: string;
}

export interface RouteCanary {
  /** The canary Ingress's route id ('ns/canary#r0.p0'), for logs. */
  route: string;
  /** The canary Ingress 'ns/name'. */
  ingress: string;
  /** The canary's backend id; for a refused canary the id as written. */
  backend: string;
  /** Set when the canary's backend does not resolve: the requests chosen for it answer 503. */
  refused?: string;
  header?: CanaryHeaderRule;
  /** canary-by-cookie: the cookie name whose value `always` or `never` decides. */
  cookie?: string;
  /** canary-weight: a request goes to the canary when a draw in 1..weightTotal is at most this. */
  weight: number;
  /** canary-weight-total (default 100). */
  weightTotal: number;
}

/** The parsed canary annotations of a canary Ingress, before it is matched to a main route. */
export type CanaryRules = Omit<RouteCanary, 'route' | 'ingress' | 'backend' | 'refused'>;

export const DEFAULT_CANARY_WEIGHT_TOTAL = 100;
