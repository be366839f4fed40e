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

export interface RoutePolicy {
  /** Set when an annotation cannot be honoured: the Ingress's routes answer 503, never forward. */
  refused?: PolicyRefusal;
  /** Plain-HTTP requests for a TLS host are redirected with 308 unless this is false. */
  sslRedirect: boolean;
  /** Plain-HTTP requests are redirected to HTTPS even when the host has no TLS (TLS ends outside). */
  forceSslRedirect?: boolean;
  sourceRanges?: SourceRanges;
  basicAuth?: BasicAuthPolicy;
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
  /** ingress-nginx from-to-www-redirect: the other name of each host redirects to it (www-redirects.ts). */
  fromToWww?: true;
}

export const DEFAULT_POLICY: RoutePolicy = Object.freeze({
  sslRedirect: true,
  loadBalance: 'round-robin',
  retries: 1,
  ejectOn5xx: false,
}) as RoutePolicy;

/** maxBodySize for "no limit" (`0` in the annotation): a plain number, so the table stays JSON. */
export const UNLIMITED_BODY_SIZE = Number.MAX_SAFE_INTEGER;
