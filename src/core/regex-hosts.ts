// ingress-nginx's host-wide regex quirk (template.go enforceRegexModifier): when any Ingress with a
// rule for a host sets use-regex: "true" or rewrite-target, every location of that host's server
// block is written `~* "^<path>"`, so every path of the host — other Ingresses' Exact and Prefix
// paths too — becomes a case-insensitive regex anchored at the start. This finds those hosts;
// collect-routes.ts resolves their paths as regexes and warns the Ingresses that did not ask.

import { compareStrings } from './compare-strings.ts';
import type { RuleHosts } from './collect-rule-hosts.ts';
import type { Ingress } from './model.ts';
import { objectKey } from './model.ts';
import type { RoutePolicy } from './policy.ts';

/** host → the Ingresses ('ns/name', sorted) that ask for regex paths on it. */
export type RegexHosts = ReadonlyMap<string, readonly string[]>;

export function regexHosts(ingresses: readonly { ingress: Ingress; hosts: RuleHosts }[], policies: ReadonlyMap<string, RoutePolicy>): RegexHosts {
  const byHost = new Map<string, string[]>();
  for (const { ingress, hosts } of ingresses) {
    const key = objectKey(ingress.metadata);
    if (policies.get(key)?.regexPaths !== true) continue;
    for (const [i, host] of hosts.byRule.entries()) {
      // Only a rule with paths puts a location, and so the regex modifier, in the host's server block.
      if (host === undefined || (ingress.spec.rules?.[i]?.http?.paths ?? []).length === 0) continue;
      const list = byHost.get(host) ?? [];
      if (!list.includes(key)) list.push(key);
      byHost.set(host, list);
    }
  }
  for (const list of byHost.values()) list.sort(compareStrings);
  return byHost;
}
