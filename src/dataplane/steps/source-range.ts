// Client source ranges (ingress-nginx allowlist/denylist-source-range), compiled once per table
// from the typed CIDRs the core parsed: the same BlockList matcher as --trusted-proxies
// (http/cidr-matcher.ts). As in ingress-nginx's template (deny rules, then allow rules, then
// "deny all"), a denied address is refused even when it is also allowed.
import type { SourceRanges } from '../../core/policy.ts';
import { createCidrMatcher } from '../http/cidr-matcher.ts';

export interface SourceRangeCheck {
  /** Whether a client address ('1.2.3.4', '2001:db8::1', '::ffff:1.2.3.4') may reach the route. */
  admits(address: string): boolean;
}

export function compileSourceRanges(ranges: SourceRanges | undefined): SourceRangeCheck | undefined {
  if (ranges === undefined || (ranges.allow === undefined && ranges.deny === undefined)) return undefined;
  const denied = ranges.deny === undefined ? undefined : createCidrMatcher(ranges.deny);
  const allowed = ranges.allow === undefined ? undefined : createCidrMatcher(ranges.allow);
  return {
    admits(address: string): boolean {
      // An address that does not parse ('' from a destroyed socket) matches no range: refused when an allow list is set.
      if (denied !== undefined && denied(address)) return false;
      return allowed === undefined ? true : allowed(address);
    },
  };
}
