// The traffic policy of each admitted Ingress, keyed by 'ns/name', parsed by core/annotations/
// (its diagnostics are passed through unchanged). Basic authentication is resolved here too,
// because it reads the Secrets: its refusal joins the annotation refusals (the first by key wins).
// A canary Ingress gets no policy: its settings are reported as ignored (canary/canary-ingress-settings.ts).

import { ignoredCanarySettings } from './canary/canary-ingress-settings.ts';
import type { Diagnostic } from './diagnostics.ts';
import { parseIngressPolicy } from './annotations/parse-ingress-policy.ts';
import { resolveBasicAuth, type BasicAuthOptions } from './annotations/resolve-basic-auth.ts';
import type { Ingress, Secret } from './model.ts';
import { objectKey } from './model.ts';
import type { RoutePolicy } from './policy.ts';

export function collectPolicies(
  ingresses: readonly Ingress[],
  secrets: ReadonlyMap<string, Secret>,
  options: BasicAuthOptions,
  canaries: ReadonlySet<string> = new Set(),
): { policies: Map<string, RoutePolicy>; diagnostics: Diagnostic[] } {
  const policies = new Map<string, RoutePolicy>();
  const diagnostics: Diagnostic[] = [];
  for (const ingress of ingresses) {
    // A canary has no policy of its own: its requests get the main Ingress's (canary/).
    if (canaries.has(objectKey(ingress.metadata))) {
      diagnostics.push(...ignoredCanarySettings(ingress));
      continue;
    }
    const parsed = parseIngressPolicy(ingress);
    const auth = resolveBasicAuth(ingress, secrets, options);
    const policy = parsed.policy;
    if (auth.basicAuth !== undefined) policy.basicAuth = auth.basicAuth;
    if (auth.refused !== undefined && (policy.refused === undefined || auth.refused.annotation < policy.refused.annotation)) policy.refused = auth.refused;
    policies.set(objectKey(ingress.metadata), policy);
    diagnostics.push(...parsed.diagnostics, ...auth.diagnostics);
  }
  return { policies, diagnostics };
}
