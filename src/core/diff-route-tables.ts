// What changed between two route tables, in the words a person reads a change in: routes by what
// they match (host, pathType, path), not by their positional ids (inserting a path renumbers the
// ids of the ones after it, which is not a change). For the build history of the dashboard.

import { describeCanary } from './canary/choose-canary.ts';
import { compareStrings } from './compare-strings.ts';
import type { RouteTable } from './route-table.ts';

export interface RouteTableDiff {
  /** 'host Match path → backend', sorted. A host default backend is 'host default → backend'. */
  added: string[];
  removed: string[];
  /** Same match, another backend, policy or Ingress: 'host Match path: old → new'. */
  changed: string[];
  /** Backends whose endpoint set changed ('ns/svc:port'), sorted. */
  endpointsChanged: string[];
}

interface Entry {
  label: string;
  target: string;
  policyId: string;
  /** The policy's content: an annotation edit changes a route without changing its target. */
  policy: string;
}

export function diffRouteTables(previous: RouteTable | undefined, next: RouteTable): RouteTableDiff {
  const before = entries(previous);
  const after = entries(next);
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [key, e] of after) {
    const old = before.get(key);
    if (old === undefined) added.push(`${e.label} → ${e.target}`);
    else if (old.target !== e.target) changed.push(`${e.label}: ${old.target} → ${e.target}`);
    else if (old.policy !== e.policy) changed.push(`${e.label}: policy of ${e.policyId} changed`);
  }
  for (const [key, e] of before) if (!after.has(key)) removed.push(`${e.label} → ${e.target}`);
  const endpointsChanged: string[] = [];
  if (previous !== undefined) {
    for (const [id, b] of Object.entries(next.backends)) {
      const old = previous.backends[id];
      if (old !== undefined && JSON.stringify(old.endpoints) !== JSON.stringify(b.endpoints)) endpointsChanged.push(id);
    }
  }
  return { added: added.sort(compareStrings), removed: removed.sort(compareStrings), changed: changed.sort(compareStrings), endpointsChanged: endpointsChanged.sort(compareStrings) };
}

function entries(table: RouteTable | undefined): Map<string, Entry> {
  const map = new Map<string, Entry>();
  if (table === undefined) return map;
  for (const vh of table.virtualHosts) {
    for (const r of vh.routes) {
      const label = `${vh.host} ${r.pathType} ${r.path}`;
      const e = entry(table, label, r.backend, r.policy, r.ingress);
      // A canary's split is part of where the route sends traffic: a weight step shows as a change.
      if (r.canary !== undefined) e.target += ` + canary ${r.canary.backend} (${r.canary.ingress}: ${describeCanary(r.canary)})`;
      map.set(`${vh.host}\u0000${r.match}\u0000${r.path}`, e);
    }
    const d = vh.defaultBackend;
    if (d !== undefined) map.set(`${vh.host}\u0000default`, entry(table, `${vh.host} default`, d.backend, d.policy, d.ingress));
  }
  const d = table.defaultBackend;
  if (d !== undefined) map.set('\u0000catch-all', entry(table, 'catch-all default', d.backend, d.policy, d.ingress));
  return map;
}

function entry(table: RouteTable, label: string, backend: string, policyId: string, ingress: string | undefined): Entry {
  return { label, target: targetOf(backend, policyId, ingress), policyId, policy: JSON.stringify(table.policies[policyId] ?? null) };
}

function targetOf(backend: string, policy: string, ingress: string | undefined): string {
  // The policy key is the Ingress (or '--default-backend'); a policy content change is a change too.
  return ingress === undefined || ingress === policy ? `${backend} (${policy})` : `${backend} (${ingress}, policy ${policy})`;
}
