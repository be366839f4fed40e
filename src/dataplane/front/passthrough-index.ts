// The table's SSL passthrough hosts compiled for the front door: exact names, then one-label
// wildcards ('*.example.com' covers 'a.example.com', not 'a.b.example.com', as for certificates).
import type { RouteTable } from '../../core/route-table.ts';

export interface PassthroughTarget {
  host: string;
  ingress: string;
  backend: string;
  /** Set: connections for this name are closed (the diagnostic code says why). */
  refused?: string;
  /** Ready endpoints of the backend, in table order. */
  endpoints: { address: string; port: number }[];
}

export interface PassthroughIndex {
  exact: Map<string, PassthroughTarget>;
  wildcard: Map<string, PassthroughTarget>;
}

export function compilePassthroughIndex(table: RouteTable): PassthroughIndex {
  const index: PassthroughIndex = { exact: new Map(), wildcard: new Map() };
  for (const entry of table.passthrough ?? []) {
    const backend = table.backends[entry.backend];
    const endpoints = (backend?.endpoints ?? []).filter((e) => e.ready).map((e) => ({ address: e.address, port: e.port }));
    const target: PassthroughTarget = { host: entry.host, ingress: entry.ingress, backend: entry.backend, endpoints };
    if (entry.refused !== undefined) target.refused = entry.refused;
    if (entry.host.startsWith('*.')) index.wildcard.set(entry.host.slice(2), target);
    else index.exact.set(entry.host, target);
  }
  return index;
}

/** `serverName` lower-case, as the ClientHello parser gives it. */
export function lookupPassthrough(index: PassthroughIndex, serverName: string): PassthroughTarget | undefined {
  const exact = index.exact.get(serverName);
  if (exact !== undefined) return exact;
  const dot = serverName.indexOf('.');
  return dot > 0 ? index.wildcard.get(serverName.slice(dot + 1)) : undefined;
}
