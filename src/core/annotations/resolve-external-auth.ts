// ingress-nginx external authentication — auth-url, auth-method, auth-signin,
// auth-signin-redirect-param, auth-response-headers, auth-request-redirect, auth-cache-key,
// auth-cache-duration, auth-always-set-cookie — read into a typed ExternalAuthPolicy. Anything
// that keeps the protection from being enforced as written refuses the Ingress (its routes answer
// 503) with an error diagnostic naming the annotation and why: a URL that does not parse, a
// variable outside the documented set (named in the message), a bad method, header list, cache
// duration, or an auth-* setting without auth-url (ingress-nginx would serve the Ingress open).
// auth-keepalive* only tune connections (Gatehouse always keeps them alive): warnings.
// auth-proxy-set-headers (a ConfigMap) and auth-snippet stay refused by protection-annotations.ts.

import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic, type DiagnosticCode } from '../diagnostic-codes.ts';
import type { Ingress } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import type { AuthCacheDuration, AuthTemplatePart, ExternalAuthPolicy, PolicyRefusal } from '../policy.ts';
import { quoteValue } from '../quote-value.ts';
import { NGINX_PREFIX } from './annotation-schema.ts';
import { parseAuthKeyTemplate, parseAuthTextTemplate, parseAuthUrlTemplate, MAX_AUTH_URL_LENGTH } from './auth-template.ts';
import { checkAnnotationValue } from './check-annotation-value.ts';
import { parseBool, type Parsed } from './value-types.ts';

export const AUTH_URL = `${NGINX_PREFIX}auth-url`;
const AUTH_METHOD = `${NGINX_PREFIX}auth-method`;
const AUTH_SIGNIN = `${NGINX_PREFIX}auth-signin`;
const AUTH_SIGNIN_PARAM = `${NGINX_PREFIX}auth-signin-redirect-param`;
const AUTH_RESPONSE_HEADERS = `${NGINX_PREFIX}auth-response-headers`;
const AUTH_REQUEST_REDIRECT = `${NGINX_PREFIX}auth-request-redirect`;
const AUTH_CACHE_KEY = `${NGINX_PREFIX}auth-cache-key`;
const AUTH_CACHE_DURATION = `${NGINX_PREFIX}auth-cache-duration`;
const AUTH_ALWAYS_SET_COOKIE = `${NGINX_PREFIX}auth-always-set-cookie`;
const KEEPALIVE_KEYS = ['auth-keepalive', 'auth-keepalive-share-vars', 'auth-keepalive-requests', 'auth-keepalive-timeout'].map((n) => NGINX_PREFIX + n);

const SETTING_KEYS = [AUTH_METHOD, AUTH_SIGNIN, AUTH_SIGNIN_PARAM, AUTH_RESPONSE_HEADERS, AUTH_REQUEST_REDIRECT, AUTH_CACHE_KEY, AUTH_CACHE_DURATION, AUTH_ALWAYS_SET_COOKIE];
/** The keys read here; parse-ingress-policy.ts leaves them alone. */
export const EXTERNAL_AUTH_KEYS: ReadonlySet<string> = new Set([AUTH_URL, ...SETTING_KEYS, ...KEEPALIVE_KEYS]);

/** ingress-nginx's default: `200 202 401 5m` (Gatehouse caches only the 2xx of it: docs/security.md). */
export const DEFAULT_CACHE_DURATIONS: readonly AuthCacheDuration[] = [{ statuses: [200, 202, 401], ttlMs: 300_000 }];
export const DEFAULT_SIGNIN_REDIRECT_PARAM = 'rd';
/** At most this many auth-response-headers. */
export const MAX_RESPONSE_HEADERS = 32;

// ingress-nginx's methodsRegex, without CONNECT (a tunnel, never an HTTP exchange with an answer).
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']);
const HEADER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PARAM_NAME = /^[A-Za-z0-9_.~-]{1,64}$/;
/** Headers that frame or route the request: an auth service must not set them on it. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'expect', 'http2-settings']);
const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 };
const MAX_TTL_MS = 31_536_000_000;

export interface ResolvedExternalAuth {
  externalAuth?: ExternalAuthPolicy;
  refused?: PolicyRefusal;
  diagnostics: Diagnostic[];
}

export function resolveExternalAuth(ingress: Ingress): ResolvedExternalAuth {
  const annotations = ingress.metadata.annotations;
  const present = [...EXTERNAL_AUTH_KEYS].filter((k) => Object.hasOwn(annotations, k)).sort();
  if (present.length === 0) return { diagnostics: [] };
  const object = objectRef(ingress);
  const diagnostics: Diagnostic[] = [];
  const field = (key: string): string => `metadata.annotations[${quoteValue(key)}]`;
  const warn = (code: DiagnosticCode, key: string, message: string): void => {
    diagnostics.push(makeDiagnostic(code, object, field(key), message));
  };
  const refuse = (key: string, why: string): ResolvedExternalAuth => ({
    refused: { code: 'AnnotationProtectionInvalid', annotation: key },
    diagnostics: [
      ...diagnostics,
      makeDiagnostic('AnnotationProtectionInvalid', object, field(key), `${quoteValue(key)} asks for external authentication, but ${why}; every route of this Ingress answers 503 until it is corrected`),
    ],
  });

  for (const key of KEEPALIVE_KEYS) {
    if (Object.hasOwn(annotations, key)) warn('AnnotationUnsupported', key, `${quoteValue(key)} is an ingress-nginx annotation Gatehouse does not read: connections to the auth service are always pooled and kept alive; see docs/annotations.md`);
  }
  for (const key of present) {
    if (KEEPALIVE_KEYS.includes(key)) continue;
    const long = key === AUTH_URL || key === AUTH_SIGNIN || key === AUTH_REQUEST_REDIRECT || key === AUTH_CACHE_KEY;
    const unsafe = checkAnnotationValue(annotations[key]!, long ? MAX_AUTH_URL_LENGTH : undefined);
    if (unsafe !== undefined) return refuse(key, `its value ${unsafe}`);
  }
  const urlText = annotations[AUTH_URL];
  if (urlText === undefined) {
    const setting = present.find((k) => SETTING_KEYS.includes(k));
    if (setting === undefined) return { diagnostics }; // only keepalive tuning: nothing asked
    return refuse(setting, `${quoteValue(AUTH_URL)} is not set (ingress-nginx would serve this Ingress without authentication)`);
  }
  const invalid = (key: string, text: string, reason: string): ResolvedExternalAuth => refuse(key, `${quoteValue(text.length > 200 ? `${text.slice(0, 200)}...` : text)} is not valid: ${reason}`);

  const url = parseAuthUrlTemplate(urlText);
  if (!url.ok) return invalid(AUTH_URL, urlText, url.reason);
  // The parser allows only $host, $http_host or $best_http_host there.
  const hostIsVariable = urlText.slice(urlText.indexOf('://') + 3).startsWith('$');
  if (hostIsVariable && servesAnyHost(ingress)) {
    return refuse(AUTH_URL, `its host is taken from the request's Host header and this Ingress has a rule for any host (no host, a wildcard host or a default backend), so a client could choose where the authentication request goes; name the auth service's host instead`);
  }
  const policy: ExternalAuthPolicy = {
    url: url.value,
    signinRedirectParam: DEFAULT_SIGNIN_REDIRECT_PARAM,
    signinSeparator: '?',
    responseHeaders: [],
    cacheDurations: DEFAULT_CACHE_DURATIONS.map((d) => ({ ...d, statuses: [...d.statuses] })),
    alwaysSetCookie: false,
  };

  const method = annotations[AUTH_METHOD];
  if (method !== undefined) {
    if (!METHODS.has(method)) return invalid(AUTH_METHOD, method, `expected one of ${[...METHODS].join(', ')}`);
    policy.method = method;
  }
  const param = annotations[AUTH_SIGNIN_PARAM];
  if (param !== undefined) {
    if (!PARAM_NAME.test(param)) return invalid(AUTH_SIGNIN_PARAM, param, 'expected a query parameter name (letters, digits, "-", "_", ".", "~")');
    policy.signinRedirectParam = param;
  }
  const signinText = annotations[AUTH_SIGNIN];
  if (signinText !== undefined) {
    const signin = parseAuthUrlTemplate(signinText);
    if (!signin.ok) return invalid(AUTH_SIGNIN, signinText, signin.reason);
    policy.signin = signin.value;
    policy.signinSeparator = signinSeparator(signin.value, policy.signinRedirectParam);
  } else if (param !== undefined) {
    warn('AnnotationNoEffect', AUTH_SIGNIN_PARAM, `${quoteValue(AUTH_SIGNIN_PARAM)} has no effect: ${quoteValue(AUTH_SIGNIN)} is not set`);
  }
  const headersText = annotations[AUTH_RESPONSE_HEADERS];
  if (headersText !== undefined) {
    const headers = parseHeaderList(headersText);
    if (!headers.ok) return invalid(AUTH_RESPONSE_HEADERS, headersText, headers.reason);
    policy.responseHeaders = headers.value;
  }
  const redirectText = annotations[AUTH_REQUEST_REDIRECT];
  if (redirectText !== undefined) {
    const redirect = parseAuthTextTemplate(redirectText);
    if (!redirect.ok) return invalid(AUTH_REQUEST_REDIRECT, redirectText, redirect.reason);
    policy.requestRedirect = redirect.value;
  }
  const keyText = annotations[AUTH_CACHE_KEY];
  if (keyText !== undefined) {
    const key = parseAuthKeyTemplate(keyText);
    if (!key.ok) return invalid(AUTH_CACHE_KEY, keyText, key.reason);
    policy.cacheKey = key.value;
  }
  const durationText = annotations[AUTH_CACHE_DURATION];
  if (durationText !== undefined) {
    const durations = parseCacheDurations(durationText);
    if (!durations.ok) return invalid(AUTH_CACHE_DURATION, durationText, durations.reason);
    policy.cacheDurations = durations.value;
    if (keyText === undefined) warn('AnnotationNoEffect', AUTH_CACHE_DURATION, `${quoteValue(AUTH_CACHE_DURATION)} has no effect: ${quoteValue(AUTH_CACHE_KEY)} is not set, so nothing is cached`);
  }
  const alwaysText = annotations[AUTH_ALWAYS_SET_COOKIE];
  if (alwaysText !== undefined) {
    const always = parseBool(alwaysText);
    if (!always.ok) return invalid(AUTH_ALWAYS_SET_COOKIE, alwaysText, always.reason);
    policy.alwaysSetCookie = always.value;
  }
  return { externalAuth: policy, diagnostics };
}

/** A rule without host, a wildcard host or a default backend: the Host header is the client's choice. */
function servesAnyHost(ingress: Ingress): boolean {
  if (ingress.spec.defaultBackend !== undefined) return true;
  return (ingress.spec.rules ?? []).some((r) => r.host === undefined || r.host === '' || r.host.startsWith('*'));
}

/**
 * As ingress-nginx's buildAuthSignURL: no query → `?rd=...`; a query that already sets the
 * parameter (to something non-empty) → nothing added; another query → `&rd=...`.
 */
function signinSeparator(parts: readonly AuthTemplatePart[], param: string): ExternalAuthPolicy['signinSeparator'] {
  // Variables stand as one non-empty placeholder: only the literal structure matters here.
  const shape = parts.map((p) => (p.kind === 'text' ? p.text : 'X')).join('');
  const q = shape.indexOf('?');
  if (q < 0) return '?';
  const query = shape.slice(q + 1);
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === param && pair.length > eq + 1) return 'none';
  }
  return query.length === 0 || query.endsWith('&') ? '' : '&';
}

function parseHeaderList(text: string): Parsed<string[]> {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!HEADER_NAME.test(name)) return { ok: false, reason: `${JSON.stringify(name.slice(0, 64))} is not a header name (letters, digits, "-", "_")` };
    if (RESERVED_HEADERS.has(name.toLowerCase())) return { ok: false, reason: `${name} frames or routes the request and cannot be set by the auth service` };
    if (out.some((h) => h.toLowerCase() === name.toLowerCase())) continue;
    out.push(name);
  }
  if (out.length === 0) return { ok: false, reason: 'no header name' };
  if (out.length > MAX_RESPONSE_HEADERS) return { ok: false, reason: `more than ${MAX_RESPONSE_HEADERS} headers` };
  return { ok: true, value: out };
}

/**
 * nginx's proxy_cache_valid entries, comma-separated as ingress-nginx reads them:
 * `[code ...] time [time ...]` (`200 202 10m, 401 1m`, `any 1h 30m`). Times add up; an entry
 * without codes means 200, 301 and 302, as in nginx.
 */
export function parseCacheDurations(text: string): Parsed<AuthCacheDuration[]> {
  const out: AuthCacheDuration[] = [];
  for (const entry of text.split(',')) {
    const tokens = entry.trim().split(/ +/).filter((t) => t !== '');
    if (tokens.length === 0) continue;
    const statuses: number[] = [];
    let ttlMs = 0;
    let seenTime = false;
    for (const token of tokens) {
      if (/^[1-5][0-9][0-9]$/.test(token)) {
        if (seenTime) return { ok: false, reason: `the status ${token} comes after a time (expected "code ... time")` };
        statuses.push(Number(token));
        continue;
      }
      if (token === 'any') {
        if (seenTime) return { ok: false, reason: '"any" comes after a time' };
        for (let s = 200; s <= 299; s++) statuses.push(s);
        continue;
      }
      const time = /^([0-9]{1,9})(ms|s|m|h|d|w|M|y)$/.exec(token);
      if (time === null) return { ok: false, reason: `${JSON.stringify(token.slice(0, 32))} is neither a status code nor a time such as 5m` };
      seenTime = true;
      ttlMs += Number(time[1]) * DURATION_UNITS_MS[time[2]!]!;
    }
    if (!seenTime) return { ok: false, reason: `${JSON.stringify(entry.trim().slice(0, 64))} has no time` };
    if (statuses.length === 0) statuses.push(200, 301, 302);
    out.push({ statuses: [...new Set(statuses)], ttlMs: Math.min(ttlMs, MAX_TTL_MS) });
  }
  if (out.length === 0) return { ok: false, reason: 'empty' };
  return { ok: true, value: out };
}
