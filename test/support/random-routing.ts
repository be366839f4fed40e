// Generated route tables and requests for property tests of the routing contract (compiled lookup,
// explanation) against src/core/resolve-request.ts. Seeded (xorshift32): same seed, same cases.
import type { RouteTable } from '../../src/core/route-table.ts';
import { compareMatchSpecificity } from '../../src/core/path-match.ts';
import { routeTable } from './route-tables.ts';

export interface RandomRouting {
  /** A table the builder could produce: conflict-free routes, sorted as the builder sorts. */
  table(round: number): RouteTable;
  /** A request: a Host header as clients send it (case, port, trailing dot, IPv6, none) and a path. */
  request(): { hostHeader: string; path: string };
}

const HOSTS = ['a.example.com', 'b.example.com', '*.example.com', 'x.a.example.com', '*.a.example.com', 'other.test', '*'];
const SEGMENTS = ['foo', 'bar', 'baz', 'api', 'v1', 'Foo', 'API'];
/** Regex paths as ingress-nginx users write them, plus literal ones (a regex host reads every path as a regex). */
const PATTERNS = ['/foo/.*', '/(foo|bar)', '/api/v[0-9]+', '/ba[rz]$', '/foo(/|$)(.*)', '/Foo', '/api', '/', '/.*/bar', '/v1$', '/foo/bar/[a-z]{3}'];
const REQUEST_HOSTS = ['a.example.com', 'A.Example.com:8080', 'b.example.com.', 'c.example.com', 'x.a.example.com', 'y.a.example.com', 'z.y.a.example.com', 'example.com', 'other.test', 'unknown.test', '[::1]:80', ''];

export function randomRouting(initialSeed: number): RandomRouting {
  let seed = initialSeed;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
  const randomPath = (max: number): string => '/' + Array.from({ length: rand(max + 1) }, () => pick(SEGMENTS)).join('/');
  return {
    table(round) {
      const backends: Record<string, string[]> = {};
      const hosts: Record<string, { routes: { path: string; match: 'Exact' | 'Prefix' | 'Regex'; backend: string }[]; defaultBackend?: string }> = {};
      for (const host of HOSTS) {
        if (rand(3) === 0) continue;
        const seen = new Set<string>();
        const routes: { path: string; match: 'Exact' | 'Prefix' | 'Regex'; backend: string }[] = [];
        // A regex host (docs/routing.md): every route a case-insensitive regex anchored at the start.
        if (rand(4) === 0) {
          for (let i = rand(6); i > 0; i--) {
            const path = pick(PATTERNS);
            if (seen.has(path)) continue;
            seen.add(path);
            const backend = `default/r${round}-${routes.length}-${host}:80`;
            backends[backend] = ['127.0.0.2:80'];
            routes.push({ path, match: 'Regex', backend });
          }
          hosts[host] = { routes };
          continue;
        }
        for (let i = rand(6); i > 0; i--) {
          const match = rand(3) === 0 ? 'Exact' : 'Prefix';
          let path = randomPath(3);
          if (rand(4) === 0 && path !== '/') path += '/';
          // The builder removes conflicts: one route per (match, path elements) for Prefix, per path for Exact.
          const key = match === 'Exact' ? `E${path}` : `P${path.replace(/\/+$/, '')}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const backend = `default/b${round}-${routes.length}-${host}:80`;
          backends[backend] = ['127.0.0.2:80'];
          routes.push({ path, match, backend });
        }
        const spec: (typeof hosts)[string] = { routes };
        if (rand(3) === 0) {
          spec.defaultBackend = `default/hostdefault-${host}:80`;
          backends[spec.defaultBackend] = ['127.0.0.2:80'];
        }
        hosts[host] = spec;
      }
      const tableDefault = rand(2) === 0 ? 'default/global:80' : undefined;
      if (tableDefault) backends[tableDefault] = ['127.0.0.2:80'];
      const table = routeTable({ hosts, backends, ...(tableDefault ? { defaultBackend: tableDefault } : {}) });
      // Order routes exactly as the builder does (docs/routing.md): elements, then Exact first, then path.
      for (const vh of table.virtualHosts) {
        vh.routes.sort((x, y) => compareMatchSpecificity(x, y) || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
      }
      // Refused routes and default backends (docs/routing.md) keep their place: same lookups, answered 503.
      for (const vh of table.virtualHosts) {
        for (const r of vh.routes) if (rand(5) === 0) r.refused = 'BackendServiceNotFound';
        if (vh.defaultBackend && rand(3) === 0) vh.defaultBackend.refused = 'ResourceBackendUnsupported';
      }
      if (table.defaultBackend && rand(3) === 0) table.defaultBackend.refused = 'BackendMissing';
      return table;
    },
    request() {
      const hostHeader = pick(REQUEST_HOSTS);
      let path = randomPath(4);
      if (rand(4) === 0 && path !== '/') path += '/';
      return { hostHeader, path };
    },
  };
}
