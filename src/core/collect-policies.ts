// The traffic policy of each admitted Ingress, keyed by 'ns/name', parsed by core/annotations/
// (its diagnostics are passed through unchanged).

import type { Diagnostic } from './diagnostics.ts';
import { parseIngressPolicy } from './annotations/parse-ingress-policy.ts';
import type { Ingress } from './model.ts';
import { objectKey } from './model.ts';
import type { RoutePolicy } from './policy.ts';

export function collectPolicies(ingresses: readonly Ingress[]): { policies: Map<string, RoutePolicy>; diagnostics: Diagnostic[] } {
  const policies = new Map<string, RoutePolicy>();
  const diagnostics: Diagnostic[] = [];
  for (const ingress of ingresses) {
    const parsed = parseIngressPolicy(ingress);
    policies.set(objectKey(ingress.metadata), parsed.policy);
    diagnostics.push(...parsed.diagnostics);
  }
  return { policies, diagnostics };
}
