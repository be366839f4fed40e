// The CORS step (ingress-nginx enable-cors), run right after routing. As ingress-nginx's template:
// with the allowed origin `*` every request is a CORS request and is answered
// `Access-Control-Allow-Origin: *`; otherwise a request whose Origin matches one of the patterns
// gets its Origin echoed. Such a request gets the CORS headers on every response (the backend's own
// Access-Control-* headers are replaced, as more_set_headers does; Gatehouse's own answers carry
// them too), and with the method OPTIONS it is a preflight answered 204 here. The headers come from
// the typed policy the core parsed, compiled once per policy.
import type { CorsOrigin, CorsPolicy } from '../../core/policy.ts';
import type { RouteTarget } from '../compile-table.ts';

export interface CorsAnswer {
  /** Flat name/value pairs for the response. */
  headers: string[];
  /** OPTIONS from an allowed origin: answered 204 by Gatehouse, never forwarded. */
  preflight: boolean;
}

/** The response headers the CORS step sets: a backend's own are dropped in favour of these. */
export const CORS_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
]);

interface CompiledCors {
  readonly any: boolean;
  readonly origins: readonly CorsOrigin[];
  /** Every header but Access-Control-Allow-Origin. */
  readonly fixed: readonly string[];
  readonly anyHeaders: readonly string[];
}

const compiled = new WeakMap<CorsPolicy, CompiledCors>();

function compile(policy: CorsPolicy): CompiledCors {
  let c = compiled.get(policy);
  if (c === undefined) {
    const fixed: string[] = [];
    if (policy.allowCredentials) fixed.push('access-control-allow-credentials', 'true');
    fixed.push('access-control-allow-methods', policy.allowMethods.join(', '));
    fixed.push('access-control-allow-headers', policy.allowHeaders.join(','));
    if (policy.exposeHeaders.length > 0) fixed.push('access-control-expose-headers', policy.exposeHeaders.join(','));
    fixed.push('access-control-max-age', String(policy.maxAgeSeconds));
    const any = policy.origins === '*';
    c = { any, origins: any ? [] : (policy.origins as CorsOrigin[]), fixed, anyHeaders: ['access-control-allow-origin', '*', ...fixed] };
    compiled.set(policy, c);
  }
  return c;
}

export function corsFor(target: RouteTarget, method: string | undefined, origin: string | string[] | undefined): CorsAnswer | undefined {
  const policy = target.policy.cors;
  if (policy === undefined || target.refused !== undefined) return undefined;
  const c = compile(policy);
  const preflight = method === 'OPTIONS';
  if (c.any) return { headers: c.anyHeaders as string[], preflight };
  if (typeof origin !== 'string' || !originAllowed(origin, c.origins)) return undefined;
  return { headers: ['access-control-allow-origin', origin, ...c.fixed], preflight };
}

/** `scheme://host[:port]` against the patterns, case-insensitively; `*.` stands for one DNS label. */
export function originAllowed(origin: string, patterns: readonly CorsOrigin[]): boolean {
  const lower = origin.toLowerCase();
  const sep = lower.indexOf('://');
  if (sep < 0) return false;
  const scheme = lower.slice(0, sep);
  const authority = lower.slice(sep + 3);
  for (const p of patterns) {
    if (p.scheme !== scheme) continue;
    if (!p.host.startsWith('*.')) {
      if (p.host === authority) return true;
      continue;
    }
    const suffix = p.host.slice(1); // '.example.com[:port]'
    if (authority.length <= suffix.length || !authority.endsWith(suffix)) continue;
    if (isLabel(authority.slice(0, authority.length - suffix.length))) return true;
  }
  return false;
}

function isLabel(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2d)) return false;
  }
  return s.length > 0;
}
