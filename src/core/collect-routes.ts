// Every valid path of every admitted Ingress as a route candidate, with its backend resolved.
// Invalid paths and backends are reported and skipped alone; the rest of the Ingress still serves.

import type { Diagnostic, ObjectRef } from './diagnostics.ts';
import type { RuleHosts } from './collect-rule-hosts.ts';
import type { Ingress } from './model.ts';
import { objectKey } from './model.ts';
import { objectRef } from './object-ref.ts';
import { resolveIngressBackend, type BackendContext } from './resolve-backend.ts';
import { resolvePath } from './resolve-path.ts';
import type { Backend, Route } from './route-table.ts';

export interface RouteCandidate {
  host: string;
  route: Route;
  /** Position of the Ingress in age order (0 = oldest): lower wins conflicts. */
  rank: number;
  /** Where the path was written, for diagnostics. */
  owner: ObjectRef;
  field: string;
}

export interface CollectedRoutes {
  candidates: RouteCandidate[];
  backends: Map<string, Backend>;
  diagnostics: Diagnostic[];
}

export function collectRoutes(ingress: Ingress, rank: number, hosts: RuleHosts, context: BackendContext): CollectedRoutes {
  const result: CollectedRoutes = { candidates: [], backends: new Map(), diagnostics: [] };
  const key = objectKey(ingress.metadata);
  (ingress.spec.rules ?? []).forEach((rule, i) => {
    const host = hosts.byRule[i];
    if (host === undefined) return;
    (rule.http?.paths ?? []).forEach((entry, j) => {
      const field = `spec.rules[${i}].http.paths[${j}]`;
      const path = resolvePath(entry, ingress, field);
      if (!path.ok) {
        result.diagnostics.push(path.diagnostic);
        return;
      }
      const resolved = resolveIngressBackend(entry.backend, ingress.metadata.namespace, objectRef(ingress), `${field}.backend`, context);
      result.diagnostics.push(...resolved.diagnostics);
      if (!resolved.backend) return;
      result.backends.set(resolved.backend.id, resolved.backend);
      const route: Route = {
        id: `${key}#r${i}.p${j}`,
        ingress: key,
        path: path.path,
        match: path.match,
        pathType: path.pathType,
        backend: resolved.backend.id,
        policy: key,
      };
      result.candidates.push({ host, route, rank, owner: objectRef(ingress), field });
    });
  });
  return result;
}
