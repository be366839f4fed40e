// The virtual-host pattern of each rule of an Ingress: its validated, lower-cased host, or '*'
// for a rule without host. A rule whose host is invalid is reported and skipped whole.

import type { Diagnostic } from './diagnostics.ts';
import { checkIngressHost } from './check-ingress-host.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { Ingress } from './model.ts';
import { objectRef } from './object-ref.ts';
import { quoteValue } from './quote-value.ts';

export interface RuleHosts {
  /** Index-aligned with spec.rules; undefined where the rule's host is invalid. */
  byRule: (string | undefined)[];
  diagnostics: Diagnostic[];
}

export function collectRuleHosts(ingress: Ingress): RuleHosts {
  const diagnostics: Diagnostic[] = [];
  const byRule = (ingress.spec.rules ?? []).map((rule, i) => {
    if (rule.host === undefined || rule.host === '') return '*';
    const check = checkIngressHost(rule.host);
    if (check.ok) return check.host;
    diagnostics.push(makeDiagnostic('HostInvalid', objectRef(ingress), `spec.rules[${i}].host`, `host ${quoteValue(rule.host)} is not valid: ${check.reason}`));
    return undefined;
  });
  return { byRule, diagnostics };
}

/** The distinct valid hosts of an Ingress's rules, sorted. */
export function distinctHosts(hosts: RuleHosts): string[] {
  const set = new Set<string>();
  for (const host of hosts.byRule) if (host !== undefined) set.add(host);
  return [...set].sort();
}
