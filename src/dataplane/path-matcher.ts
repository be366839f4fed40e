// Per-virtual-host path matcher: one hash probe for Exact paths, then one probe per path element
// (longest first) for Prefix paths. No scan over routes, no regex, whatever the number of routes.
//
// Semantics (Kubernetes Ingress): Exact compares the whole path, case-sensitively. Prefix compares
// element by element on '/', ignoring a trailing slash, so '/foo' matches '/foo', '/foo/' and
// '/foo/bar' but not '/foobar'. The longest match (in elements) wins; at equal length Exact wins,
// which falls out of the order below: an Exact hit has as many elements as the request path, and no
// Prefix hit can have more.

export interface PathMatcher<T> {
  match(path: string): T | undefined;
  readonly size: number;
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
export function createPathMatcher<T>(entries: Iterable<{ path: string; match: 'Exact' | 'Prefix'; value: T }>): PathMatcher<T> {
  const exact = new Map<string, T>();
  const prefix = new Map<string, T>();
  let maxPrefixLength = 0;
  for (const e of entries) {
    if (e.match === 'Exact') {
      if (!exact.has(e.path)) exact.set(e.path, e.value);
    } else {
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
