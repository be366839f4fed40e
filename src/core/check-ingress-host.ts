// The grammar of an Ingress host (spec.rules[].host, spec.tls[].hosts[]), as the API validates it:
// an RFC 1123 DNS subdomain, optionally prefixed by a single '*.' label; never an IP address,
// never a bare '*', never a port. Upper case is accepted and lower-cased (DNS is case-insensitive).

import { isIPv4Literal } from './ip-literal.ts';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME = 253;

export type HostCheck = { ok: true; host: string } | { ok: false; reason: string };

export function checkIngressHost(raw: string): HostCheck {
  const host = raw.toLowerCase();
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (name === '' || host === '*') return { ok: false, reason: 'a host must be a DNS name; a wildcard needs a suffix ("*.example.com")' };
  if (name.length > MAX_NAME) return { ok: false, reason: `a host must be at most ${MAX_NAME} characters` };
  if (isIPv4Literal(name)) return { ok: false, reason: 'IP addresses are not allowed as host' };
  if (name.includes(':')) return { ok: false, reason: 'a host must not contain ":" (no ports, no IPv6 addresses)' };
  if (name.includes('*')) return { ok: false, reason: '"*" is only allowed as the whole first label ("*.example.com")' };
  const labels = name.split('.');
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    return { ok: false, reason: 'each label must be 1-63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit' };
  }
  return { ok: true, host };
}
