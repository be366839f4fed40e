// Per-Ingress traffic policy, parsed from typed `gatehouse.dev/*` annotations
// (and the mapped ingress-nginx ones) by core/annotations/. Every field has a default,
// so an invalid annotation is reported and the default applies.

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

export interface RoutePolicy {
  /** Plain-HTTP requests for a TLS host are redirected with 308 unless this is false. */
  sslRedirect: boolean;
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
}

export const DEFAULT_POLICY: RoutePolicy = Object.freeze({
  sslRedirect: true,
  loadBalance: 'round-robin',
  retries: 1,
  ejectOn5xx: false,
}) as RoutePolicy;

/** maxBodySize for "no limit" (`0` in the annotation): a plain number, so the table stays JSON. */
export const UNLIMITED_BODY_SIZE = Number.MAX_SAFE_INTEGER;
