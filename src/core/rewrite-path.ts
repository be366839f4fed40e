// ingress-nginx's rewrite-target applied to one path: `rewrite "(?i)<path>" <target> break`, the
// route's regex matched at the start of the path and the target's $1..$9 filled with its groups
// (empty for a group that took no part or does not exist). Shared by the data plane
// (dataplane/steps/upstream-edits.ts) and `explain`, so both say the same upstream path.

import type { RewritePart, RewritePolicy } from './policy.ts';
import type { CompiledRegexPath } from './regex-path.ts';
import type { Route } from './route-table.ts';

/** Does this policy's rewrite apply to this route? Only regex routes, and not one written as the target (ingress-nginx). */
export function rewriteApplies(rewrite: RewritePolicy | undefined, route: Pick<Route, 'path' | 'match'> | undefined): boolean {
  return rewrite !== undefined && route !== undefined && route.match === 'Regex' && route.path !== rewrite.target;
}

/** The upstream path (without the query, which is kept as it was). */
export function rewritePath(re: CompiledRegexPath, parts: readonly RewritePart[], path: string): string {
  const groups = re.exec(path);
  // The route matched this path, so its regex does; if it did not, nginx's rewrite would not apply.
  if (groups === undefined) return path;
  let out = '';
  for (const p of parts) out += p.kind === 'text' ? p.text : (groups[p.index] ?? '');
  return out.startsWith('/') ? out : `/${out}`;
}
