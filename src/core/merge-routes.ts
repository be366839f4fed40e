// Rules for the same host from several Ingresses merge into one route list per host.
// Two routes that match the same requests (same host, same compiled match, equivalent path)
// conflict: the older Ingress — or, within one Ingress, the earlier path — wins; the loser is
// reported with PathConflict. The refused stand-in of an invalid path only takes a place no real
// route claims. Each list is then put in specificity order (see path-match.ts).

import type { Diagnostic } from './diagnostics.ts';
import { attachCanaries } from './canary/attach-canaries.ts';
import type { RouteCandidate } from './collect-routes.ts';
import { compareStrings } from './compare-strings.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import { compareMatchSpecificity, pathElements } from './path-match.ts';
import { quoteValue } from './quote-value.ts';
import type { Route } from './route-table.ts';

export interface MergedRoutes {
  /** host → routes, most specific first. */
  byHost: Map<string, Route[]>;
  diagnostics: Diagnostic[];
}

/** `candidates` must be in precedence order: oldest Ingress first, then rule and path order. */
export function mergeRoutes(candidates: readonly RouteCandidate[]): MergedRoutes {
  const winners = new Map<string, RouteCandidate>();
  const diagnostics: Diagnostic[] = [];
  const canaries: RouteCandidate[] = [];
  for (const candidate of candidates) {
    // Canary paths never claim a place: they split the main route that does (canary/attach-canaries.ts).
    if (candidate.canary !== undefined) {
      canaries.push(candidate);
      continue;
    }
    const key = routeKey(candidate);
    const winner = winners.get(key);
    if (winner === undefined) winners.set(key, candidate);
    // An invalid path's stand-in never displaces nor contests a real route (its own diagnostic is out already).
    else if (candidate.standIn === true) continue;
    else if (winner.standIn === true) winners.set(key, candidate);
    else diagnostics.push(conflict(candidate, winner));
  }
  diagnostics.push(...attachCanaries(winners, canaries, routeKey));
  const byHost = new Map<string, RouteCandidate[]>();
  for (const candidate of winners.values()) {
    const list = byHost.get(candidate.host);
    if (list) list.push(candidate);
    else byHost.set(candidate.host, [candidate]);
  }
  const sorted = new Map<string, Route[]>();
  for (const [host, list] of byHost) sorted.set(host, list.sort(compareCandidates).map((c) => c.route));
  return { byHost: sorted, diagnostics };
}

/** Two candidates with the same key match the same requests. */
function routeKey(candidate: RouteCandidate): string {
  return `${candidate.host} ${conflictKey(candidate.route)}`;
}

/** Prefix paths that differ only by empty elements ('/foo' and '/foo/') match the same requests. */
function conflictKey(route: Route): string {
  if (route.match === 'Regex') return `Regex ${route.path}`;
  return route.match === 'Exact' ? `Exact ${route.path}` : `Prefix /${pathElements(route.path).join('/')}`;
}

function compareCandidates(a: RouteCandidate, b: RouteCandidate): number {
  return (
    compareMatchSpecificity(orderOf(a), orderOf(b)) ||
    compareStrings(a.route.path, b.route.path) ||
    a.rank - b.rank ||
    compareStrings(a.route.id, b.route.id)
  );
}

/** A regex stand-in takes the place of the pattern it stands for (collect-routes.ts). */
function orderOf(c: RouteCandidate): { path: string; match: Route['match'] } {
  return c.orderPath === undefined ? c.route : { path: c.orderPath, match: c.route.match };
}

function conflict(loser: RouteCandidate, winner: RouteCandidate): Diagnostic {
  const by =
    winner.route.ingress === loser.route.ingress
      ? `an earlier path of this Ingress (${winner.field})`
      : `the older Ingress ${winner.route.ingress} (${winner.field})`;
  const what = `host ${loser.host} ${loser.route.match} ${quoteValue(loser.route.path)}`;
  return makeDiagnostic('PathConflict', loser.owner, loser.field, `${what} is already routed by ${by}; this path is not served`);
}
