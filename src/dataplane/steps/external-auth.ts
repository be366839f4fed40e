// The external authentication step (ingress-nginx auth-url), run after basic auth for HTTP/1,
// HTTP/2, HTTPS and WebSocket upgrades alike. Before the request goes upstream, a subrequest
// WITHOUT its body (undici, pooled per auth origin) carries the client's headers as they would go
// upstream (hop-by-hop and framing removed, X-Forwarded-* and X-Real-IP set by Gatehouse, never
// the client's) plus X-Original-URL, X-Original-Method, X-Auth-Request-Redirect, X-Sent-From and
// X-Request-ID, as ingress-nginx's auth location sends them. The answer decides:
//   2xx            → continue; the auth-response-headers of the answer replace the client's on the
//                    upstream request (absent in the answer: removed);
//   401            → 401 (with the answer's WWW-Authenticate), or with auth-signin a 302 to it
//                    carrying the original URL in `rd`;
//   403            → 403;
//   anything else, a timeout, an unreachable service → 500. Never through.
// Bounded: a timeout (the route's proxy-read-timeout, else the controller's), at most
// MAX_INFLIGHT_PER_ORIGIN subrequests per auth origin (then 503), and the client going away aborts
// the subrequest. With auth-cache-key, 2xx answers listed in auth-cache-duration are remembered
// (bounded), keyed by the route and the rendered key.

import { createHash } from 'node:crypto';
import { Pool } from 'undici';
import type { ExternalAuthPolicy } from '../../core/policy.ts';
import { isSafeHeaderValue } from '../http/header-value.ts';
import { buildUpstreamHeaders } from '../proxy/upstream-headers.ts';
import { escapeUriComponent, renderAuthTemplate, type AuthRequestFacts } from './external-auth-render.ts';

export interface CompiledExternalAuth {
  readonly policy: ExternalAuthPolicy;
  /** auth-response-headers, lower-case. */
  readonly responseHeaders: readonly string[];
}

export function compileExternalAuth(policy: ExternalAuthPolicy | undefined): CompiledExternalAuth | undefined {
  if (policy === undefined) return undefined;
  return { policy, responseHeaders: policy.responseHeaders.map((h) => h.toLowerCase()) };
}

/** What the exchange knows besides the template facts. */
export interface AuthExchangeFacts extends AuthRequestFacts {
  /** The client's raw header list and its Connection header (for buildUpstreamHeaders). */
  rawHeaders: readonly string[];
  connection: string | string[] | undefined;
  peerAddress: string;
  trustedPeer: boolean;
  /** HTTP/2 splits Cookie into several fields. */
  joinCookies: boolean;
  /** For the cache's keyspace: one per route, as ingress-nginx's per location. */
  routeId: string;
  connectTimeoutMs: number;
  timeoutMs: number;
}

export type AuthOutcome =
  | {
      allow: true;
      /** auth-response-headers: lower-case name → the auth answer's value, or undefined (removed upstream). */
      upstreamHeaders: [string, string | undefined][];
      /** The auth answer's Set-Cookie values. */
      cookies: string[];
      cached: boolean;
    }
  | {
      allow: false;
      status: 302 | 401 | 403 | 500 | 503;
      error: string;
      /** Extra response header fields (name, value, ...), Set-Cookie included when due. */
      headers: string[];
      /** The auth answer's Set-Cookie values (for auth-always-set-cookie on other answers). */
      cookies: string[];
    };

/** At most this many subrequests in flight per auth origin; more answer 503 (Retry-After: 1). */
export const MAX_INFLIGHT_PER_ORIGIN = 256;
/** Connections per auth origin (the rest wait in the pool, within the in-flight cap). */
const CONNECTIONS_PER_ORIGIN = 32;
/** Auth origins with a pool; past this the least recently used pool is closed. */
const MAX_POOLS = 256;
/** Cached answers, all routes together. */
export const MAX_CACHE_ENTRIES = 10_000;
/** An auth answer body is read and dropped; a longer one is cut (the status already decided). */
const MAX_AUTH_BODY = 64 * 1024;
/** ingress-nginx's add_header without `always`: the statuses a response gets the auth Set-Cookie on. */
const COOKIE_STATUSES: ReadonlySet<number> = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

interface OriginState {
  pool: Pool;
  inflight: number;
}

const origins = new Map<string, OriginState>();
const cache = new Map<string, { expires: number; upstreamHeaders: [string, string | undefined][] }>();

function originState(origin: string, connectTimeoutMs: number): OriginState {
  let state = origins.get(origin);
  if (state !== undefined) {
    // Most recently used last, so the oldest is evicted first.
    origins.delete(origin);
    origins.set(origin, state);
    return state;
  }
  if (origins.size >= MAX_POOLS) {
    const [oldOrigin, old] = origins.entries().next().value as [string, OriginState];
    if (old.inflight === 0) {
      origins.delete(oldOrigin);
      void old.pool.close().catch(() => {});
    }
  }
  // As ingress-nginx (proxy_ssl_verify off in its auth location): TLS to the auth service, not verified.
  // The connect timeout is that of the first route to use this origin (routes rarely differ on it).
  state = { pool: new Pool(origin, { connections: CONNECTIONS_PER_ORIGIN, connect: { timeout: connectTimeoutMs, rejectUnauthorized: false } }), inflight: 0 };
  origins.set(origin, state);
  return state;
}

/** Closes every auth pool (tests, shutdown). */
export async function closeExternalAuthPools(): Promise<void> {
  const pools = [...origins.values()].map((s) => s.pool);
  origins.clear();
  cache.clear();
  await Promise.all(pools.map((p) => p.close().catch(() => {})));
}

/** A rendered URL that may be requested: http/https, a host, no space or control byte. */
function parseRenderedUrl(text: string): URL | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username !== '' || url.password !== '') return undefined;
  return url;
}

function cacheKeyOf(auth: CompiledExternalAuth, f: AuthExchangeFacts): string | undefined {
  const key = auth.policy.cacheKey;
  if (key === undefined) return undefined;
  return createHash('sha256').update(f.routeId).update('\0').update(renderAuthTemplate(key, f)).digest('base64');
}

function ttlFor(auth: CompiledExternalAuth, status: number): number | undefined {
  // Only 2xx answers are cached: a cached refusal would outlive the sign-in that lifts it.
  if (status < 200 || status > 299) return undefined;
  return auth.policy.cacheDurations.find((d) => d.statuses.includes(status))?.ttlMs;
}

function remember(key: string, expires: number, upstreamHeaders: [string, string | undefined][]): void {
  cache.delete(key);
  if (cache.size >= MAX_CACHE_ENTRIES) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, { expires, upstreamHeaders });
}

/** The header list sent to the auth service. */
function authRequestHeaders(auth: CompiledExternalAuth, f: AuthExchangeFacts, url: URL): string[] {
  const base = buildUpstreamHeaders(f.rawHeaders as string[], f.connection, {
    scheme: f.scheme,
    peerAddress: f.peerAddress,
    clientAddress: f.clientIp,
    trustedPeer: f.trustedPeer,
    host: f.authority || f.host,
    localPort: f.localPort,
    requestId: f.requestId,
    contentLength: undefined, // no body: Content-Length dropped, as ingress-nginx sets it to ""
    joinCookies: f.joinCookies,
  });
  const ours = new Set(['host', 'x-original-url', 'x-original-method', 'x-auth-request-redirect', 'x-sent-from', 'x-original-uri', 'x-scheme']);
  const out: string[] = ['host', url.host];
  for (let i = 2; i + 1 < base.length; i += 2) {
    if (ours.has(base[i]!.toLowerCase())) continue;
    out.push(base[i]!, base[i + 1]!);
  }
  const requestUri = f.path + f.query;
  const redirect = auth.policy.requestRedirect === undefined ? requestUri : renderAuthTemplate(auth.policy.requestRedirect, f);
  out.push(
    'x-original-url', `${f.scheme}://${f.authority || f.host}${requestUri}`,
    'x-original-method', f.method,
    'x-sent-from', 'nginx-ingress-controller',
    'x-auth-request-redirect', redirect,
  );
  // ingress-nginx sends these two only with auth-method.
  if (auth.policy.method !== undefined) out.push('x-original-uri', requestUri, 'x-scheme', f.scheme);
  return out;
}

function cookiesOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((c) => isSafeHeaderValue(c));
}

function cookieFields(cookies: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of cookies) out.push('set-cookie', c);
  return out;
}

/**
 * Asks the auth service; `done` is called once (not when `signal` aborted first: the client went away).
 */
export function checkExternalAuth(auth: CompiledExternalAuth, f: AuthExchangeFacts, signal: AbortSignal, done: (outcome: AuthOutcome) => void): void {
  const always = auth.policy.alwaysSetCookie;
  const fail = (status: 500 | 503, error: string, headers: string[] = []): void => done({ allow: false, status, error, headers, cookies: [] });
  const key = cacheKeyOf(auth, f);
  if (key !== undefined) {
    const hit = cache.get(key);
    if (hit !== undefined) {
      if (hit.expires > performance.now()) return done({ allow: true, upstreamHeaders: hit.upstreamHeaders, cookies: [], cached: true });
      cache.delete(key);
    }
  }
  const url = parseRenderedUrl(renderAuthTemplate(auth.policy.url, f));
  if (url === undefined) return fail(500, 'auth-url does not render to a valid URL');
  const headers = authRequestHeaders(auth, f, url);
  for (let i = 1; i < headers.length; i += 2) if (!isSafeHeaderValue(headers[i]!)) return fail(500, 'auth request header is not a valid header value');
  const state = originState(url.origin, f.connectTimeoutMs);
  if (state.inflight >= MAX_INFLIGHT_PER_ORIGIN) return fail(503, 'ERR_AUTH_QUEUE_FULL', ['retry-after', '1']);
  state.inflight++;
  // One controller for both ends of the subrequest: the client going away, and the timeout (a timer
  // cleared as soon as the answer is in, so a busy route holds no timers for finished checks).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('auth subrequest timed out'));
  }, f.timeoutMs);
  const onClientGone = (): void => controller.abort(new Error('client went away'));
  signal.addEventListener('abort', onClientGone, { once: true });
  const settled = (): void => {
    state.inflight--;
    clearTimeout(timer);
    signal.removeEventListener('abort', onClientGone);
  };
  state.pool
    .request({
      method: (auth.policy.method ?? 'GET') as 'GET',
      path: url.pathname + url.search,
      headers,
      signal: controller.signal,
      headersTimeout: f.timeoutMs,
      bodyTimeout: f.timeoutMs,
    })
    .then(async (res) => {
      // The body is not needed: read a little of it (to keep the connection reusable) and drop it.
      await res.body.dump({ limit: MAX_AUTH_BODY }).catch(() => {});
      return res;
    })
    .then(
      (res) => {
        settled();
        if (signal.aborted) return;
        const status = res.statusCode;
        const cookies = cookiesOf(res.headers['set-cookie']);
        if (status >= 200 && status <= 299) {
          const upstreamHeaders: [string, string | undefined][] = auth.responseHeaders.map((name) => {
            const v = res.headers[name];
            const value = v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : v;
            return [name, value !== undefined && isSafeHeaderValue(value) ? value : undefined];
          });
          const ttl = ttlFor(auth, status);
          // As nginx's proxy_cache: an answer that sets a cookie is not cached.
          if (key !== undefined && ttl !== undefined && ttl > 0 && cookies.length === 0) remember(key, performance.now() + ttl, upstreamHeaders);
          return done({ allow: true, upstreamHeaders, cookies, cached: false });
        }
        const alwaysCookies = always ? cookieFields(cookies) : [];
        if (status === 401) {
          if (auth.policy.signin !== undefined) {
            const location = signinLocation(auth.policy, f);
            // The redirect is a 302, one of the statuses add_header sets the cookie on.
            return done({ allow: false, status: 302, error: 'auth: 401, redirected to sign in', headers: ['location', location, ...cookieFields(cookies)], cookies });
          }
          const challenge = res.headers['www-authenticate'];
          const extra = typeof challenge === 'string' && isSafeHeaderValue(challenge) ? ['www-authenticate', challenge] : [];
          return done({ allow: false, status: 401, error: 'auth: 401', headers: [...extra, ...alwaysCookies], cookies });
        }
        if (status === 403) return done({ allow: false, status: 403, error: 'auth: 403', headers: alwaysCookies, cookies });
        return done({ allow: false, status: 500, error: `auth: unexpected status ${status}`, headers: alwaysCookies, cookies });
      },
      (err: unknown) => {
        settled();
        if (signal.aborted) return;
        const code = (err as { code?: unknown }).code;
        fail(500, timedOut ? 'auth: timeout' : `auth: ${typeof code === 'string' ? code : 'request failed'}`);
      },
    );
}

/** auth-signin with the original URL added as ingress-nginx's buildAuthSignURL does. */
function signinLocation(policy: ExternalAuthPolicy, f: AuthRequestFacts): string {
  const base = renderAuthTemplate(policy.signin!, f);
  if (policy.signinSeparator === 'none') return base;
  return `${base}${policy.signinSeparator}${policy.signinRedirectParam}=${f.scheme}://${f.authority || f.host}${escapeUriComponent(f.path + f.query)}`;
}

/** The upstream header list with the auth answer's headers in place of the client's. */
export function withAuthHeaders(headers: string[], set: readonly [string, string | undefined][]): string[] {
  if (set.length === 0) return headers;
  const names = new Set(set.map(([n]) => n));
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (names.has(headers[i]!.toLowerCase())) continue;
    out.push(headers[i]!, headers[i + 1]!);
  }
  for (const [name, value] of set) if (value !== undefined) out.push(name, value);
  return out;
}

/** The auth Set-Cookie fields a response with this status gets (ingress-nginx add_header, `always` or not). */
export function authCookiesFor(status: number, cookies: readonly string[], always: boolean): string[] {
  if (cookies.length === 0 || (!always && !COOKIE_STATUSES.has(status))) return [];
  return cookieFields(cookies);
}
