// The traffic policy of each admitted Ingress, keyed by 'ns/name', parsed by core/annotations/
// (its diagnostics are passed through unchanged). Basic authentication is resolved here too,
// because it reads the Secrets: its refusal joins the annotation refusals (the first by key wins).

import type { Diagnostic } from './diagnostics.ts';
import { parseIngressPolicy } from './annotations/parse-ingress-policy.ts';
import { resolveBasicAuth, type BasicAuthOptions } from './annotations/resolve-basic-auth.ts';
import { resolveClientCertificate, type ClientCertificateOptions } from './annotations/resolve-client-certificate.ts';
import type { Ingress, Secret } from './model.ts';
import { objectKey } from './model.ts';
import type { RoutePolicy } from './policy.ts';

export function collectPolicies(
  ingresses: readonly Ingress[],
  secrets: ReadonlyMap<string, Secret>,
  options: BasicAuthOptions & Partial<ClientCertificateOptions>,
): { policies: Map<string, RoutePolicy>; diagnostics: Diagnostic[] } {
  const policies = new Map<string, RoutePolicy>();
  const diagnostics: Diagnostic[] = [];
  for (const ingress of ingresses) {
    const parsed = parseIngressPolicy(ingress);
    const auth = resolveBasicAuth(ingress, secrets, options);
    const policy = parsed.policy;
    if (auth.basicAuth !== undefined) policy.basicAuth = auth.basicAuth;
    if (auth.refused !== undefined && (policy.refused === undefined || auth.refused.annotation < policy.refused.annotation)) policy.refused = auth.refused;
    // mtls: client certificates, refused the same way.
    const tlsAuth = resolveClientCertificate(ingress, secrets, { allowCrossNamespaceSecrets: options.allowCrossNamespaceSecrets, inspectClientCa: options.inspectClientCa });
    if (tlsAuth.clientCertificate !== undefined) policy.clientCertificate = tlsAuth.clientCertificate;
    if (tlsAuth.refused !== undefined && (policy.refused === undefined || tlsAuth.refused.annotation < policy.refused.annotation)) policy.refused = tlsAuth.refused;
    policies.set(objectKey(ingress.metadata), policy);
    diagnostics.push(...parsed.diagnostics, ...auth.diagnostics, ...tlsAuth.diagnostics);
  }
  return { policies, diagnostics };
}
