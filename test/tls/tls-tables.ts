// Hand-built RouteTables with certificates, for driving the TLS pieces without the builder.

import { emptyRouteTable } from '../../src/core/route-table.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import { inspectCertificate } from '../../src/dataplane/tls/inspect-certificate.ts';

export interface TableCertificate {
  id: string; // 'ns/secret'
  certPem: string;
  keyPem: string;
  /** SNI names this certificate serves. */
  hosts: string[];
}

export function tlsTable(certs: TableCertificate[], base: RouteTable = emptyRouteTable()): RouteTable {
  const table: RouteTable = { ...base, certificates: { ...base.certificates }, sni: [...base.sni] };
  for (const c of certs) {
    const inspection = inspectCertificate(c.certPem, c.keyPem);
    if (!inspection.ok) throw new Error(`test certificate ${c.id} is invalid: ${inspection.reason}`);
    table.certificates[c.id] = {
      id: c.id,
      certPem: c.certPem,
      keyPem: c.keyPem,
      fingerprint: inspection.fingerprint,
      keyType: inspection.keyType,
      notAfter: inspection.notAfter,
      dnsNames: inspection.dnsNames,
    };
    for (const host of c.hosts) table.sni.push({ host, certificate: c.id, ingress: `${c.id.split('/')[0]}/ing` });
  }
  table.sni.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return table;
}
