// The request sent upstream, edited as the route's policy asks (ingress-nginx semantics):
// rewrite-target (`rewrite "(?i)<path>" <target> break`: the path becomes the target with the
// route regex's capture groups filled in, the query kept), X-Forwarded-Prefix with a rewrite, and
// upstream-vhost (the Host sent), and the headers ingress-nginx sends to the `default-backend`
// annotation's Service when it answers for a path whose own Service has no ready endpoint (X-Code:
// 503, X-Format, X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port; X-Request-ID is
// always sent). Compiled once per route with the table (compile-table.ts); the
// exchanges call editUpstreamRequest after building the upstream headers, for HTTP/1.1, HTTP/2 and
// WebSocket upgrades alike. Every value was validated by the builder: the rewritten path is made of
// the canonical request path's characters and the target's path characters, never CR/LF or '?'.

import type { ProxyRedirectPolicy, RoutePolicy } from '../../core/policy.ts';
import { compileRegexPath } from '../../core/regex-path.ts';
import { rewriteApplies, rewritePath } from '../../core/rewrite-path.ts';
import type { Route } from '../../core/route-table.ts';
import { routeFactHeaders } from './custom-errors.ts';

/** The path's own Service when the default-backend annotation's answers in its place (Route.standsInFor). */
export interface StandIn {
  /** 'ns/name' */
  readonly ingress: string;
  readonly service: string;
  readonly port: number | string;
}

export interface UpstreamEdits {
  /** The upstream path for a request path this route matched; undefined: no rewrite for this route. */
  readonly rewrite: ((path: string) => string) | undefined;
  /** Sent as X-Forwarded-Prefix with a rewritten request. */
  readonly forwardedPrefix: string | undefined;
  /** The Host header sent upstream instead of the client's. */
  readonly host: string | undefined;
  /** The response Location/Refresh rewrite (steps/proxy-redirect.ts). */
  readonly redirect: ProxyRedirectPolicy | undefined;
  /** Headers set on the request (the client's of these names removed), with X-Format from its Accept. */
  readonly standInHeaders?: readonly string[];
}

/** Header names the default-backend stand-in sets; a client's copy never passes. */
const STAND_IN_NAMES = ['x-code', 'x-format', 'x-namespace', 'x-ingress-name', 'x-service-name', 'x-service-port'];

/** undefined when the policy edits nothing for this route (the common case: no cost per request). */
export function compileUpstreamEdits(route: Pick<Route, 'path' | 'match'> | undefined, policy: RoutePolicy, standIn?: StandIn): UpstreamEdits | undefined {
  let rewrite: UpstreamEdits['rewrite'];
  let forwardedPrefix: string | undefined;
  // Only a regex route is rewritten (the builder makes every path of a rewrite-target Ingress one),
  // and, as ingress-nginx's buildProxyPass, not a route whose path is written as the target itself.
  if (rewriteApplies(policy.rewrite, route) && policy.rewrite !== undefined && route !== undefined) {
    const re = compileRegexPath(route.path);
    if (re !== undefined) {
      const parts = policy.rewrite.parts;
      rewrite = (path: string): string => rewritePath(re, parts, path);
      forwardedPrefix = policy.rewrite.forwardedPrefix;
    }
  }
  const host = policy.upstreamVhost;
  const redirect = policy.proxyRedirect;
  if (standIn !== undefined) {
    const standInHeaders = ['x-code', '503', ...routeFactHeaders(standIn.ingress, standIn.service, standIn.port)];
    return { rewrite, forwardedPrefix, host, redirect, standInHeaders };
  }
  if (rewrite === undefined && host === undefined && redirect === undefined) return undefined;
  return { rewrite, forwardedPrefix, host, redirect };
}

/**
 * Applies the edits: returns the path and query to send, and edits `headers` (flat name/value
 * pairs from buildUpstreamHeaders, whose first pair is Host) in place.
 */
export function editUpstreamRequest(edits: UpstreamEdits, path: string, pathAndQuery: string, headers: string[]): string {
  let out = pathAndQuery;
  if (edits.rewrite !== undefined) {
    out = edits.rewrite(path) + pathAndQuery.slice(path.length);
    if (edits.forwardedPrefix !== undefined) {
      removeHeader(headers, 'x-forwarded-prefix'); // a trusted proxy's own is replaced, as nginx's proxy_set_header does
      headers.push('x-forwarded-prefix', edits.forwardedPrefix);
    }
  }
  if (edits.host !== undefined) {
    if (headers[0] === 'host') headers[1] = edits.host;
    else {
      removeHeader(headers, 'host');
      headers.unshift('host', edits.host);
    }
  }
  const standIn = edits.standInHeaders;
  if (standIn !== undefined) {
    // X-Format is the request's Accept ($http_accept): none without one, as nginx sends no empty header.
    let accept: string | undefined;
    for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i]!.toLowerCase() === 'accept') accept = accept === undefined ? headers[i + 1] : `${accept}, ${headers[i + 1]!}`;
    for (const name of STAND_IN_NAMES) removeHeader(headers, name);
    headers.push(...standIn);
    if (accept !== undefined && accept.length > 0) headers.push('x-format', accept);
  }
  return out;
}

function removeHeader(headers: string[], lowerName: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.toLowerCase() === lowerName) headers.splice(i, 2);
  }
}
