// Per-virtual-host path matcher: one hash probe for Exact paths, then one probe per path element
// (longest first) for Prefix paths. No scan over routes, no regex, whatever the number of routes.
//
// Semantics (Kubernetes Ingress): Exact compares the whole path, case-sensitively. Prefix compares
// element by element on '/', ignoring a trailing slash, so '/foo' matches '/foo', '/foo/' and
// '/foo/bar' but not '/foobar'. The longest match (in elements) wins; at equal length Exact wins,
// which falls out of the order below: an Exact hit has as many elements as the request path, and no
// Prefix hit can have more.
//
// A regex host (any route 'Regex') is matched by createRegexPathMatcher below instead.

import { compileRegexPath, type CompiledRegexPath } from '../core/regex-path.ts';

export interface PathMatcher<T> {
  match(path: string): T | undefined;
  readonly size: number;
}

/** A regex entry's compiled pattern travels with its value, so a rewrite can reuse it (compile-table.ts). */
export interface PathEntry<T> {
  path: string;
  match: 'Exact' | 'Prefix' | 'Regex';
  value: T;
}

/** The key a Prefix path is stored under: trailing slashes removed, so '/' becomes ''. */
export function prefixKey(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return end === path.length ? path : path.slice(0, end);
}

/**
 * Builds a matcher from entries in priority order (most specific first). When two entries share a
 * key, the first one wins: the route table is already sorted so that the winner comes first.
 */
export function createPathMatcher<T>(entries: Iterable<PathEntry<T>>): PathMatcher<T> {
  const list = [...entries];
  // A regex host (every route 'Regex', core/regex-hosts.ts) is tried in table order, first match
  // wins, as nginx tries regex locations. Hosts without regex keep the hash probes below.
  if (list.some((e) => e.match === 'Regex')) return createRegexPathMatcher(list);
  const exact = new Map<string, T>();
  const prefix = new Map<string, T>();
  let maxPrefixLength = 0;
  for (const e of list) {
    if (e.match === 'Exact') {
      if (!exact.has(e.path)) exact.set(e.path, e.value);
    } else if (e.match === 'Prefix') {
      const key = prefixKey(e.path);
      if (!prefix.has(key)) prefix.set(key, e.value);
      if (key.length > maxPrefixLength) maxPrefixLength = key.length;
    }
  }
  const root = prefix.get('');
  const hasExact = exact.size > 0;
  const onlyRoot = prefix.size === 1 && root !== undefined;
  return {
    size: exact.size + prefix.size,
    match(path: string): T | undefined {
      if (hasExact) {
        const hit = exact.get(path);
        if (hit !== undefined) return hit;
      }
      if (onlyRoot) return root;
      if (prefix.size === 0) return undefined;
      let end = path.length;
      while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
      // Skip candidates longer than any stored prefix without building their strings.
      while (end > maxPrefixLength) {
        end = path.lastIndexOf('/', end - 1);
        while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
      }
      for (;;) {
        if (end <= 0) return root;
        const hit = prefix.get(end === path.length ? path : path.slice(0, end));
        if (hit !== undefined) return hit;
        end = path.lastIndexOf('/', end - 1);
        while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
      }
    },
  };
}

/**
 * First match in order over RE2 patterns (linear time per pattern, core/regex-path.ts). A pattern
 * the engine refuses cannot reach the table (the builder refuses its path); if one did, it would
 * match nothing rather than throw on the request path.
 */
function createRegexPathMatcher<T>(entries: readonly PathEntry<T>[]): PathMatcher<T> {
  const compiled: { re: CompiledRegexPath; value: T }[] = [];
  for (const e of entries) {
    const re = e.match === 'Regex' ? compileRegexPath(e.path) : undefined;
    if (re !== undefined) compiled.push({ re, value: e.value });
  }
  return {
    size: compiled.length,
    match(path: string): T | undefined {
      for (const c of compiled) if (c.re.test(path)) return c.value;
      return undefined;
    },
  };
}
