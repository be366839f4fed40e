// --trusted-proxies CIDRs (parsed by parseCidr in src/config/parse-values.ts) → the data plane's
// isTrustedProxy(address) check, used on the peer and on each X-Forwarded-For hop
// (src/dataplane/http/client-address.ts). No CIDRs: undefined, so no one is trusted. Anything that
// is not an IP address ('', 'unknown', '10.0.0.1:80') is never trusted. The matcher is the data
// plane's one CIDR matcher, shared with the source ranges of routes.

import type { Cidr } from '../config/config.ts';
import { createCidrMatcher } from '../dataplane/http/cidr-matcher.ts';

export function createTrustedProxyMatcher(cidrs: readonly Cidr[]): ((peerAddress: string) => boolean) | undefined {
  if (cidrs.length === 0) return undefined;
  return createCidrMatcher(cidrs);
}
