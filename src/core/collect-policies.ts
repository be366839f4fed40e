// The traffic policy of each admitted Ingress, keyed by 'ns/name', parsed by core/annotations/
// (its diagnostics are passed through unchanged). Basic authentication, the backend protocol
// (proxy-ssl-secret) and external authentication are resolved here too (the first two read the
// Secrets): their refusals join the annotation refusals (the first by key wins).
// A canary Ingress gets no policy: its settings are reported as ignored (canary/canary-ingress-settings.ts).

import { ignoredCanarySettings } from './canary/canary-ingress-settings.ts';
import type { Diagnostic } from './diagnostics.ts';
import { parseIngressPolicy, type CustomHttpErrorsSetting } from './annotations/parse-ingress-policy.ts';
import { resolveBackendProtocol, type BackendProtocolOptions } from './annotations/resolve-backend-protocol.ts';
import { resolveBasicAuth, type BasicAuthOptions } from './annotations/resolve-basic-auth.ts';
import { combineHeaderEdits, resolveSnippets, type SnippetMode } from './snippets/resolve-snippets.ts';
import { resolveExternalAuth } from './annotations/resolve-external-auth.ts';
import { resolveClientCertificate, type ClientCertificateOptions } from './annotations/resolve-client-certificate.ts';
import type { Ingress, Secret } from './model.ts';
import { objectKey } from './model.ts';
import type { RoutePolicy } from './policy.ts';

export function collectPolicies(
  ingresses: readonly Ingress[],
  secrets: ReadonlyMap<string, Secret>,
  options: BasicAuthOptions & BackendProtocolOptions & Partial<ClientCertificateOptions> & { snippets?: SnippetMode },
  canaries: ReadonlySet<string> = new Set(),
): { policies: Map<string, RoutePolicy>; diagnostics: Diagnostic[]; customHttpErrors: Map<string, CustomHttpErrorsSetting> } {
  const policies = new Map<string, RoutePolicy>();
  /** custom-http-errors by Ingress key: joins the policy once its error backend is resolved (resolve-custom-errors.ts). */
  const customHttpErrors = new Map<string, CustomHttpErrorsSetting>();
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
    const snippets = resolveSnippets(ingress, options.snippets ?? 'subset');
    const edits = combineHeaderEdits(snippets.headerEdits, policy.headerEdits);
    if (edits !== undefined) policy.headerEdits = edits;
    if (snippets.fixedAnswer !== undefined) policy.fixedAnswer = snippets.fixedAnswer;
    if (snippets.refused !== undefined && (policy.refused === undefined || snippets.refused.annotation < policy.refused.annotation)) policy.refused = snippets.refused;
    const external = resolveExternalAuth(ingress);
    if (external.externalAuth !== undefined) policy.externalAuth = external.externalAuth;
    if (external.refused !== undefined && (policy.refused === undefined || external.refused.annotation < policy.refused.annotation)) policy.refused = external.refused;
    const backend = resolveBackendProtocol(ingress, secrets, options);
    if (backend.protocol !== undefined) policy.backendProtocol = backend.protocol;
    if (backend.tls !== undefined) policy.backendTls = backend.tls;
    if (backend.refused !== undefined && (policy.refused === undefined || backend.refused.annotation < policy.refused.annotation)) policy.refused = backend.refused;
    // mtls: client certificates, refused the same way.
    const tlsAuth = resolveClientCertificate(ingress, secrets, { allowCrossNamespaceSecrets: options.allowCrossNamespaceSecrets, inspectClientCa: options.inspectClientCa });
    if (tlsAuth.clientCertificate !== undefined) policy.clientCertificate = tlsAuth.clientCertificate;
    if (tlsAuth.refused !== undefined && (policy.refused === undefined || tlsAuth.refused.annotation < policy.refused.annotation)) policy.refused = tlsAuth.refused;
    policies.set(objectKey(ingress.metadata), policy);
    if (parsed.customHttpErrors !== undefined) customHttpErrors.set(objectKey(ingress.metadata), parsed.customHttpErrors);
    diagnostics.push(...parsed.diagnostics, ...auth.diagnostics, ...snippets.diagnostics, ...external.diagnostics, ...backend.diagnostics, ...tlsAuth.diagnostics);
  }
  return { policies, diagnostics, customHttpErrors };
}
