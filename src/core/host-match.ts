// Host matching exactly as the Ingress API describes it, shared by the builder, its tests and
// the data plane. Patterns are what a VirtualHost holds: 'foo.example.com', '*.example.com'
// (one extra label, never more, never none) or '*' (a rule without host: every host).

/**
 * The Host header as a lookup key: lower-case, without the port, without one trailing dot
 * (as nginx does, so `example.com.` is `example.com`). IPv6 literals keep their brackets.
 */
export function normaliseHost(hostHeader: string): string {
  let host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close === -1 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(':');
  if (colon !== -1) host = host.slice(0, colon);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/** Does a normalised request host match a virtual-host pattern? */
export function hostMatchesPattern(host: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.startsWith('*.')) return host === pattern;
  const dot = host.indexOf('.');
  // The wildcard stands for exactly one non-empty label.
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

/**
 * The virtual-host patterns a normalised host may select, most specific first: the exact name,
 * then the one-label wildcard, then '*'. The first that exists wins; there is no fallthrough.
 */
export function hostLookupOrder(host: string): string[] {
  const dot = host.indexOf('.');
  return dot > 0 ? [host, `*.${host.slice(dot + 1)}`, '*'] : [host, '*'];
}

/**
 * Does a certificate name (SAN dNSName, possibly '*.example.com') cover a host pattern?
 * A wildcard certificate covers the names one label below it and the identical wildcard.
 */
export function certificateNameCovers(certName: string, host: string): boolean {
  if (certName === host) return true;
  return certName.startsWith('*.') && !host.startsWith('*') && hostMatchesPattern(host, certName);
}
