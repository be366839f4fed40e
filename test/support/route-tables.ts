// Builds RouteTables by hand for data-plane tests (the core builder has its own tests), sorted the
// way the builder sorts: most specific path first (elements), Exact before Prefix.
import { compareRegexOrder } from '../../src/core/path-match.ts';
import type { Backend, Endpoint, MatchType, Route, RouteTable, VirtualHost } from '../../src/core/route-table.ts';
import { DEFAULT_POLICY, type RoutePolicy } from '../../src/core/policy.ts';

export interface RouteSpec {
  path: string;
  match?: MatchType; // default Prefix
  backend: string;
  policy?: string; // default 'default/ing'
}

export interface HostSpec {
  routes?: RouteSpec[];
  defaultBackend?: string;
  /** A certificate id: the host serves TLS (and plain HTTP redirects unless the policy says no). */
  tls?: string;
}

export interface TableSpec {
  hosts: Record<string, HostSpec>;
  /** Backend id → endpoints ('127.0.0.2:8080' strings, or full Endpoint objects). */
  backends: Record<string, (string | Endpoint)[]>;
  policies?: Record<string, Partial<RoutePolicy>>;
  defaultBackend?: string;
}

export function endpoint(spec: string | Endpoint): Endpoint {
  if (typeof spec !== 'string') return spec;
  const colon = spec.lastIndexOf(':');
  return { address: spec.slice(0, colon), port: Number(spec.slice(colon + 1)), ready: true, serving: true, terminating: false };
}

function elements(path: string): number {
  return path.split('/').filter((s) => s.length > 0).length;
}

export function routeTable(spec: TableSpec): RouteTable {
  const backends: Record<string, Backend> = {};
  for (const [id, eps] of Object.entries(spec.backends)) {
    const [nsSvc, port] = [id.slice(0, id.lastIndexOf(':')), id.slice(id.lastIndexOf(':') + 1)];
    const [namespace, service] = nsSvc.split('/') as [string, string];
    backends[id] = { id, namespace, service, servicePort: Number.isNaN(Number(port)) ? port : Number(port), endpoints: eps.map(endpoint), sessionAffinity: 'None' };
  }
  const policies: Record<string, RoutePolicy> = { 'default/ing': { ...DEFAULT_POLICY } };
  for (const [id, p] of Object.entries(spec.policies ?? {})) policies[id] = { ...DEFAULT_POLICY, ...p };
  const virtualHosts: VirtualHost[] = Object.entries(spec.hosts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([host, h]) => {
      const routes: Route[] = (h.routes ?? []).map((r, i) => ({
        id: `default/ing#${host}.p${i}`,
        ingress: 'default/ing',
        path: r.path,
        match: r.match ?? 'Prefix',
        pathType: r.match === 'Regex' ? 'ImplementationSpecific' : (r.match ?? 'Prefix'),
        backend: r.backend,
        policy: r.policy ?? 'default/ing',
      }));
      routes.sort((a, b) => (a.match === 'Regex' || b.match === 'Regex' ? compareRegexOrder(a, b) : elements(b.path) - elements(a.path) || (a.match === b.match ? 0 : a.match === 'Exact' ? -1 : 1)));
      const vh: VirtualHost = { host, routes };
      if (h.defaultBackend) vh.defaultBackend = { backend: h.defaultBackend, policy: 'default/ing', ingress: 'default/ing' };
      if (h.tls) vh.tls = { certificate: h.tls, ingress: 'default/ing' };
      return vh;
    });
  const table: RouteTable = { virtualHosts, backends, policies, certificates: {}, sni: [] };
  if (spec.defaultBackend) table.defaultBackend = { backend: spec.defaultBackend, policy: 'default/ing', ingress: 'default/ing' };
  return table;
}
