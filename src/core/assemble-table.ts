// The last step: put the processed parts together as a RouteTable whose every list and record
// is in a fixed order, so the same snapshot always serialises to the same bytes. Only backends
// that a route, a default backend or an error page (custom-http-errors) uses are kept.

import { compareStrings } from './compare-strings.ts';
import type { RoutePolicy } from './policy.ts';
import type { DefaultBackendRef } from './resolve-default-backends.ts';
import type { TlsClaim } from './resolve-tls.ts';
import type { Backend, CertificateEntry, Route, RouteTable, VirtualHost } from './route-table.ts';
import { virtualHostTls } from './virtual-host-tls.ts';

export interface TableParts {
  routesByHost: ReadonlyMap<string, Route[]>;
  defaultsByHost: ReadonlyMap<string, DefaultBackendRef>;
  catchAll?: RouteTable['defaultBackend'];
  backends: ReadonlyMap<string, Backend>;
  policies: ReadonlyMap<string, RoutePolicy>;
  certificates: ReadonlyMap<string, CertificateEntry>;
  sni: RouteTable['sni'];
  tlsClaims: readonly TlsClaim[];
}

export function assembleTable(parts: TableParts): RouteTable {
  const virtualHosts = assembleVirtualHosts(parts);
  const table: RouteTable = {
    virtualHosts,
    backends: sortedRecord(pick(parts.backends, usedBackends(virtualHosts, parts.catchAll, parts.policies))),
    policies: sortedRecord(parts.policies),
    certificates: sortedRecord(parts.certificates),
    sni: parts.sni,
  };
  if (parts.catchAll) table.defaultBackend = parts.catchAll;
  return table;
}

function assembleVirtualHosts(parts: TableParts): VirtualHost[] {
  const hosts = new Set([...parts.routesByHost.keys(), ...parts.defaultsByHost.keys()]);
  const sniByHost = new Map(parts.sni.map((entry) => [entry.host, entry]));
  return [...hosts].sort(compareStrings).map((host) => {
    const vhost: VirtualHost = { host, routes: parts.routesByHost.get(host) ?? [] };
    const defaultBackend = parts.defaultsByHost.get(host);
    if (defaultBackend) vhost.defaultBackend = defaultBackend;
    const tls = virtualHostTls(host, sniByHost, parts.tlsClaims);
    if (tls) vhost.tls = tls;
    return vhost;
  });
}

function usedBackends(virtualHosts: readonly VirtualHost[], catchAll: RouteTable['defaultBackend'], policies: ReadonlyMap<string, RoutePolicy>): Set<string> {
  const used = new Set<string>();
  for (const vhost of virtualHosts) {
    for (const route of vhost.routes) {
      used.add(route.backend);
      if (route.canary !== undefined) used.add(route.canary.backend);
    }
    if (vhost.defaultBackend) used.add(vhost.defaultBackend.backend);
  }
  if (catchAll) used.add(catchAll.backend);
  for (const policy of policies.values()) if (policy.customErrors !== undefined) used.add(policy.customErrors.backend);
  return used;
}

function pick<T>(map: ReadonlyMap<string, T>, keys: ReadonlySet<string>): Map<string, T> {
  return new Map([...map].filter(([key]) => keys.has(key)));
}

function sortedRecord<T>(map: ReadonlyMap<string, T>): Record<string, T> {
  const record: Record<string, T> = {};
  for (const key of [...map.keys()].sort(compareStrings)) record[key] = map.get(key) as T;
  return record;
}
