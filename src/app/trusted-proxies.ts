// --trusted-proxies CIDRs (parsed by parseCidr in src/config/parse-values.ts) → the data plane's
// isTrustedProxy(address) check, used on the peer and on each X-Forwarded-For hop
// (src/dataplane/http/client-address.ts). No CIDRs: undefined, so no one is trusted. Anything that
// is not an IP address ('', 'unknown', '10.0.0.1:80') is never trusted.

import { BlockList, isIPv4 } from 'node:net';
import type { Cidr } from '../config/config.ts';

export function createTrustedProxyMatcher(cidrs: readonly Cidr[]): ((peerAddress: string) => boolean) | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
  return (peer) => {
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; match them as IPv4.
    const mapped = peer.startsWith('::ffff:') && isIPv4(peer.slice(7)) ? peer.slice(7) : peer;
    try {
      return list.check(mapped, isIPv4(mapped) ? 'ipv4' : 'ipv6');
    } catch {
      return false;
    }
  };
}
