// Which certificate a virtual host is served with, consistent with the data plane's SNI lookup
// (exact name, then the one-label wildcard). A host claimed only by broken or secretless tls
// entries still counts as TLS-configured, without a certificate: it gets the default certificate
// and is not redirected to HTTPS (docs/routing.md).

import { hostMatchesPattern } from './host-match.ts';
import type { TlsClaim } from './resolve-tls.ts';
import type { RouteTable, VirtualHost } from './route-table.ts';

export function virtualHostTls(host: string, sni: ReadonlyMap<string, RouteTable['sni'][number]>, claims: readonly TlsClaim[]): VirtualHost['tls'] {
  if (host === '*') return undefined;
  for (const name of sniNames(host)) {
    const entry = sni.get(name);
    if (entry) return { certificate: entry.certificate, ingress: entry.ingress };
  }
  const claim = claims.find((c) => c.host === host || (c.host.startsWith('*.') && !host.startsWith('*') && hostMatchesPattern(host, c.host)));
  return claim ? { ingress: claim.ingress } : undefined;
}

function sniNames(host: string): string[] {
  const dot = host.indexOf('.');
  return host.startsWith('*') || dot <= 0 ? [host] : [host, `*.${host.slice(dot + 1)}`];
}
