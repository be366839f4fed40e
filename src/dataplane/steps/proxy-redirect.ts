// nginx's `proxy_redirect FROM TO` (ingress-nginx proxy-redirect-from/-to): a response Location
// header that starts with FROM (compared case-sensitively, as nginx does) has that prefix replaced
// by TO; in a Refresh header, the URL after `url=` is treated the same way. Other headers and
// other values pass unchanged. FROM and TO were validated by the builder (URL characters only), so
// the rewritten value holds no byte the backend's did not, plus TO's.

import type { ProxyRedirectPolicy } from '../../core/policy.ts';

/** The value rewritten, or undefined when it does not start with FROM. */
function rewriteUrl(redirect: ProxyRedirectPolicy, value: string): string | undefined {
  return value.startsWith(redirect.from) ? redirect.to + value.slice(redirect.from.length) : undefined;
}

/** A Location or Refresh value, rewritten when it matches; otherwise the same string. */
export function rewriteRedirectHeader(redirect: ProxyRedirectPolicy, lowerName: string, value: string): string {
  if (lowerName === 'location') return rewriteUrl(redirect, value) ?? value;
  if (lowerName === 'refresh') {
    const at = value.toLowerCase().indexOf('url=');
    if (at === -1) return value;
    const start = at + 4;
    const url = rewriteUrl(redirect, value.slice(start));
    return url === undefined ? value : value.slice(0, start) + url;
  }
  return value;
}

/** For the parsed header object undici gives (proxy-exchange.ts): a copy when something changed. */
export function rewriteRedirectHeaders(
  redirect: ProxyRedirectPolicy,
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const location = headers.location;
  const refresh = headers.refresh;
  if (location === undefined && refresh === undefined) return headers;
  const out = { ...headers };
  for (const name of ['location', 'refresh'] as const) {
    const v = out[name];
    if (typeof v === 'string') out[name] = rewriteRedirectHeader(redirect, name, v);
    else if (Array.isArray(v)) out[name] = v.map((x) => rewriteRedirectHeader(redirect, name, x));
  }
  return out;
}

/** For raw name/value pairs (the 101 of an upgrade relays the backend's raw head: proxy-exchange.ts onRequestUpgrade). */
export function rewriteRawRedirectHeaders(redirect: ProxyRedirectPolicy, raw: readonly (Buffer | string)[]): (Buffer | string)[] {
  const out = [...raw];
  for (let i = 0; i + 1 < out.length; i += 2) {
    const lower = String(out[i]).toLowerCase();
    if (lower === 'location' || lower === 'refresh') out[i + 1] = rewriteRedirectHeader(redirect, lower, String(out[i + 1]));
  }
  return out;
}
