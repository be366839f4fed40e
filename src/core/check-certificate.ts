// Warnings about a valid certificate as used by one tls entry: expired, not yet valid, or not
// naming a host it is served for. The certificate is still served (issue 3): these only report.

import type { Diagnostic, ObjectRef } from './diagnostics.ts';
import type { TlsHost } from './collect-tls-hosts.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import { certificateNameCovers } from './host-match.ts';
import { quoteValue } from './quote-value.ts';
import type { CertificateEntry } from './route-table.ts';

export interface CertificateUse {
  certificate: CertificateEntry;
  notBefore: string;
  hosts: readonly TlsHost[];
  owner: ObjectRef;
  /** The tls entry's secretName field. */
  field: string;
  now: string;
}

export function checkCertificate(use: CertificateUse): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const now = Date.parse(use.now);
  const id = use.certificate.id;
  const notAfter = use.certificate.notAfter ?? '';
  if (Date.parse(notAfter) < now) {
    diagnostics.push(makeDiagnostic('TLSCertificateExpired', use.owner, use.field, `the certificate of Secret ${id} expired at ${notAfter}`));
  }
  if (Date.parse(use.notBefore) > now) {
    diagnostics.push(makeDiagnostic('TLSCertificateNotYetValid', use.owner, use.field, `the certificate of Secret ${id} is not valid before ${use.notBefore}`));
  }
  for (const { host, field } of use.hosts) {
    if (use.certificate.dnsNames.some((name) => certificateNameCovers(name, host))) continue;
    const names = quoteValue(use.certificate.dnsNames.join(', '));
    diagnostics.push(makeDiagnostic('TLSCertificateNameMismatch', use.owner, field, `the certificate of Secret ${id} does not cover ${host} (its names: ${names})`));
  }
  return diagnostics;
}
