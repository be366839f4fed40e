// Path matching exactly as the Ingress API describes it, shared by the builder, its tests and
// the data plane. Inputs are paths only: the query string never takes part in matching.

import type { MatchType } from './route-table.ts';

/** The '/'-separated elements of a path; empty elements (a trailing or repeated '/') do not count. */
export function pathElements(path: string): string[] {
  return path.split('/').filter((element) => element !== '');
}

/** Prefix: the route's elements are an element-wise prefix of the request's, case-sensitive. */
export function prefixMatches(routePath: string, requestPath: string): boolean {
  const route = pathElements(routePath);
  const request = pathElements(requestPath);
  if (route.length > request.length) return false;
  return route.every((element, i) => element === request[i]);
}

/** Exact: byte-for-byte equality, case-sensitive; '/foo' and '/foo/' differ. */
export function exactMatches(routePath: string, requestPath: string): boolean {
  return routePath === requestPath;
}

export interface PathMatcher {
  path: string;
  match: MatchType;
}

export function pathMatches(route: PathMatcher, requestPath: string): boolean {
  return route.match === 'Exact' ? exactMatches(route.path, requestPath) : prefixMatches(route.path, requestPath);
}

/**
 * Most specific first: more path elements, then Exact before Prefix. This is the order in which
 * the first matching route is the one the Ingress spec says wins.
 */
export function compareMatchSpecificity(a: PathMatcher, b: PathMatcher): number {
  const byLength = pathElements(b.path).length - pathElements(a.path).length;
  if (byLength !== 0) return byLength;
  return matchRank(a.match) - matchRank(b.match);
}

/** The first route that matches, for routes already in specificity order (as VirtualHost.routes are). */
export function findMatchingRoute<T extends PathMatcher>(sortedRoutes: readonly T[], requestPath: string): T | undefined {
  return sortedRoutes.find((route) => pathMatches(route, requestPath));
}

function matchRank(match: MatchType): number {
  return match === 'Exact' ? 0 : 1;
}
