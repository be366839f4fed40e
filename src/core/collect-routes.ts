// Every path of every admitted Ingress as a route candidate, with its backend resolved.
// Never weaker, never elsewhere (docs/routing.md): a path whose backend cannot be resolved keeps
// its place as a route refused with the diagnostic's code (the data plane answers 503), unless the
// Ingress's `default-backend` annotation names a Service to answer instead; an invalid path becomes
// a refused stand-in over its literal text taken as a prefix, so its requests never reach another
// route. Stand-ins never displace nor contest a real route (merge-routes.ts).

import type { CanaryRules } from './canary/canary-split.ts';
import type { Diagnostic, ObjectRef } from './diagnostics.ts';
import type { RuleHosts } from './collect-rule-hosts.ts';
import type { HTTPIngressPath, Ingress } from './model.ts';
import { objectKey } from './model.ts';
import { objectRef } from './object-ref.ts';
import { checkIngressPath } from './path-grammar.ts';
import { checkRegexPath } from './regex-path.ts';
import { resolveIngressBackend, writtenBackendId, type BackendContext } from './resolve-backend.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { RegexHosts } from './regex-hosts.ts';
import { resolvePath, resolveRegexPath } from './resolve-path.ts';
import type { Backend, Route } from './route-table.ts';

export interface RouteCandidate {
  host: string;
  route: Route;
  /** Position of the Ingress in age order (0 = oldest): lower wins conflicts. */
  rank: number;
  /** Where the path was written, for diagnostics. */
  owner: ObjectRef;
  field: string;
  /** A refused stand-in for an invalid path: it loses, silently, to any real route with its key. */
  standIn?: boolean;
  /** On a regex host, the text that places a stand-in where its pattern would be (merge-routes.ts). */
  orderPath?: string;
  /** A path of a canary Ingress: it never routes on its own, it splits the main route (canary/attach-canaries.ts). */
  canary?: { rules: CanaryRules | undefined };
}

export interface CollectedRoutes {
  candidates: RouteCandidate[];
  backends: Map<string, Backend>;
  diagnostics: Diagnostic[];
}

/**
 * `fallback`: the backend of the `default-backend` annotation, when it resolved. `regexHosts`: the
 * hosts whose paths are all regexes (regex-hosts.ts); on them every path is resolved as a regex.
 */
export function collectRoutes(ingress: Ingress, rank: number, hosts: RuleHosts, context: BackendContext, fallback?: Backend, regexHosts?: RegexHosts): CollectedRoutes {
  const result: CollectedRoutes = { candidates: [], backends: new Map(), diagnostics: [] };
  const key = objectKey(ingress.metadata);
  const owner = objectRef(ingress);
  const warned = new Set<string>();
  (ingress.spec.rules ?? []).forEach((rule, i) => {
    const host = hosts.byRule[i];
    if (host === undefined) return;
    const askedBy = regexHosts?.get(host);
    if (askedBy !== undefined && !askedBy.includes(key) && !warned.has(host) && (rule.http?.paths ?? []).length > 0) {
      warned.add(host);
      result.diagnostics.push(makeDiagnostic('PathMatchedAsRegex', owner, `spec.rules[${i}].host`,
        `host ${host} has regex paths (${askedBy.join(', ')} set${askedBy.length === 1 ? 's' : ''} use-regex or rewrite-target), so, as in ingress-nginx, every path of this Ingress on it is matched as a case-insensitive regex anchored at the start only (Exact and Prefix included), longest pattern first`));
    }
    (rule.http?.paths ?? []).forEach((entry, j) => {
      const field = `spec.rules[${i}].http.paths[${j}]`;
      const id = `${key}#r${i}.p${j}`;
      const path = askedBy !== undefined ? resolveRegexPath(entry, ingress, field) : resolvePath(entry, ingress, field);
      if (!path.ok) {
        result.diagnostics.push(path.diagnostic);
        const match = askedBy !== undefined ? 'Regex' : 'Prefix';
        const route: Route = { id, ingress: key, path: askedBy !== undefined ? regexStandInPath(entry) : standInPath(entry), match, pathType: 'Prefix', backend: writtenBackendId(entry.backend, ingress.metadata.namespace), policy: key, refused: path.diagnostic.code };
        const candidate: RouteCandidate = { host, route, rank, owner, field, standIn: true };
        if (askedBy !== undefined && entry.path !== undefined && entry.path !== '') candidate.orderPath = entry.path;
        result.candidates.push(candidate);
        return;
      }
      const resolved = resolveIngressBackend(entry.backend, ingress.metadata.namespace, owner, `${field}.backend`, context);
      result.diagnostics.push(...resolved.diagnostics);
      const route: Route = { id, ingress: key, path: path.path, match: path.match, pathType: path.pathType, backend: '', policy: key };
      const usable = resolved.backend !== undefined && resolved.backend.endpoints.some((e) => e.ready);
      if (resolved.backend && (usable || fallback === undefined)) {
        route.backend = resolved.backend.id;
        result.backends.set(resolved.backend.id, resolved.backend);
      } else if (fallback !== undefined) {
        // ingress-nginx: the annotation's Service answers when the path's own has no active endpoint.
        route.backend = fallback.id;
        const written = entry.backend.service;
        route.standsInFor = { service: written?.name ?? '', port: written?.port?.number ?? written?.port?.name ?? '' };
        result.backends.set(fallback.id, fallback);
      } else {
        route.backend = writtenBackendId(entry.backend, ingress.metadata.namespace);
        route.refused = resolved.diagnostics.find((d) => d.severity === 'error')?.code ?? 'BackendMissing';
      }
      result.candidates.push({ host, route, rank, owner, field });
    });
  });
  return result;
}

/**
 * A stand-in on a regex host is matched as a regex too: its literal prefix, cut by whole elements
 * until the engine takes it (a literal longer than the regex cap would otherwise match nothing).
 * A shorter prefix covers more requests, never fewer.
 */
function regexStandInPath(entry: HTTPIngressPath): string {
  let path = standInPath(entry);
  while (path !== '/' && !checkRegexPath(path).ok) path = path.slice(0, path.lastIndexOf('/')) || '/';
  return path;
}

/**
 * The prefix an invalid path's stand-in covers: its literal text (made absolute), cut before the
 * first element the path grammar refuses — '/api/v1/.*' covers '/api/v1', '/(.*)' covers '/'.
 * Every request under the literal text is under this prefix, so none reaches another route.
 */
export function standInPath(entry: HTTPIngressPath): string {
  const text = entry.path ?? '';
  let prefix = '';
  for (const element of text.split('/')) {
    if (element === '') continue;
    const next = `${prefix}/${element}`;
    if (checkIngressPath(next, 'Prefix') !== undefined) break;
    prefix = next;
  }
  return prefix === '' ? '/' : prefix;
}
