// The server names of one spec.tls entry: its hosts, validated and lower-cased; or, when it lists
// none, the hosts of the Ingress's own rules (as ingress-nginx does), since SNI needs names.

import type { Diagnostic } from './diagnostics.ts';
import { checkIngressHost } from './check-ingress-host.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { Ingress, IngressTLS } from './model.ts';
import { objectRef } from './object-ref.ts';
import { quoteValue } from './quote-value.ts';

export interface TlsHost {
  host: string;
  field: string;
}

/** `ruleHosts`: the distinct valid hosts of the Ingress rules ('*' is skipped: it has no name). */
export function collectTlsHosts(ingress: Ingress, index: number, entry: IngressTLS, ruleHosts: readonly string[]): { hosts: TlsHost[]; diagnostics: Diagnostic[] } {
  const field = `spec.tls[${index}]`;
  if (!entry.hosts || entry.hosts.length === 0) return defaultedHosts(ingress, field, ruleHosts);
  const hosts: TlsHost[] = [];
  const diagnostics: Diagnostic[] = [];
  entry.hosts.forEach((raw, j) => {
    const check = checkIngressHost(raw);
    const hostField = `${field}.hosts[${j}]`;
    if (check.ok) hosts.push({ host: check.host, field: hostField });
    else diagnostics.push(makeDiagnostic('HostInvalid', objectRef(ingress), hostField, `host ${quoteValue(raw)} is not valid: ${check.reason}`));
  });
  return { hosts, diagnostics };
}

function defaultedHosts(ingress: Ingress, field: string, ruleHosts: readonly string[]): { hosts: TlsHost[]; diagnostics: Diagnostic[] } {
  const named = ruleHosts.filter((host) => host !== '*');
  if (named.length === 0) {
    const message = 'this tls entry lists no hosts and the Ingress rules name none: it is not used (add spec.tls[].hosts)';
    return { hosts: [], diagnostics: [makeDiagnostic('TLSEntryUnused', objectRef(ingress), `${field}.hosts`, message)] };
  }
  const message = `this tls entry lists no hosts: it applies to the rule hosts ${named.join(', ')}`;
  return {
    hosts: named.map((host) => ({ host, field: `${field}.hosts` })),
    diagnostics: [makeDiagnostic('TLSHostsDefaulted', objectRef(ingress), `${field}.hosts`, message)],
  };
}
