// The routing contract of docs/routing.md as a plain function: which route or default backend a
// request goes to. A reference, not the hot path (the data plane compiles the table into hash
// maps); tests of the data plane can compare themselves against it. A refused route or default
// backend is found like any other (it answers 503 there): `refused` says so.

import { chooseCanary, type CanaryChoice, type CanaryRequest } from './canary/choose-canary.ts';
import { hostLookupOrder, normaliseHost } from './host-match.ts';
import { findMatchingRoute } from './path-match.ts';
import type { Route, RouteTable, VirtualHost } from './route-table.ts';

export type RequestTarget =
  /** `canary`: the route has a canary and `request` was given: which side serves it (canary/choose-canary.ts). */
  | { kind: 'route'; virtualHost: VirtualHost; route: Route; canary?: CanaryChoice }
  | { kind: 'default'; virtualHost?: VirtualHost; backend: string; policy: string; ingress?: string; refused?: string }
  | { kind: 'none'; virtualHost?: VirtualHost }; // 404

/**
 * `path` is the canonical request path, without the query string. With `request`, a route that a
 * canary splits also says which side serves it (the canary side keeps the route's policy and uses
 * `route.canary.backend`).
 */
export function resolveRequest(table: RouteTable, hostHeader: string, path: string, request?: CanaryRequest): RequestTarget {
  const host = normaliseHost(hostHeader);
  const virtualHost = hostLookupOrder(host)
    .map((pattern) => table.virtualHosts.find((v) => v.host === pattern))
    .find((v) => v !== undefined);
  if (virtualHost) {
    const route = findMatchingRoute(virtualHost.routes, path);
    if (route) {
      if (route.canary === undefined || request === undefined) return { kind: 'route', virtualHost, route };
      return { kind: 'route', virtualHost, route, canary: chooseCanary(route.canary, request) };
    }
  }
  const fallback = virtualHost?.defaultBackend ?? table.defaultBackend;
  if (!fallback) return virtualHost ? { kind: 'none', virtualHost } : { kind: 'none' };
  const target: RequestTarget = { kind: 'default', backend: fallback.backend, policy: fallback.policy };
  if (fallback.ingress !== undefined) target.ingress = fallback.ingress;
  if (fallback.refused !== undefined) target.refused = fallback.refused;
  if (virtualHost) target.virtualHost = virtualHost;
  return target;
}
