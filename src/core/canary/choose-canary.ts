// ingress-nginx's canary decision (rootfs/etc/nginx/lua/balancer.lua, route_to_alternative_balancer),
// as one pure function the data plane, the reference lookup and explain all call:
//   1. a request whose affinity cookie names an endpoint of one side stays on that side;
//   2. canary-by-header: with canary-by-header-value, that exact value → canary; with
//      canary-by-header-pattern, a match → canary; otherwise `always` → canary, `never` → main;
//      any other value (or a value/pattern that does not match) falls through;
//   3. canary-by-cookie: `always` → canary, `never` → main, anything else falls through;
//   4. canary-weight: a uniform draw in 1..weightTotal at most canary-weight → canary.
// No clock, no randomness of its own: the caller passes the draw and the pattern matcher.

import type { RouteCanary } from './canary-split.ts';

export type CanarySide = 'main' | 'canary';

export type CanaryReason = 'affinity' | 'header' | 'header-value' | 'header-pattern' | 'cookie' | 'weight';

export interface CanaryChoice {
  readonly side: CanarySide;
  readonly reason: CanaryReason;
}

export interface CanaryRequest {
  /** A request header's value (lower-case name); for a repeated header, its values joined as Node joins them. */
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  /** The side whose endpoint the request's affinity cookie pins, when the policy has cookie affinity. */
  affinity(): CanarySide | undefined;
  /** A uniform integer in 1..total (only called when the weight decides). */
  draw(total: number): number;
  /** Whether the canary-by-header-pattern matches a value (RE2, unanchored, as ngx.re.match). */
  patternMatches(value: string): boolean;
}

const CHOICES: Readonly<Record<CanarySide, Readonly<Record<CanaryReason, CanaryChoice>>>> = Object.freeze({
  main: choicesFor('main'),
  canary: choicesFor('canary'),
});

function choicesFor(side: CanarySide): Readonly<Record<CanaryReason, CanaryChoice>> {
  const reasons: CanaryReason[] = ['affinity', 'header', 'header-value', 'header-pattern', 'cookie', 'weight'];
  return Object.freeze(Object.fromEntries(reasons.map((reason) => [reason, Object.freeze({ side, reason })])) as Record<CanaryReason, CanaryChoice>);
}

/** Which side serves this request. Allocates nothing (the choices are shared frozen objects). */
export function chooseCanary(canary: RouteCanary, request: CanaryRequest): CanaryChoice {
  const pinned = request.affinity();
  if (pinned !== undefined) return CHOICES[pinned].affinity;
  const rule = canary.header;
  if (rule !== undefined) {
    const value = request.header(rule.name);
    if (value !== undefined) {
      if (rule.value !== undefined) {
        if (value === rule.value) return CHOICES.canary['header-value'];
      } else if (rule.pattern !== undefined) {
        if (request.patternMatches(value)) return CHOICES.canary['header-pattern'];
      } else if (value === 'always') {
        return CHOICES.canary.header;
      } else if (value === 'never') {
        return CHOICES.main.header;
      }
    }
  }
  if (canary.cookie !== undefined) {
    const value = request.cookie(canary.cookie);
    if (value === 'always') return CHOICES.canary.cookie;
    if (value === 'never') return CHOICES.main.cookie;
  }
  if (canary.weight <= 0) return CHOICES.main.weight;
  if (canary.weight >= canary.weightTotal) return CHOICES.canary.weight;
  return request.draw(canary.weightTotal) <= canary.weight ? CHOICES.canary.weight : CHOICES.main.weight;
}

/** One line for status, diagnostics, explain and check: what the split sends to the canary. */
export function describeCanary(canary: Pick<RouteCanary, 'header' | 'cookie' | 'weight' | 'weightTotal'>): string {
  const parts: string[] = [];
  const h = canary.header;
  if (h !== undefined) {
    if (h.value !== undefined) parts.push(`header ${h.name} = ${JSON.stringify(h.value)}`);
    else if (h.pattern !== undefined) parts.push(`header ${h.name} matching ${JSON.stringify(h.pattern)}`);
    else parts.push(`header ${h.name} (always/never)`);
  }
  if (canary.cookie !== undefined) parts.push(`cookie ${canary.cookie} (always/never)`);
  parts.push(`weight ${canary.weight} of ${canary.weightTotal}`);
  return parts.join(', then ');
}
