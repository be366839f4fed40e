// Every annotation Gatehouse reads, in one declarative table: name, type, default, doc and example.
// Parsing (parse-ingress-policy.ts), unknown-name detection and the docs test
// (docs/annotations.md) all derive from these tables, so an annotation cannot be supported without
// being documented, nor documented without being supported.

import type { CidrBlock, CorsOrigin, HashKey, HeaderSetting, LoadBalanceAlgorithm, ProxyRedirectValue, RedirectPart, RewritePart, SameSite } from '../policy.ts';
import { MAX_DURATION_MS } from '../units.ts';
import { LOAD_BALANCE_VALUES, SAME_SITE_VALUES, type ValueType } from './value-types.ts';

export const GATEHOUSE_PREFIX = 'gatehouse.dev/';
export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';

/** The parsed annotation values, before they are assembled into a RoutePolicy. */
export interface AnnotationValues {
  affinity: 'cookie' | 'none';
  sessionCookieName: string;
  sessionCookiePath: string;
  sessionCookieMaxAge: number;
  sessionCookieSameSite: SameSite;
  sessionCookieSecure: boolean;
  loadBalance: LoadBalanceAlgorithm;
  hashKey: HashKey;
  retries: number;
  connectTimeout: number;
  readTimeout: number;
  sendTimeout: number;
  maxBodySize: number;
  ejectOn5xx: boolean;
  sslRedirect: boolean;
  forceSslRedirect: boolean;
  hsts: boolean;
  hstsMaxAge: number;
  hstsIncludeSubdomains: boolean;
  hstsPreload: boolean;
  allowSourceRange: CidrBlock[];
  denySourceRange: CidrBlock[];
  permanentRedirect: RedirectPart[];
  permanentRedirectCode: number;
  temporalRedirect: RedirectPart[];
  temporalRedirectCode: number;
  appRoot: string;
  fromToWwwRedirect: boolean;
  enableCors: boolean;
  corsAllowOrigin: '*' | CorsOrigin[];
  corsAllowMethods: string[];
  corsAllowHeaders: string[];
  corsExposeHeaders: string[];
  corsAllowCredentials: boolean;
  corsMaxAge: number;
  requestHeaders: HeaderSetting[];
  responseHeaders: HeaderSetting[];
  removeResponseHeaders: string[];
  useRegex: boolean;
  rewriteTarget: RewritePart[];
  xForwardedPrefix: string;
  upstreamVhost: string;
  proxyRedirectFrom: ProxyRedirectValue;
  proxyRedirectTo: ProxyRedirectValue;
  limitRps: number;
  limitRpm: number;
  limitConnections: number;
  limitBurstMultiplier: number;
  limitWhitelist: CidrBlock[];
  customHttpErrors: number[];
  disableProxyInterceptErrors: boolean;
}

export type AnnotationField = keyof AnnotationValues;

export type AnnotationGroup = 'Session affinity' | 'Load balancing' | 'Health and retries' | 'Timeouts and limits' | 'TLS' | 'Access control' | 'Redirects' | 'CORS' | 'Headers' | 'Rewrites and upstream' | 'Rate limits' | 'Error pages';

export interface AnnotationSpec {
  /** The key is `gatehouse.dev/<name>`. */
  name: string;
  field: AnnotationField;
  type: ValueType;
  group: AnnotationGroup;
  /** The default, as documented (the assembly in parse-ingress-policy.ts applies it). */
  default: string;
  doc: string;
  example: string;
  /**
   * It asks for a protection: a value that does not parse refuses the Ingress
   * (AnnotationProtectionInvalid, every route answers 503) instead of falling back to the default.
   */
  protection?: true;
  /**
   * It changes what the routes answer (a redirect, CORS): a value that does not parse refuses the
   * Ingress (AnnotationActionInvalid, every route answers 503) rather than answer something the
   * Ingress did not ask for.
   */
  action?: true;
}

/** ingress-nginx's CORS defaults (internal/ingress/annotations/cors). */
export const CORS_DEFAULT_METHODS: readonly string[] = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
export const CORS_DEFAULT_HEADERS: readonly string[] = ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'];
export const CORS_DEFAULT_MAX_AGE = 1_728_000;
const REDIRECT_CODE = { kind: 'int', min: 0, max: 999 } as const;
const CORS_MAX_AGE = { kind: 'int', min: 0, max: 2_147_483_647 } as const;
/** A rate or a concurrency limit; `0` is no limit, as in ingress-nginx. */
const LIMIT = { kind: 'int', min: 0, max: 1_000_000 } as const;
// 0 is no burst at all (ingress-nginx writes `burst=0`): stricter, so honoured.
const BURST_MULTIPLIER = { kind: 'int', min: 0, max: 1_000 } as const;
export const DEFAULT_BURST_MULTIPLIER = 5;

export const MAX_RETRIES = 5;
/** RFC 6265bis caps cookie lifetimes at 400 days; browsers clamp anything longer. */
export const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 3600;
const MAX_HSTS_AGE_SECONDS = 2 * 365 * 24 * 3600;
const CONNECT_TIMEOUT = { minMs: 1, maxMs: 600_000 } as const;
const IO_TIMEOUT = { minMs: 1, maxMs: Math.min(MAX_DURATION_MS, 24 * 3_600_000) } as const;

export const ANNOTATIONS: readonly AnnotationSpec[] = [
  {
    name: 'affinity', field: 'affinity', group: 'Session affinity',
    type: { kind: 'enum', values: ['cookie', 'none'] }, default: 'none', example: 'cookie',
    doc: 'Pins each client to one endpoint with a cookie Gatehouse sets. The cookie value is a keyed hash that identifies the endpoint without revealing its address. When the pinned endpoint goes away, becomes not ready or is ejected, the client moves to another endpoint and gets a new cookie; endpoints added later never take over existing sessions.',
  },
  {
    name: 'session-cookie-name', field: 'sessionCookieName', group: 'Session affinity',
    type: { kind: 'cookie-name' }, default: 'GATEHOUSE', example: 'route',
    doc: 'Name of the affinity cookie. A name starting with `__Secure-` or `__Host-` always gets the Secure attribute; `__Host-` also requires the path `/`.',
  },
  {
    name: 'session-cookie-path', field: 'sessionCookiePath', group: 'Session affinity',
    type: { kind: 'cookie-path' }, default: '/', example: '/shop',
    doc: 'Path attribute of the affinity cookie.',
  },
  {
    name: 'session-cookie-max-age', field: 'sessionCookieMaxAge', group: 'Session affinity',
    type: { kind: 'int', min: 1, max: MAX_COOKIE_AGE_SECONDS }, default: 'none (a browser-session cookie)', example: '3600',
    doc: 'Max-Age attribute of the affinity cookie, in seconds (at most 400 days, the limit browsers apply).',
  },
  {
    name: 'session-cookie-samesite', field: 'sessionCookieSameSite', group: 'Session affinity',
    type: { kind: 'enum', values: SAME_SITE_VALUES, caseInsensitive: true }, default: 'none (attribute not set)', example: 'Lax',
    doc: 'SameSite attribute of the affinity cookie. `None` always comes with Secure, as browsers require.',
  },
  {
    name: 'session-cookie-secure', field: 'sessionCookieSecure', group: 'Session affinity',
    type: { kind: 'bool' }, default: 'on over HTTPS, off over plain HTTP', example: 'true',
    doc: 'Secure attribute of the affinity cookie. `true` sets it on every response, `false` never (unless SameSite=None or a `__Secure-`/`__Host-` name requires it). HttpOnly is always set.',
  },
  {
    name: 'load-balance', field: 'loadBalance', group: 'Load balancing',
    type: { kind: 'enum', values: LOAD_BALANCE_VALUES }, default: 'round-robin', example: 'least-request',
    doc: 'How an endpoint is chosen: `round-robin` in turn; `least-request` the less busy of two endpoints drawn at random (power of two choices on requests in flight); `random`; `consistent-hash` by `gatehouse.dev/hash-key`, so a key keeps its endpoint and only the share of keys owned by an added or removed endpoint moves. With cookie affinity, this chooses the endpoint of new sessions. A Service with `sessionAffinity: ClientIP` is balanced by a hash of the client address instead of `round-robin`, `least-request` or `random` (cookie affinity and `consistent-hash` keep their own stickiness).',
  },
  {
    name: 'hash-key', field: 'hashKey', group: 'Load balancing',
    type: { kind: 'hash-key' }, default: 'client-ip', example: 'header:x-user-id',
    doc: 'The key of `consistent-hash`: a request header, a cookie, or the client address. A request without the header or cookie is balanced round-robin.',
  },
  {
    name: 'retries', field: 'retries', group: 'Health and retries',
    type: { kind: 'int', min: 0, max: MAX_RETRIES }, default: '1', example: '2',
    doc: 'How many times a request is retried on another endpoint after a failed connection (any method) or a connection reset before any response byte (idempotent methods only). Requests with a body are never retried. Retries are also bounded by a budget per backend (20% of recent requests plus a small floor), so an outage cannot multiply the load.',
  },
  {
    name: 'eject-on-5xx', field: 'ejectOn5xx', group: 'Health and retries',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'Passive health checks always count failed connections; with this on, 5xx responses count as failures too. An endpoint with 5 consecutive failures is ejected for 5 s, doubling at each new ejection up to 5 min; it is brought back after it. The last endpoints of a backend are never all ejected: when every endpoint is ejected, all are used (panic mode).',
  },
  {
    name: 'connect-timeout', field: 'connectTimeout', group: 'Timeouts and limits',
    type: { kind: 'duration', ...CONNECT_TIMEOUT }, default: 'the --connect-timeout flag (5s)', example: '500ms',
    doc: 'Time to connect to an endpoint. When it fires the client gets 504 (after the retries, if any) and the access log says `limit: "connect-timeout"`.',
  },
  {
    name: 'read-timeout', field: 'readTimeout', group: 'Timeouts and limits',
    type: { kind: 'duration', ...IO_TIMEOUT }, default: 'the --read-timeout flag (60s)', example: '30s',
    doc: 'Time to the response head, and between two reads of the response body. 504 before the head (access log `limit: "read-timeout"`); an aborted response after it.',
  },
  {
    name: 'send-timeout', field: 'sendTimeout', group: 'Timeouts and limits',
    type: { kind: 'duration', ...IO_TIMEOUT }, default: 'the --send-timeout flag (60s)', example: '2m',
    doc: 'Time between two writes of the request body to the endpoint. 504 when it fires (access log `limit: "send-timeout"`).',
  },
  {
    name: 'max-body-size', field: 'maxBodySize', group: 'Timeouts and limits',
    type: { kind: 'byte-size' }, default: 'the --max-body-size flag (no limit)', example: '10m',
    doc: 'Largest request body. 413 before anything is read when Content-Length says so, otherwise as soon as the streamed body passes the limit (access log `limit: "max-body-size"`). `0` means no limit.',
  },
  {
    name: 'ssl-redirect', field: 'sslRedirect', group: 'TLS',
    type: { kind: 'bool' }, default: 'true', example: 'false',
    doc: 'Plain-HTTP requests for a host with TLS get a 308 redirect to HTTPS; `false` serves them over plain HTTP.',
  },
  {
    name: 'force-ssl-redirect', field: 'forceSslRedirect', group: 'TLS',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'Plain-HTTP requests get a 308 redirect to HTTPS even when the host has no TLS in Gatehouse (TLS ends at a load balancer in front), and even with `ssl-redirect: "false"`. A request from a trusted proxy (`--trusted-proxies`) with `X-Forwarded-Proto: https` already came over HTTPS and is not redirected, so a TLS-terminating load balancer does not loop.',
  },
  {
    name: 'hsts', field: 'hsts', group: 'TLS',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'Adds Strict-Transport-Security to responses served over HTTPS.',
  },
  {
    name: 'hsts-max-age', field: 'hstsMaxAge', group: 'TLS',
    type: { kind: 'int', min: 0, max: MAX_HSTS_AGE_SECONDS }, default: '31536000', example: '63072000',
    doc: 'max-age of Strict-Transport-Security, in seconds.',
  },
  {
    name: 'hsts-include-subdomains', field: 'hstsIncludeSubdomains', group: 'TLS',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'Adds includeSubDomains to Strict-Transport-Security. Off by default: it binds every subdomain, including other tenants\' hosts, to HTTPS.',
  },
  {
    name: 'hsts-preload', field: 'hstsPreload', group: 'TLS',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'Adds preload to Strict-Transport-Security.',
  },
  {
    name: 'allowlist-source-range', field: 'allowSourceRange', group: 'Access control', protection: true,
    type: { kind: 'cidr-list' }, default: 'none (every client)', example: '10.0.0.0/8, 2001:db8::/32, 192.0.2.7',
    doc: 'Only clients whose address is in one of these ranges reach the Ingress\'s routes; others get 403. The client address is the one the data plane computes: the TCP peer, or with `--trusted-proxies` the right-most untrusted X-Forwarded-For hop. IPv4 clients on a dual-stack listener are matched as IPv4. A value that does not parse refuses the Ingress (every route answers 503), never serves it open.',
  },
  {
    name: 'denylist-source-range', field: 'denySourceRange', group: 'Access control', protection: true,
    type: { kind: 'cidr-list' }, default: 'none', example: '192.0.2.0/24',
    doc: 'Clients whose address is in one of these ranges get 403. Checked before the allow list, as ingress-nginx does: an address in both is refused. A value that does not parse refuses the Ingress.',
  },
  {
    name: 'permanent-redirect', field: 'permanentRedirect', group: 'Redirects', action: true,
    type: { kind: 'redirect-url' }, default: 'none', example: 'https://www.example.com/new$request_uri',
    doc: 'Every request of the Ingress\'s routes is answered with a redirect to this URL (301 unless `permanent-redirect-code` says otherwise) instead of being forwarded. The URL is used as written: the request path and query are not appended unless the URL says `$request_uri` (or `$uri`, `$args`, `$is_args`); `$scheme` and `$host` are the request\'s. Any other `$name`, a space, a control character, a character the safety gate refuses (`;`, quotes, `\\`, `<`, `>`, `{`, `}`, backtick: percent-encode them), user information or a malformed host refuses the Ingress (`AnnotationActionInvalid`, every route answers 503). Checked before the HTTPS redirect and access control, as ingress-nginx does (its `return` runs in the rewrite phase). `temporal-redirect` wins when both are set.',
  },
  {
    name: 'permanent-redirect-code', field: 'permanentRedirectCode', group: 'Redirects', action: true,
    type: REDIRECT_CODE, default: '301', example: '308',
    doc: 'The status of `permanent-redirect`. As in ingress-nginx, a number outside 300 to 308 is reported (`AnnotationInvalid`) and 301 applies; a value that is not a number refuses the Ingress.',
  },
  {
    name: 'temporal-redirect', field: 'temporalRedirect', group: 'Redirects', action: true,
    type: { kind: 'redirect-url' }, default: 'none', example: 'https://maintenance.example.com/',
    doc: 'As `permanent-redirect`, with 302 unless `temporal-redirect-code` says otherwise. When both are set, this one wins (ingress-nginx reads it first) and `permanent-redirect` is reported as having no effect.',
  },
  {
    name: 'temporal-redirect-code', field: 'temporalRedirectCode', group: 'Redirects', action: true,
    type: REDIRECT_CODE, default: '302', example: '307',
    doc: 'The status of `temporal-redirect`. As in ingress-nginx, a number outside 300 to 307 is reported (`AnnotationInvalid`) and 302 applies; a value that is not a number refuses the Ingress.',
  },
  {
    name: 'app-root', field: 'appRoot', group: 'Redirects', action: true,
    type: { kind: 'app-root' }, default: 'none', example: '/app1',
    doc: 'A request for exactly `/` (whatever its query) that reaches one of the Ingress\'s routes is answered 302 with `Location: <scheme>://<Host><app-root>`, as ingress-nginx writes it. Checked first, before the other redirects. Other paths are routed as usual.',
  },
  {
    name: 'from-to-www-redirect', field: 'fromToWwwRedirect', group: 'Redirects',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'For each host of the Ingress, the other name (`www.` added or removed) answers every request with 308 to `<scheme>://<host><request URI>`, as ingress-nginx\'s redirect server does. No redirect is made when the other name is a host of some Ingress (it wins; a warning says so), nor for wildcard hosts. Over HTTPS the other name is served with the host\'s certificate only when that certificate covers it, as ingress-nginx checks; otherwise it gets the default certificate and a warning says so.',
  },
  {
    name: 'enable-cors', field: 'enableCors', group: 'CORS',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'Cross-origin resource sharing, as ingress-nginx does it. A request whose `Origin` is allowed (every request when the allowed origin is `*`) gets `Access-Control-Allow-Origin` (the request\'s Origin echoed, or `*`), `Access-Control-Allow-Credentials: true` (unless turned off), `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers`, `Access-Control-Expose-Headers` (when set) and `Access-Control-Max-Age` on every response, Gatehouse\'s own error answers included; the backend\'s own `Access-Control-*` headers are replaced. Such a request with the method `OPTIONS` (a preflight) is answered 204 by Gatehouse with these headers, `Content-Type: text/plain charset=UTF-8` and `Content-Length: 0`, and never reaches the backend. A request whose Origin is not allowed gets no CORS headers and is forwarded as usual.',
  },
  {
    name: 'cors-allow-origin', field: 'corsAllowOrigin', group: 'CORS', action: true,
    type: { kind: 'cors-origins' }, default: '*', example: 'https://app.example.com, https://*.example.org:8443',
    doc: 'The allowed origins. `*` alone allows every origin and answers `Access-Control-Allow-Origin: *`. Otherwise a comma list of `scheme://host[:port]`: an Origin matches when scheme, host and port are the same (case-insensitive), and a host written `*.example.com` matches exactly one more DNS label (`https://a.example.com`, not `https://a.b.example.com` nor `https://example.com`), as ingress-nginx\'s `[A-Za-z0-9-]+`. The matching Origin is echoed. As ingress-nginx, Gatehouse adds no `Vary: Origin`: a backend behind a shared cache should send it.',
  },
  {
    name: 'cors-allow-methods', field: 'corsAllowMethods', group: 'CORS', action: true,
    type: { kind: 'token-list', what: 'a method' }, default: CORS_DEFAULT_METHODS.join(', '), example: 'GET, POST, OPTIONS',
    doc: 'The value of `Access-Control-Allow-Methods`.',
  },
  {
    name: 'cors-allow-headers', field: 'corsAllowHeaders', group: 'CORS', action: true,
    type: { kind: 'token-list', what: 'a header name' }, default: CORS_DEFAULT_HEADERS.join(','), example: 'X-Forwarded-For, X-App-Token',
    doc: 'The value of `Access-Control-Allow-Headers`.',
  },
  {
    name: 'cors-expose-headers', field: 'corsExposeHeaders', group: 'CORS', action: true,
    type: { kind: 'token-list', what: 'a header name' }, default: 'none (header not sent)', example: 'X-Total-Count, X-Request-Id',
    doc: 'The value of `Access-Control-Expose-Headers`.',
  },
  {
    name: 'cors-allow-credentials', field: 'corsAllowCredentials', group: 'CORS',
    type: { kind: 'bool' }, default: 'true', example: 'false',
    doc: 'Sends `Access-Control-Allow-Credentials: true`. On by default, as in ingress-nginx (browsers ignore it next to `Access-Control-Allow-Origin: *`).',
  },
  {
    name: 'cors-max-age', field: 'corsMaxAge', group: 'CORS',
    type: CORS_MAX_AGE, default: String(CORS_DEFAULT_MAX_AGE), example: '600',
    doc: 'The value of `Access-Control-Max-Age`, in seconds: how long a browser may cache a preflight answer.',
  },
  {
    name: 'request-headers', field: 'requestHeaders', group: 'Headers', action: true,
    type: { kind: 'header-lines' }, default: 'none', example: 'X-Env: production',
    doc: 'Headers set on the request sent to the backend, replacing any the client sent under those names (ingress-nginx `proxy_set_header`); an empty value removes the header. One `Name: value` per line (a YAML block scalar for several). Values may use `$host`, `$request_uri`, `$scheme`, `$remote_addr` and `$req_id`. Headers that frame the message (Content-Length, Transfer-Encoding, Connection...) cannot be set.',
  },
  {
    name: 'response-headers', field: 'responseHeaders', group: 'Headers', action: true,
    type: { kind: 'header-lines' }, default: 'none', example: 'X-Frame-Options: DENY',
    doc: "Headers set on every response relayed from the backend, replacing the backend's own under those names (headers-more's `more_set_headers`); an empty value removes the header. Same syntax and variables as `gatehouse.dev/request-headers`.",
  },
  {
    name: 'remove-response-headers', field: 'removeResponseHeaders', group: 'Headers', action: true,
    type: { kind: 'header-names' }, default: 'none', example: 'X-Powered-By, X-Debug-*',
    doc: 'Headers removed from responses relayed from the backend (`proxy_hide_header`, `more_clear_headers`); `X-Debug-*` removes every header whose name starts with `X-Debug-`.',
  },
  {
    name: 'use-regex', field: 'useRegex', group: 'Rewrites and upstream',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'The paths of the Ingress are regular expressions, as ingress-nginx reads them: RE2 syntax, matched case-insensitively and anchored at the start only (a prefix match: `/foo/.*` is `^/foo/.*`). As in ingress-nginx, this applies to the whole host: every path of every Ingress with a rule for one of this Ingress\'s hosts is then matched as such a regex, Exact and Prefix paths included (`PathMatchedAsRegex` warns those Ingresses), and the routes are tried longest pattern first (docs/routing.md, "Regex hosts"). `ImplementationSpecific` paths may be patterns; `Exact` and `Prefix` paths keep the literal path grammar. A pattern RE2 refuses, longer than 1024 characters or compiling to more than 2000 instructions is `PathRegexInvalid`: the requests under its literal prefix answer 503.',
  },
  {
    name: 'rewrite-target', field: 'rewriteTarget', group: 'Rewrites and upstream', action: true,
    type: { kind: 'rewrite-target' }, default: 'none', example: '/$2',
    doc: 'The path sent upstream for a request matched by one of the Ingress\'s paths, as ingress-nginx\'s `rewrite "(?i)<path>" <target> break`: `$1` to `$9` are the path regex\'s capture groups (empty when a group took no part or does not exist), the request\'s query is kept. Setting it makes the Ingress\'s hosts regex hosts, as `use-regex` does. A path written exactly as the target is not rewritten (ingress-nginx skips it). With `/something(/|$)(.*)` and `/$2`: `/something` → `/`, `/something/` → `/`, `/something/new` → `/new`. Applies over HTTP/1.1, HTTP/2 and WebSocket upgrades; never to a default backend.',
  },
  {
    name: 'x-forwarded-prefix', field: 'xForwardedPrefix', group: 'Rewrites and upstream', action: true,
    type: { kind: 'forwarded-prefix' }, default: 'none', example: '/app',
    doc: 'Sends `X-Forwarded-Prefix: <value>` with rewritten requests (replacing any the client sent). As ingress-nginx\'s template, only together with `rewrite-target` (for the routes it rewrites); alone it has no effect and `AnnotationNoEffect` says so.',
  },
  {
    name: 'upstream-vhost', field: 'upstreamVhost', group: 'Rewrites and upstream', action: true,
    type: { kind: 'upstream-vhost' }, default: 'none (the request\'s Host)', example: 'internal.example.com',
    doc: 'The `Host` header sent upstream instead of the request\'s (ingress-nginx `proxy_set_header Host`), for requests over HTTP/1.1 and HTTP/2 and for WebSocket upgrades alike. `X-Forwarded-Host` still carries the request\'s host.',
  },
  {
    name: 'proxy-redirect-from', field: 'proxyRedirectFrom', group: 'Rewrites and upstream', action: true,
    type: { kind: 'proxy-redirect' }, default: 'off', example: 'http://app.internal:8080/',
    doc: 'With `proxy-redirect-to`, nginx\'s `proxy_redirect FROM TO`: a response `Location` header that starts with this text (case-sensitive) has it replaced by `proxy-redirect-to`, and so has the URL of a `Refresh` header (after `url=`). `off` (the default) rewrites nothing. `default` is nginx\'s `proxy_redirect default`, which under ingress-nginx rewrites only URLs naming its internal upstream (`http://upstream_balancer/`), which no backend sends: Gatehouse rewrites nothing and says so (`AnnotationNoEffect`). Without `proxy-redirect-to` (or with `off`), nothing is rewritten, as in ingress-nginx.',
  },
  {
    name: 'proxy-redirect-to', field: 'proxyRedirectTo', group: 'Rewrites and upstream', action: true,
    type: { kind: 'proxy-redirect' }, default: 'off', example: 'https://app.example.com/',
    doc: 'The replacement for `proxy-redirect-from`. `off` (the default) writes no rewrite.',
  },
  {
    name: 'limit-rps', field: 'limitRps', group: 'Rate limits', protection: true,
    type: LIMIT, default: '0 (no limit)', example: '10',
    doc: 'Requests per second per client address, as ingress-nginx\'s `limit_req` with `burst` = rate × `limit-burst-multiplier` and `nodelay`: a client may send 1 + burst requests at once, then one more each 1/rate seconds; the excess is answered at once with the `--limit-status-code` status (503 by default, as ingress-nginx; access log `limit: "limit-rps"`), never forwarded and never delayed. The bucket is per client address and per Ingress (all its paths share it, as ingress-nginx names its zone after the Ingress) and per replica. Checked after the redirects and before the source ranges and authentication, as nginx runs `limit_req` in its preaccess phase. A value that does not parse refuses the Ingress (every route answers 503).',
  },
  {
    name: 'limit-rpm', field: 'limitRpm', group: 'Rate limits', protection: true,
    type: LIMIT, default: '0 (no limit)', example: '300',
    doc: 'Requests per minute per client address, as `limit-rps` (burst = rate × `limit-burst-multiplier`; access log `limit: "limit-rpm"`). With both set, a request must pass both, and one refused by either is charged to neither (as nginx does with two `limit_req`).',
  },
  {
    name: 'limit-connections', field: 'limitConnections', group: 'Rate limits', protection: true,
    type: LIMIT, default: '0 (no limit)', example: '5',
    doc: 'Requests in progress at once per client address and per Ingress, as nginx\'s `limit_conn` (each HTTP/2 stream counts, as in nginx). Counted from the limit check to the end of the response (or the client going away); a WebSocket or other upgrade counts for the tunnel\'s whole life. One more is answered with the `--limit-status-code` status (access log `limit: "limit-connections"`). A value that does not parse refuses the Ingress.',
  },
  {
    name: 'limit-burst-multiplier', field: 'limitBurstMultiplier', group: 'Rate limits', protection: true,
    type: BURST_MULTIPLIER, default: String(DEFAULT_BURST_MULTIPLIER), example: '3',
    doc: 'The burst of `limit-rps` and `limit-rpm`: rate × this many requests more than the rate may come at once.',
  },
  {
    name: 'limit-whitelist', field: 'limitWhitelist', group: 'Rate limits', protection: true,
    type: { kind: 'cidr-list' }, default: 'none', example: '10.0.0.0/8, 192.0.2.7',
    doc: 'Client addresses (CIDRs, IPv4 and IPv6) that `limit-rps`, `limit-rpm` and `limit-connections` do not apply to. The client address is the one the data plane computes (with `--trusted-proxies`, the right-most untrusted X-Forwarded-For hop).',
  },
  {
    name: 'custom-http-errors', field: 'customHttpErrors', group: 'Error pages', action: true,
    type: { kind: 'status-codes' }, default: 'none (answers are relayed as they are)', example: '404,503',
    doc: 'When a route of the Ingress would answer one of these statuses (the backend\'s answer, or Gatehouse\'s own 502, 503 when no endpoint is ready, or 504), the error backend is asked instead and its answer is relayed, status included: the Service of the Ingress\'s `nginx.ingress.kubernetes.io/default-backend` annotation, else the `--default-backend` Service, as ingress-nginx\'s `error_page` to its `@custom_` locations. Without an error backend it has no effect (`AnnotationNoEffect`) and the answers are relayed as they are. A value that does not parse refuses the Ingress (every route answers 503): error pages often hide what a backend\'s own error page would show.',
  },
  {
    name: 'disable-proxy-intercept-errors', field: 'disableProxyInterceptErrors', group: 'Error pages',
    type: { kind: 'bool' }, default: 'false', example: 'true',
    doc: 'With `custom-http-errors`: the backend\'s answers are relayed as they are, whatever their status; only Gatehouse\'s own answers with a listed status (502, 503 when no endpoint is ready, 504) come from the error backend, as ingress-nginx\'s `proxy_intercept_errors off`. Without `custom-http-errors` it has no effect (`AnnotationNoEffect`).',
  },
];

export interface NginxMapping {
  /** The key is `nginx.ingress.kubernetes.io/<name>`. */
  name: string;
  field: AnnotationField;
  type: ValueType;
  /** The nginx value as Gatehouse's (e.g. `ewma` → `least-request`, tries → retries). */
  convert?: (value: unknown) => unknown;
  /** For docs: how the value is read. */
  note: string;
  /** As AnnotationSpec.protection: an unparsable value refuses the Ingress. */
  protection?: true;
  /** As AnnotationSpec.action. */
  action?: true;
}

const NGINX_LOAD_BALANCE: Record<string, LoadBalanceAlgorithm> = { round_robin: 'round-robin', ewma: 'least-request', least_conn: 'least-request' };

/**
 * ingress-nginx annotations read as their Gatehouse equivalent. A `gatehouse.dev/` annotation for
 * the same setting wins; among nginx names for one field, the first listed wins.
 */
export const NGINX_ANNOTATIONS: readonly NginxMapping[] = [
  { name: 'affinity', field: 'affinity', type: { kind: 'enum', values: ['cookie'] }, note: 'same values (`cookie`)' },
  { name: 'session-cookie-name', field: 'sessionCookieName', type: { kind: 'cookie-name' }, note: 'same' },
  { name: 'session-cookie-path', field: 'sessionCookiePath', type: { kind: 'cookie-path' }, note: 'same' },
  { name: 'session-cookie-max-age', field: 'sessionCookieMaxAge', type: { kind: 'int', min: 1, max: MAX_COOKIE_AGE_SECONDS }, note: 'same (seconds)' },
  { name: 'session-cookie-expires', field: 'sessionCookieMaxAge', type: { kind: 'int', min: 1, max: MAX_COOKIE_AGE_SECONDS }, note: 'seconds, read as Max-Age when session-cookie-max-age is absent' },
  { name: 'session-cookie-samesite', field: 'sessionCookieSameSite', type: { kind: 'enum', values: SAME_SITE_VALUES, caseInsensitive: true }, note: 'same' },
  { name: 'session-cookie-secure', field: 'sessionCookieSecure', type: { kind: 'bool' }, note: 'same' },
  {
    name: 'load-balance', field: 'loadBalance', type: { kind: 'enum', values: Object.keys(NGINX_LOAD_BALANCE) },
    convert: (v) => NGINX_LOAD_BALANCE[v as string], note: '`round_robin` → `round-robin`; `ewma` and `least_conn` → `least-request`',
  },
  {
    name: 'upstream-hash-by', field: 'hashKey', type: { kind: 'nginx-hash-by' },
    note: '`$remote_addr`/`$binary_remote_addr` → `client-ip`, `$http_x_user` → `header:x-user`, `$cookie_NAME` → `cookie:NAME`; also selects `consistent-hash`',
  },
  {
    name: 'proxy-next-upstream-tries', field: 'retries', type: { kind: 'int', min: 0, max: 100 },
    convert: (v) => ((v as number) === 0 ? MAX_RETRIES : Math.min((v as number) - 1, MAX_RETRIES)),
    note: `tries count the first attempt: retries = tries − 1 (at most ${MAX_RETRIES}); \`0\` (unlimited) → ${MAX_RETRIES}`,
  },
  { name: 'proxy-connect-timeout', field: 'connectTimeout', type: { kind: 'seconds-or-duration', ...CONNECT_TIMEOUT }, note: 'seconds (`5`), or a duration' },
  { name: 'proxy-read-timeout', field: 'readTimeout', type: { kind: 'seconds-or-duration', ...IO_TIMEOUT }, note: 'seconds (`60`), or a duration' },
  { name: 'proxy-send-timeout', field: 'sendTimeout', type: { kind: 'seconds-or-duration', ...IO_TIMEOUT }, note: 'seconds (`60`), or a duration' },
  { name: 'proxy-body-size', field: 'maxBodySize', type: { kind: 'byte-size' }, note: 'same sizes (`8m`, `1g`, `0` = no limit)' },
  { name: 'ssl-redirect', field: 'sslRedirect', type: { kind: 'bool' }, note: 'same' },
  { name: 'force-ssl-redirect', field: 'forceSslRedirect', type: { kind: 'bool' }, note: 'same' },
  { name: 'allowlist-source-range', field: 'allowSourceRange', type: { kind: 'cidr-list' }, protection: true, note: 'same (comma-separated CIDRs and addresses, IPv4 and IPv6); wins over whitelist-source-range' },
  { name: 'whitelist-source-range', field: 'allowSourceRange', type: { kind: 'cidr-list' }, protection: true, note: 'the older name of allowlist-source-range' },
  { name: 'denylist-source-range', field: 'denySourceRange', type: { kind: 'cidr-list' }, protection: true, note: 'same' },
  { name: 'permanent-redirect', field: 'permanentRedirect', type: { kind: 'redirect-url' }, action: true, note: 'same (only the documented nginx variables)' },
  { name: 'permanent-redirect-code', field: 'permanentRedirectCode', type: REDIRECT_CODE, action: true, note: 'same (outside 300 to 308: 301)' },
  { name: 'temporal-redirect', field: 'temporalRedirect', type: { kind: 'redirect-url' }, action: true, note: 'same (only the documented nginx variables)' },
  { name: 'temporal-redirect-code', field: 'temporalRedirectCode', type: REDIRECT_CODE, action: true, note: 'same (outside 300 to 307: 302)' },
  { name: 'app-root', field: 'appRoot', type: { kind: 'app-root' }, action: true, note: 'same' },
  { name: 'from-to-www-redirect', field: 'fromToWwwRedirect', type: { kind: 'bool' }, note: 'same' },
  { name: 'enable-cors', field: 'enableCors', type: { kind: 'bool' }, note: 'same' },
  { name: 'cors-allow-origin', field: 'corsAllowOrigin', type: { kind: 'cors-origins' }, action: true, note: 'same; a bad entry refuses the Ingress instead of falling back to `*`' },
  { name: 'cors-allow-methods', field: 'corsAllowMethods', type: { kind: 'token-list', what: 'a method' }, action: true, note: 'same' },
  { name: 'cors-allow-headers', field: 'corsAllowHeaders', type: { kind: 'token-list', what: 'a header name' }, action: true, note: 'same' },
  { name: 'cors-expose-headers', field: 'corsExposeHeaders', type: { kind: 'token-list', what: 'a header name' }, action: true, note: 'same' },
  { name: 'cors-allow-credentials', field: 'corsAllowCredentials', type: { kind: 'bool' }, note: 'same' },
  { name: 'cors-max-age', field: 'corsMaxAge', type: CORS_MAX_AGE, note: 'same (seconds)' },
  { name: 'use-regex', field: 'useRegex', type: { kind: 'bool' }, note: 'same, host-wide as in ingress-nginx; patterns run on RE2' },
  { name: 'rewrite-target', field: 'rewriteTarget', type: { kind: 'rewrite-target' }, action: true, note: 'same (`$1` to `$9`; no other nginx variable)' },
  { name: 'x-forwarded-prefix', field: 'xForwardedPrefix', type: { kind: 'forwarded-prefix' }, action: true, note: 'same (only with rewrite-target, as ingress-nginx\'s template)' },
  { name: 'upstream-vhost', field: 'upstreamVhost', type: { kind: 'upstream-vhost' }, action: true, note: 'same (`host[:port]`, no nginx variable)' },
  { name: 'proxy-redirect-from', field: 'proxyRedirectFrom', type: { kind: 'proxy-redirect' }, action: true, note: 'same (`off`, `default`, or a prefix; no regex form)' },
  { name: 'proxy-redirect-to', field: 'proxyRedirectTo', type: { kind: 'proxy-redirect' }, action: true, note: 'same' },
  { name: 'limit-rps', field: 'limitRps', type: LIMIT, protection: true, note: 'same' },
  { name: 'limit-rpm', field: 'limitRpm', type: LIMIT, protection: true, note: 'same' },
  { name: 'limit-connections', field: 'limitConnections', type: LIMIT, protection: true, note: 'same' },
  { name: 'limit-burst-multiplier', field: 'limitBurstMultiplier', type: BURST_MULTIPLIER, protection: true, note: 'same (0: no burst, as ingress-nginx writes it; a negative value, which breaks nginx\'s configuration, refuses the Ingress)' },
  { name: 'limit-whitelist', field: 'limitWhitelist', type: { kind: 'cidr-list' }, protection: true, note: 'same (comma-separated CIDRs and addresses)' },
  { name: 'custom-http-errors', field: 'customHttpErrors', type: { kind: 'status-codes' }, action: true, note: 'same codes (400 to 599), with the default-backend annotation\'s Service (else --default-backend) answering; a bad value refuses the Ingress' },
  { name: 'disable-proxy-intercept-errors', field: 'disableProxyInterceptErrors', type: { kind: 'bool' }, note: 'same' },
];

/**
 * ingress-nginx annotations users often carry over that Gatehouse deliberately does not read, and
 * why. Each gives a warning; any other `nginx.ingress.kubernetes.io/` key gets a generic one. Those
 * that ask for a protection are not here: they refuse the Ingress (protection-annotations.ts).
 */
export const NGINX_NOT_MAPPED: readonly { name: string; why: string }[] = [
  { name: 'affinity-mode', why: 'sessions are always persistent: added endpoints never take over existing sessions' },
  { name: 'session-cookie-change-on-failure', why: 'a client whose endpoint fails or goes away always moves, with a new cookie' },
  { name: 'session-cookie-conditional-samesite-none', why: 'no user-agent sniffing; set session-cookie-samesite explicitly' },
  { name: 'session-cookie-domain', why: 'the cookie stays host-only, so it never reaches other tenants\' hosts' },
  { name: 'proxy-next-upstream', why: 'retries happen on connection failures and resets before any response byte; not on statuses' },
  { name: 'proxy-next-upstream-timeout', why: 'retries are bounded by count and a budget, not by time' },
  { name: 'upstream-hash-by-subset', why: 'consistent-hash uses every endpoint' },
  { name: 'service-upstream', why: 'traffic always goes straight to pod endpoints' },
  { name: 'client-body-buffer-size', why: 'request bodies are streamed to the backend, never buffered' },
  { name: 'custom-headers', why: 'it names a ConfigMap, which Gatehouse does not read; use gatehouse.dev/response-headers' },
  { name: 'http2-push-preload', why: 'HTTP/2 server push is not supported (browsers removed it)' },
  { name: 'proxy-cookie-domain', why: 'Set-Cookie headers are relayed as the backend sent them' },
  { name: 'proxy-cookie-path', why: 'Set-Cookie headers are relayed as the backend sent them' },
  { name: 'enable-rewrite-log', why: 'there is no nginx rewrite log; gatehouse explain shows how a request is matched and rewritten' },
  { name: 'server-alias', why: "add the names as hosts of the Ingress's rules" },
  { name: 'upstream-hash-by-subset-size', why: 'consistent-hash uses every endpoint' },
  { name: 'proxy-buffers-number', why: 'responses are streamed, never buffered in memory or on disk' },
  { name: 'proxy-buffer-size', why: 'responses are streamed, never buffered in memory or on disk' },
  { name: 'proxy-max-temp-file-size', why: 'responses are streamed, never buffered in memory or on disk' },
  { name: 'ssl-ciphers', why: 'TLS settings are controller-wide (docs/tls.md)' },
  { name: 'ssl-prefer-server-ciphers', why: 'TLS settings are controller-wide (docs/tls.md)' },
  { name: 'connection-proxy-header', why: 'Gatehouse keeps its own keep-alive connections to the backends' },
  { name: 'enable-access-log', why: 'the access log is controller-wide (--access-log)' },
  { name: 'enable-opentelemetry', why: 'tracing is controller-wide (--otlp-endpoint); an incoming trace context is always continued' },
  { name: 'opentelemetry-trust-incoming-span', why: 'tracing is controller-wide (--otlp-endpoint); an incoming trace context is always continued' },
  { name: 'enable-opentracing', why: 'tracing is controller-wide (--otlp-endpoint); an incoming trace context is always continued' },
  { name: 'opentracing-trust-incoming-span', why: 'tracing is controller-wide (--otlp-endpoint); an incoming trace context is always continued' },
  { name: 'enable-influxdb', why: 'metrics are served in the Prometheus format on /metrics' },
  { name: 'influxdb-measurement', why: 'metrics are served in the Prometheus format on /metrics' },
  { name: 'influxdb-port', why: 'metrics are served in the Prometheus format on /metrics' },
  { name: 'influxdb-host', why: 'metrics are served in the Prometheus format on /metrics' },
  { name: 'influxdb-server-name', why: 'metrics are served in the Prometheus format on /metrics' },
  { name: 'mirror-target', why: 'request mirroring is not supported' },
  { name: 'mirror-request-body', why: 'request mirroring is not supported' },
  { name: 'mirror-host', why: 'request mirroring is not supported' },
  { name: 'fastcgi-index', why: 'FastCGI backends are not supported (backend-protocol FCGI refuses the Ingress)' },
  { name: 'fastcgi-params-configmap', why: 'FastCGI backends are not supported (backend-protocol FCGI refuses the Ingress)' },
];

/**
 * ingress-nginx annotations that ask for what Gatehouse always does: with this value they are
 * honoured without a word (Gatehouse streams request and response bodies; it never buffers them).
 * Any other value is reported as not read.
 */
export const NGINX_ALREADY_SO: readonly { name: string; value: string; why: string }[] = [
  { name: 'proxy-buffering', value: 'off', why: 'Gatehouse streams responses to the client as they arrive, as "off" asks' },
  { name: 'proxy-request-buffering', value: 'off', why: 'Gatehouse streams request bodies to the backend as they arrive, as "off" asks' },
  { name: 'proxy-http-version', value: '1.1', why: 'Gatehouse speaks HTTP/1.1 to HTTP backends' },
  { name: 'preserve-trailing-slash', value: 'true', why: "Gatehouse's redirects to HTTPS always keep the path as requested, trailing slash included" },
  { name: 'affinity-canary-behavior', value: 'sticky', why: 'a cookie-affinity session stays on the side of the canary split it started on' },
];

export const GATEHOUSE_NAMES: readonly string[] = ANNOTATIONS.map((a) => a.name);
