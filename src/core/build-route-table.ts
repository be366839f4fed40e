// The pure core: a snapshot of the cluster in, a route table, diagnostics and status intents
// out. No I/O, no clock, no logger: same input, same bytes out. Each step is its own processor
// (one file, one job); this function only wires them in order.

import { parseCanary } from './annotations/parse-canary.ts';
import { withoutDefaultBackend } from './canary/canary-ingress-settings.ts';
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
import { regexHosts } from './regex-hosts.ts';
import { objectKey } from './model.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { reportLegacyIngress } from './report-legacy-ingress.ts';
import { resolveAnnotationDefaultBackend } from './resolve-annotation-default-backend.ts';
import { resolveCustomErrors, type CustomErrorsIngress } from './resolve-custom-errors.ts';
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
  const errorPages: CustomErrorsIngress[] = [];
  // Canary Ingresses first: they get no policy of their own (canary/canary-ingress-settings.ts).
  const canaryOf = selection.admitted.map((ingress) => parseCanary(ingress));
  const canaries = new Set<string>();
  selection.admitted.forEach((ingress, i) => {
    if (canaryOf[i]!.canary) canaries.add(objectKey(ingress.metadata));
  });
  // Policies next: whether an Ingress asks for regex paths decides how its hosts' paths are read.
  const { policies, diagnostics: policyDiagnostics, customHttpErrors } = collectPolicies(
    selection.admitted,
    snapshot.secrets,
    {
      allowCrossNamespaceSecrets: options.allowCrossNamespaceSecrets === true,
      snippets: options.snippets ?? 'subset',
      inspectCertificate: options.inspectCertificate,
      inspectClientCa: options.inspectClientCa,
    },
    canaries,
  );
  const hostsOf = selection.admitted.map((ingress) => ({ ingress, hosts: collectRuleHosts(ingress) }));
  const regex = regexHosts(hostsOf, policies);
  selection.admitted.forEach((ingress, rank) => {
    const legacy = reportLegacyIngress(ingress);
    if (legacy) diagnostics.push(legacy);
    const ruleHosts = hostsOf[rank]!.hosts;
    // A canary Ingress (canary/): its paths split the main routes; its other settings are ignored.
    const canary = canaryOf[rank]!;
    diagnostics.push(...canary.diagnostics);
    const fallback = canary.canary ? { diagnostics: [] } : resolveAnnotationDefaultBackend(ingress, context);
    const routes = collectRoutes(ingress, rank, ruleHosts, context, fallback.backend, regex);
    if (canary.canary) for (const c of routes.candidates) c.canary = { rules: canary.rules };
    diagnostics.push(...ruleHosts.diagnostics, ...fallback.diagnostics, ...routes.diagnostics);
    candidates.push(...routes.candidates);
    for (const [id, backend] of routes.backends) backends.set(id, backend);
    const own = canary.canary ? withoutDefaultBackend(ingress) : ingress;
    withHosts.push({ ingress: own, hosts: distinctHosts(ruleHosts), ...(fallback.backend ? { fallback: fallback.backend } : {}) });
    if (customHttpErrors.has(objectKey(ingress.metadata))) errorPages.push({ ingress, ...(fallback.backend ? { fallback: fallback.backend } : {}) });
  });
  // custom-http-errors: each Ingress's error backend (the default-backend annotation's, else the flag's).
  const customErrors = resolveCustomErrors(errorPages, customHttpErrors, policies, options.defaultBackend, context);
  for (const [id, backend] of customErrors.backends) backends.set(id, backend);
  const merged = mergeRoutes(candidates);
  const defaults = resolveDefaultBackends(withHosts, options.defaultBackend, context);
  const tls = resolveTls(withHosts, snapshot.secrets, options);
  if (defaults.catchAll?.policy === CONTROLLER_DEFAULT_POLICY) policies.set(CONTROLLER_DEFAULT_POLICY, { ...DEFAULT_POLICY });
  for (const [id, backend] of defaults.backends) backends.set(id, backend);
  diagnostics.push(...merged.diagnostics, ...defaults.diagnostics, ...tls.diagnostics, ...policyDiagnostics, ...customErrors.diagnostics);
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
