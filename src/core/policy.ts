// Per-Ingress traffic policy, parsed from typed `gatehouse.dev/*` annotations
// (and the mapped ingress-nginx ones) by core/annotations/. Every field has a default,
// so an invalid annotation is reported and the default applies.

import type { PasswordHash } from './password-hash.ts';

export type LoadBalanceAlgorithm = 'round-robin' | 'least-request' | 'random' | 'consistent-hash';

export type HashKey =
  | { kind: 'header'; name: string } // lower-case header name
  | { kind: 'cookie'; name: string }
  | { kind: 'client-ip' };

export type SameSite = 'Strict' | 'Lax' | 'None';

export interface CookieAffinity {
  cookieName: string; // RFC 6265 token
  path: string; // validated cookie-path
  maxAgeSeconds?: number;
  sameSite?: SameSite;
  /** undefined = Secure over HTTPS only. */
  secure?: boolean;
}

export interface HstsPolicy {
  maxAgeSeconds: number;
  includeSubDomains: boolean;
  preload: boolean;
}

/** One CIDR block, as the data plane's address matcher takes it (host bits may be set). */
export interface CidrBlock {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Client source ranges (ingress-nginx allowlist/denylist-source-range). A client address in `deny`
 * is refused; with `allow` set, only addresses in it are admitted. Refused requests answer 403.
 */
export interface SourceRanges {
  allow?: CidrBlock[];
  deny?: CidrBlock[];
}

/**
 * Why every route of an Ingress answers 503: an annotation asks for a protection Gatehouse does not
 * enforce, or enforces but cannot parse (docs/security.md, "Fail closed"). `code` is the error
 * diagnostic's code, written to the access log; `annotation` the first refusing key (sorted).
 */
export interface PolicyRefusal {
  code: string;
  annotation: string;
}

/**
 * HTTP basic authentication (ingress-nginx auth-type: basic), with the credentials of its Secret
 * already parsed into typed hashes. A request without valid credentials answers 401.
 */
export interface BasicAuthPolicy {
  /** The WWW-Authenticate realm: printable ASCII without '"' or '\\', so it quotes as it is. */
  realm: string;
  /** The Secret read, 'ns/name' (for logs and /debug). */
  secret: string;
  /** user → hash. Redacted by redactTable(). */
  users: Record<string, PasswordHash>;
}

/** nginx variables external authentication templates may use (core/annotations/auth-template.ts). */
export type AuthVariable =
  | 'scheme'
  | 'pass_access_scheme'
  | 'host'
  | 'http_host'
  | 'best_http_host'
  | 'server_port'
  | 'request_uri'
  | 'escaped_request_uri'
  | 'uri'
  | 'args'
  | 'query_string'
  | 'is_args'
  | 'request_method'
  | 'remote_addr'
  | 'req_id'
  | 'remote_user';

/** A template as typed parts: literal text, a variable, a request header ($http_x_y) or a cookie ($cookie_NAME). */
export type AuthTemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: AuthVariable }
  | { kind: 'header'; name: string } // lower-case, '-' for nginx's '_'
  | { kind: 'cookie'; name: string };

/** One auth-cache-duration entry: 2xx answers with one of these statuses are cached for ttlMs. */
export interface AuthCacheDuration {
  statuses: number[];
  ttlMs: number;
}

/**
 * External authentication (ingress-nginx auth-url and friends): before a request goes upstream, a
 * subrequest without its body asks the auth service; 2xx lets it through, 401 answers 401 (or
 * redirects to `signin`), 403 answers 403, anything else 500 (docs/security.md, External auth).
 */
export interface ExternalAuthPolicy {
  url: AuthTemplatePart[];
  /** auth-method; undefined: GET, as nginx's auth_request subrequest. */
  method?: string;
  signin?: AuthTemplatePart[];
  /** The query parameter of the signin URL that carries the original URL ('rd'). */
  signinRedirectParam: string;
  /** What goes before `rd=`: '?', '&', '' (the URL ends with '?' or '&'), or 'none': the URL already sets the parameter. */
  signinSeparator: '?' | '&' | '' | 'none';
  /** auth-response-headers as written: copied from a 2xx auth answer onto the upstream request. */
  responseHeaders: string[];
  /** auth-request-redirect (the X-Auth-Request-Redirect value); undefined: $request_uri. */
  requestRedirect?: AuthTemplatePart[];
  /** auth-cache-key; undefined: no caching. */
  cacheKey?: AuthTemplatePart[];
  cacheDurations: AuthCacheDuration[];
  /** auth-always-set-cookie: the auth answer's Set-Cookie on every response, errors included. */
  alwaysSetCookie: boolean;
}

/** nginx variables a redirect target may use; the data plane fills them from the parsed request. */
export type RedirectVariable = 'scheme' | 'host' | 'request_uri' | 'uri' | 'args' | 'is_args' | 'query_string';

/** A redirect target as typed parts: literal text (already validated URL characters) and variables. */
export type RedirectPart = { kind: 'text'; text: string } | { kind: 'var'; name: RedirectVariable };

/** ingress-nginx permanent-redirect / temporal-redirect: every request of the route is redirected. */
export interface RedirectPolicy {
  code: number; // 300..308
  location: RedirectPart[];
  /** Which annotation asked for it, for the access log. */
  kind: 'permanent' | 'temporal';
}

/** One allowed origin: `host` is lower-case `name[:port]`, and may start with `*.` (one DNS label). */
export interface CorsOrigin {
  scheme: 'http' | 'https';
  host: string;
}

/** ingress-nginx enable-cors and its settings, with its defaults applied. */
export interface CorsPolicy {
  /** '*': any origin, answered `Access-Control-Allow-Origin: *`; otherwise the matching Origin is echoed. */
  origins: '*' | CorsOrigin[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  maxAgeSeconds: number;
}

/** nginx variables a header value or a snippet's `return` may use (core/snippets/value-template.ts). */
export type TemplateVariable = 'host' | 'request_uri' | 'scheme' | 'remote_addr' | 'req_id';

/** A value as typed parts: literal text (printable ASCII and tabs) and variables the data plane fills in. */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'var'; name: TemplateVariable };

/** A request header sent upstream instead of the client's (lower-case name); an empty value removes it. */
export interface HeaderSetting {
  name: string;
  value: TemplatePart[];
}

/**
 * A response header: `set` replaces the backend's (more_set_headers; an empty value only clears it);
 * `add` appends (add_header), on 200, 201, 204, 206, 301, 302, 303, 304, 307 and 308 unless `always`.
 */
export interface ResponseHeaderSetting {
  name: string;
  value: TemplatePart[];
  mode: 'set' | 'add';
  always: boolean;
}

/** Typed header edits from gatehouse.dev/request-headers, response-headers, remove-response-headers and snippets. */
export interface HeaderEdits {
  request: HeaderSetting[];
  response: ResponseHeaderSetting[];
  /** Lower-case names removed from responses; a name ending in '*' removes every name starting with the rest. */
  hide: string[];
}

/** A snippet's `return`: every request of the route is answered by Gatehouse, never forwarded. */
export interface FixedAnswer {
  /** 444 closes the connection without an answer, as nginx does. */
  status: number;
  /** For 301, 302, 303, 307 and 308 (and `return URL`): the Location. */
  location?: TemplatePart[];
  /** For other statuses: a text/plain body. */
  body?: TemplatePart[];
}

/**
 * How endpoints are reached (ingress-nginx backend-protocol; H2C from gatehouse.dev/backend-protocol):
 * HTTP/1.1 in clear or over TLS, HTTP/2 with prior knowledge in clear (GRPC, H2C) or over TLS with
 * ALPN h2 (GRPCS), or AUTO_HTTP: HTTPS when the client came over TLS, HTTP otherwise.
 */
export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS' | 'AUTO_HTTP' | 'H2C';

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * TLS to the endpoints (ingress-nginx proxy-ssl-*), used when the protocol is HTTPS, GRPCS or
 * AUTO_HTTP over TLS. The name (SNI and verification) is `name`, else the request's Host.
 */
export interface BackendTlsPolicy {
  /** proxy-ssl-name: the name sent as SNI and verified; absent: the request's Host. */
  name?: string;
  /** proxy-ssl-server-name: on sends SNI (ingress-nginx's default is off: no SNI). */
  sni: boolean;
  /** proxy-ssl-verify: on, with the CA of proxy-ssl-secret; absent: the certificate is not checked. */
  verify?: { caPem: string; depth: number };
  /** tls.crt/tls.key of proxy-ssl-secret: the client certificate presented to the endpoint. Redacted by redactTable(). */
  clientCertificate?: { certPem: string; keyPem: string };
  /** The Secret read, 'ns/name' (for logs and /debug). */
  secret?: string;
  /** proxy-ssl-protocols as a version range; absent: Node's defaults (TLS 1.2 to 1.3). */
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** proxy-ssl-ciphers: an OpenSSL cipher list (TLS 1.2 and below). */
  ciphers?: string;
}

/** A rewrite-target as typed parts: literal path text and capture references ($1..$9). */
export type RewritePart = { kind: 'text'; text: string } | { kind: 'group'; index: number };

/** ingress-nginx rewrite-target: the upstream path of a request matched by a regex route. */
export interface RewritePolicy {
  /** The annotation as written: a route whose path is this same text is not rewritten (ingress-nginx). */
  target: string;
  parts: RewritePart[];
  /** x-forwarded-prefix: sent as X-Forwarded-Prefix with the rewritten request (ingress-nginx sets it only then). */
  forwardedPrefix?: string;
}

/** A proxy-redirect-from / -to value as parsed. */
export type ProxyRedirectValue = { kind: 'off' } | { kind: 'default' } | { kind: 'text'; text: string };

/** ingress-nginx proxy-redirect-from/-to (nginx proxy_redirect FROM TO): Location and Refresh starting with `from`. */
export interface ProxyRedirectPolicy {
  from: string;
  to: string;
}

/**
 * ingress-nginx limit-rps / limit-rpm / limit-connections / limit-burst-multiplier / limit-whitelist,
 * per client address and per Ingress (ingress-nginx names its limit_req and limit_conn zones after
 * the Ingress, so every path of an Ingress shares them). A refused request answers the
 * --limit-status-code status (503 by default, as ingress-nginx).
 */
export interface RateLimitPolicy {
  /** nginx limit_req rate=Nr/s with burst = N × burstMultiplier, nodelay. */
  rps?: number;
  /** nginx limit_req rate=Nr/m with burst = N × burstMultiplier, nodelay. */
  rpm?: number;
  burstMultiplier: number;
  /** nginx limit_conn: requests in progress per client address. */
  connections?: number;
  /** Client addresses that are never limited. */
  whitelist?: CidrBlock[];
}

/** ingress-nginx auth-tls-verify-client values that ask for a certificate ('off' asks for none). */
export type ClientCertificateVerify = 'on' | 'optional' | 'optional_no_ca';

/**
 * Client certificates (ingress-nginx auth-tls-*), per Ingress. The host's TLS handshake requests a
 * certificate signed by `caPem` (checked against `crlPem` when set); a request whose handshake did
 * not give what `verify` asks for answers 400 (or redirects to `errorPage`).
 */
export interface ClientCertificatePolicy {
  verify: ClientCertificateVerify;
  /** Most intermediate CA certificates between the client certificate and a CA of `caPem` (OpenSSL's verify depth). */
  depth: number;
  /** The Secret read, 'ns/name'. */
  secret: string;
  /** ca.crt: one or more PEM certificates (public: not redacted). */
  caPem: string;
  /** ca.crl: PEM CRLs, when the Secret has them. */
  crlPem?: string;
  /** auth-tls-pass-certificate-to-upstream: the client certificate goes upstream as `ssl-client-cert` (URL-escaped PEM). */
  passCertificate: boolean;
  /** auth-tls-error-page: refused requests are redirected (302) here instead of answering 400. */
  errorPage?: string;
}

/**
 * ingress-nginx custom-http-errors: a route's answer with one of `codes` (the backend's, or
 * Gatehouse's own 502/503/504) is replaced by the error backend's answer to a request carrying
 * X-Code and the other headers of ingress-nginx's `@custom_` locations (dataplane/proxy/custom-error-request.ts).
 */
export interface CustomErrorsPolicy {
  /** Sorted, distinct, 400 to 599. */
  codes: number[];
  /**
   * The error backend (a RouteTable.backends id): the default-backend annotation's Service when it
   * has a ready endpoint, else --default-backend's (core/resolve-custom-errors.ts).
   */
  backend: string;
  /** disable-proxy-intercept-errors: the backend's answers are relayed; only Gatehouse's own 502/503/504 are replaced. */
  ownAnswersOnly?: true;
}

export interface RoutePolicy {
  /** Set when an annotation cannot be honoured: the Ingress's routes answer 503, never forward. */
  refused?: PolicyRefusal;
  /** Plain-HTTP requests for a TLS host are redirected with 308 unless this is false. */
  sslRedirect: boolean;
  /** Plain-HTTP requests are redirected to HTTPS even when the host has no TLS (TLS ends outside). */
  forceSslRedirect?: boolean;
  sourceRanges?: SourceRanges;
  basicAuth?: BasicAuthPolicy;
  externalAuth?: ExternalAuthPolicy;
  /** mtls: client certificates (resolve-client-certificate.ts; enforced by dataplane/steps/client-certificate.ts). */
  clientCertificate?: ClientCertificatePolicy;
  hsts?: HstsPolicy;
  affinity?: CookieAffinity;
  loadBalance: LoadBalanceAlgorithm;
  hashKey?: HashKey;
  /** Retries on another endpoint after a connect failure or a reset before any response byte. */
  retries: number;
  /** Milliseconds; undefined means the controller-wide default from flags. */
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  sendTimeoutMs?: number;
  /** Bytes; undefined means the controller-wide default; UNLIMITED_BODY_SIZE means no limit. */
  maxBodySize?: number;
  /** Passive health: also count 5xx responses as failures. */
  ejectOn5xx: boolean;
  /** Every request is answered with this redirect instead of being forwarded. */
  redirect?: RedirectPolicy;
  /** A request for exactly `/` is answered 302 to this path (ingress-nginx app-root). */
  appRoot?: string;
  cors?: CorsPolicy;
  /** Per-client request rate and concurrency limits (steps/rate-limits.ts). */
  rateLimit?: RateLimitPolicy;
  /** ingress-nginx from-to-www-redirect: the other name of each host redirects to it (www-redirects.ts). */
  fromToWww?: true;
  /** Request and response header edits (gatehouse.dev/*-headers annotations and snippets). */
  headerEdits?: HeaderEdits;
  /** A snippet's `return`: the route answers this instead of forwarding. */
  fixedAnswer?: FixedAnswer;
  /** How endpoints are reached; absent: HTTP/1.1 in clear (resolve-backend-protocol.ts). */
  backendProtocol?: BackendProtocol;
  /** TLS settings to the endpoints, for the protocols that use TLS. */
  backendTls?: BackendTlsPolicy;
  /**
   * use-regex or rewrite-target: every path of this Ingress's hosts, other Ingresses' included, is
   * matched as a regex (ingress-nginx's host-wide quirk, core/regex-hosts.ts).
   */
  regexPaths?: true;
  /** rewrite-target: applied to requests matched by a regex route of this Ingress. */
  rewrite?: RewritePolicy;
  /** upstream-vhost: the Host header sent upstream. */
  upstreamVhost?: string;
  proxyRedirect?: ProxyRedirectPolicy;
  /** custom-http-errors with its error backend; absent when there is none (core/resolve-custom-errors.ts). */
  customErrors?: CustomErrorsPolicy;
}

export const DEFAULT_POLICY: RoutePolicy = Object.freeze({
  sslRedirect: true,
  loadBalance: 'round-robin',
  retries: 1,
  ejectOn5xx: false,
}) as RoutePolicy;

/** maxBodySize for "no limit" (`0` in the annotation): a plain number, so the table stays JSON. */
export const UNLIMITED_BODY_SIZE = Number.MAX_SAFE_INTEGER;
