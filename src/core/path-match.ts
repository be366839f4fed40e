// Path matching exactly as the Ingress API describes it, shared by the builder, its tests and
// the data plane. Inputs are paths only: the query string never takes part in matching.

import { regexPathMatches } from './regex-path.ts';
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
  if (route.match === 'Regex') return regexPathMatches(route.path, requestPath);
  return route.match === 'Exact' ? exactMatches(route.path, requestPath) : prefixMatches(route.path, requestPath);
}

/**
 * Most specific first: more path elements, then Exact before Prefix. This is the order in which
 * the first matching route is the one the Ingress spec says wins.
 */
export function compareMatchSpecificity(a: PathMatcher, b: PathMatcher): number {
  if (a.match === 'Regex' || b.match === 'Regex') return compareRegexOrder(a, b);
  const byLength = pathElements(b.path).length - pathElements(a.path).length;
  if (byLength !== 0) return byLength;
  return matchRank(a.match) - matchRank(b.match);
}

/** The first route that matches, for routes already in specificity order (as VirtualHost.routes are). */
export function findMatchingRoute<T extends PathMatcher>(sortedRoutes: readonly T[], requestPath: string): T | undefined {
  return sortedRoutes.find((route) => pathMatches(route, requestPath));
}

function matchRank(match: MatchType): number {
  return match === 'Exact' ? 0 : match === 'Prefix' ? 1 : 2;
}

/**
 * ingress-nginx's location order on a regex host (controller.go sorts by path, descending, then
 * stably by length, descending): the longer pattern text first, then the greater text by code unit.
 * nginx tries regex locations in that order and the first match wins.
 */
export function compareRegexOrder(a: PathMatcher, b: PathMatcher): number {
  if (a.match !== b.match) return matchRank(a.match) - matchRank(b.match); // never mixed on one host
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  return a.path < b.path ? 1 : a.path > b.path ? -1 : 0;
}
