// Whether a request is redirected to HTTPS (308): its target asks for it (the host serves TLS and
// ssl-redirect is on, or force-ssl-redirect), it came over plain HTTP, and it did not reach a
// trusted proxy over HTTPS first. A trusted proxy (--trusted-proxies) that terminated TLS says so
// with `X-Forwarded-Proto: https`, as ingress-nginx reads it with use-forwarded-headers; without
// this a TLS-terminating load balancer in front would loop on the redirect forever.
import type { RouteTarget } from '../compile-table.ts';

export function redirectsToHttps(target: RouteTarget, scheme: 'http' | 'https', host: string, trustedPeer: boolean, forwardedProto: string | string[] | undefined): boolean {
  if (!target.tlsRedirect || scheme !== 'http' || host.length === 0) return false;
  if (!trustedPeer || forwardedProto === undefined) return true;
  // The nearest proxy's value: the last of a list (a chain of proxies appends).
  const value = typeof forwardedProto === 'string' ? forwardedProto : forwardedProto.join(',');
  const last = value.slice(value.lastIndexOf(',') + 1).trim().toLowerCase();
  return last !== 'https';
}
