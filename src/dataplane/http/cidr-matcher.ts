// One CIDR matcher for the data plane: --trusted-proxies (src/app/trusted-proxies.ts) and the
// source ranges of a route (steps/source-range.ts). BlockList masks host bits ('10.1.2.3/8' is
// 10.0.0.0/8) and matches IPv4-mapped IPv6 networks against IPv4 addresses.
import { BlockList, isIPv4 } from 'node:net';

export interface CidrLike {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** A predicate over addresses; anything that is not an IP address ('', 'unknown', '10.0.0.1:80') never matches. */
export function createCidrMatcher(cidrs: readonly CidrLike[]): (address: string) => boolean {
  const list = new BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
  return (address) => {
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; match them as IPv4.
    const mapped = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    try {
      return list.check(mapped, isIPv4(mapped) ? 'ipv4' : 'ipv6');
    } catch {
      return false;
    }
  };
}
