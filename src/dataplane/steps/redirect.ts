// The redirect step (ingress-nginx app-root, permanent-redirect, temporal-redirect), run right after
// routing. As in ingress-nginx, app-root is a server-level rule checked first (only for exactly
// `/`), then the location's redirect; both come before the HTTPS redirect and access control
// (nginx's `return` runs in the rewrite phase). A refused route is never redirected: it answers 503.
// The target's variables are the typed parts the core parsed, filled from the parsed request.
import type { RedirectPart } from '../../core/policy.ts';
import type { RouteTarget } from '../compile-table.ts';

export interface RedirectRequest {
  scheme: 'http' | 'https';
  /** The normalised host (nginx $host). */
  host: string;
  /** The Host header (or :authority) as sent, port included (nginx $http_host); '' when absent. */
  authority: string;
  /** The canonical path, and the query with its '?' ('' when none). */
  path: string;
  query: string;
}

export interface RedirectAnswer {
  status: number;
  location: string;
  /** For the access log. */
  reason: 'app-root' | 'permanent-redirect' | 'temporal-redirect';
}

/** app-root: a request for exactly `/` is sent to the app root; checked first (a server-level rule). */
export function appRootRedirect(target: RouteTarget, r: RedirectRequest): RedirectAnswer | undefined {
  const appRoot = target.policy.appRoot;
  if (appRoot === undefined || r.path !== '/' || target.refused !== undefined) return undefined;
  // ingress-nginx: `return 302 $scheme://$http_host<app-root>` (the query is not kept).
  return { status: 302, location: `${r.scheme}://${r.authority || r.host}${appRoot}`, reason: 'app-root' };
}

/** The Ingress's permanent-redirect or temporal-redirect (after app-root and the CORS preflight). */
export function ingressRedirect(target: RouteTarget, r: RedirectRequest): RedirectAnswer | undefined {
  const redirect = target.policy.redirect;
  if (redirect === undefined || target.refused !== undefined) return undefined;
  return { status: redirect.code, location: expand(redirect.location, r), reason: redirect.kind === 'permanent' ? 'permanent-redirect' : 'temporal-redirect' };
}

function expand(parts: readonly RedirectPart[], r: RedirectRequest): string {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') {
      out += p.text;
      continue;
    }
    switch (p.name) {
      case 'scheme':
        out += r.scheme;
        break;
      case 'host':
        out += r.host;
        break;
      case 'request_uri':
        out += r.path + r.query;
        break;
      case 'uri':
        out += r.path;
        break;
      case 'args':
      case 'query_string':
        out += r.query.slice(1);
        break;
      case 'is_args':
        out += r.query.length > 0 ? '?' : '';
        break;
    }
  }
  return out;
}
