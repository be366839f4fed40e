// The pure core: a snapshot of the cluster in, a route table, diagnostics and status intents
// out. No I/O, no clock, no logger: same input, same bytes out. Each step is its own processor
// (one file, one job); this function only wires them in order.

import type { Diagnostic } from './diagnostics.ts';
import { addWwwRedirects } from './www-redirects.ts';
import { assembleTable } from './assemble-table.ts';
import { collectPassthrough } from './collect-passthrough.ts';
import { collectPolicies } from './collect-policies.ts';
import { collectRoutes, type RouteCandidate } from './collect-routes.ts';
import { collectRuleHosts, distinctHosts } from './collect-rule-hosts.ts';
import { finishDiagnostics } from './finish-diagnostics.ts';
import { indexEndpointSlices } from './index-endpoint-slices.ts';
import { mergeRoutes } from './merge-routes.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { reportLegacyIngress } from './report-legacy-ingress.ts';
import { resolveAnnotationDefaultBackend } from './resolve-annotation-default-backend.ts';
import type { BackendContext } from './resolve-backend.ts';
import { CONTROLLER_DEFAULT_POLICY, resolveDefaultBackends, type IngressWithHosts } from './resolve-default-backends.ts';
import { resolveTls } from './resolve-tls.ts';
import type { Backend, BuildResult } from './route-table.ts';
import { selectIngresses } from './select-ingresses.ts';
import type { BuildOptions, Snapshot } from './snapshot.ts';

export function buildRouteTable(snapshot: Snapshot, options: BuildOptions): BuildResult {
  const selection = selectIngresses(snapshot, options);
  const diagnostics: Diagnostic[] = [...selection.diagnostics];
  const context: BackendContext = {
    services: snapshot.services,
    slicesByService: indexEndpointSlices(snapshot.endpointSlices.values()),
    resolved: new Map(),
  };
  const backends = new Map<string, Backend>();
  const candidates: RouteCandidate[] = [];
  const withHosts: IngressWithHosts[] = [];
  selection.admitted.forEach((ingress, rank) => {
    const legacy = reportLegacyIngress(ingress);
    if (legacy) diagnostics.push(legacy);
    const ruleHosts = collectRuleHosts(ingress);
    const fallback = resolveAnnotationDefaultBackend(ingress, context);
    const routes = collectRoutes(ingress, rank, ruleHosts, context, fallback.backend);
    diagnostics.push(...ruleHosts.diagnostics, ...fallback.diagnostics, ...routes.diagnostics);
    candidates.push(...routes.candidates);
    for (const [id, backend] of routes.backends) backends.set(id, backend);
    withHosts.push({ ingress, hosts: distinctHosts(ruleHosts), ...(fallback.backend ? { fallback: fallback.backend } : {}) });
  });
  const merged = mergeRoutes(candidates);
  const defaults = resolveDefaultBackends(withHosts, options.defaultBackend, context);
  const tls = resolveTls(withHosts, snapshot.secrets, options);
  const { policies, diagnostics: policyDiagnostics } = collectPolicies(selection.admitted, snapshot.secrets, {
    allowCrossNamespaceSecrets: options.allowCrossNamespaceSecrets === true,
    inspectClientCa: options.inspectClientCa, // mtls
  });
  if (defaults.catchAll?.policy === CONTROLLER_DEFAULT_POLICY) policies.set(CONTROLLER_DEFAULT_POLICY, { ...DEFAULT_POLICY });
  for (const [id, backend] of defaults.backends) backends.set(id, backend);
  diagnostics.push(...merged.diagnostics, ...defaults.diagnostics, ...tls.diagnostics, ...policyDiagnostics);
  const table = assembleTable({
    routesByHost: merged.byHost,
    defaultsByHost: defaults.byHost,
    catchAll: defaults.catchAll,
    backends,
    policies,
    certificates: tls.certificates,
    sni: tls.sni,
    tlsClaims: tls.claims,
  });
  // tlsedge: ssl-passthrough hosts into the table (and refusals into its policies).
  diagnostics.push(...collectPassthrough(selection.admitted, table, options.enableSslPassthrough === true).diagnostics);
  const www = addWwwRedirects(table);
  diagnostics.push(...www.diagnostics);
  return { table: www.table, diagnostics: finishDiagnostics(diagnostics), status: selection.status };
}
