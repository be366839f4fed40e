// Canary paths join the main route they split (ingress-nginx's mergeAlternativeBackends): the
// route that serves the same host, path and pathType, from a non-canary Ingress. As in ingress-nginx,
// a canary path without such a route is not served (CanaryWithoutMain), and a route has at most one
// canary (CanaryConflict for the others, oldest canary first). Canary traffic keeps the main
// route's policy: the route's `policy` is unchanged, only the backend differs.

import type { RouteCandidate } from '../collect-routes.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic } from '../diagnostic-codes.ts';
import { quoteValue } from '../quote-value.ts';
import type { RouteCanary } from './canary-split.ts';
import { describeCanary } from './choose-canary.ts';

/** `winners`: the main routes by key; `canaries` in precedence order (oldest Ingress first). */
export function attachCanaries(
  winners: ReadonlyMap<string, RouteCandidate>,
  canaries: readonly RouteCandidate[],
  keyOf: (candidate: RouteCandidate) => string,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const taken = new Map<string, RouteCandidate>();
  for (const candidate of canaries) {
    const rules = candidate.canary?.rules;
    // An invalid path (its PathInvalid is out) or invalid canary annotations (CanaryInvalid is out): no split.
    if (candidate.standIn === true || rules === undefined) continue;
    const { route } = candidate;
    const what = `host ${candidate.host} ${route.match} ${quoteValue(route.path)}`;
    const key = keyOf(candidate);
    const main = winners.get(key);
    if (main === undefined || main.standIn === true) {
      diagnostics.push(makeDiagnostic('CanaryWithoutMain', candidate.owner, candidate.field, `${what} has no main Ingress (one without the canary annotation) for the same host, path and pathType; as in ingress-nginx, this canary path is not served`));
      continue;
    }
    const earlier = taken.get(key);
    if (earlier !== undefined) {
      diagnostics.push(makeDiagnostic('CanaryConflict', candidate.owner, candidate.field, `${what} already has the canary ${earlier.route.ingress} (${earlier.field}); a route has one canary, as in ingress-nginx, so this one is not served`));
      continue;
    }
    taken.set(key, candidate);
    const canary: RouteCanary = { route: route.id, ingress: route.ingress, backend: route.backend, ...rules };
    if (rules.header !== undefined) canary.header = { ...rules.header };
    if (route.refused !== undefined) canary.refused = route.refused;
    main.route.canary = canary;
    const refused = route.refused === undefined ? '' : `; its backend is refused (${route.refused}), so the requests chosen for it answer 503`;
    diagnostics.push(makeDiagnostic('CanarySplit', candidate.owner, candidate.field, `${what} is the canary of ${main.route.id} (Ingress ${main.route.ingress}): requests chosen by ${describeCanary(rules)} go to ${route.backend}; canary requests get the policy of ${main.route.policy}${refused}`));
  }
  return diagnostics;
}
