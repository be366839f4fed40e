// Cookie session affinity: the cookie value names an endpoint by a keyed hash (HMAC-SHA256 of the
// backend and the endpoint's address, truncated to 128 bits, base64url), so it never exposes a pod
// address and cannot be forged to pick an endpoint of the client's choosing other than by replaying
// a value Gatehouse issued. The Set-Cookie header is assembled once per endpoint from parts that
// were validated when the annotation was parsed, and validated again here.
//
// The key is random per process unless one is configured: several Gatehouse replicas behind one
// load balancer need the same key (see createAffinityKey) for a cookie issued by one to be honoured
// by another.
import { createHmac, randomBytes } from 'node:crypto';
import { isCookiePath, isToken } from '../../core/annotations/value-types.ts';
import type { CookieAffinity } from '../../core/policy.ts';
import type { Endpoint } from '../../core/route-table.ts';

export const DEFAULT_AFFINITY_COOKIE = 'GATEHOUSE';

/** A fresh 256-bit key. */
/** A shorter HMAC key would make cookie values guessable across endpoints. */
export const MIN_AFFINITY_KEY_BYTES = 16;

export function createAffinityKey(): Buffer {
  return randomBytes(32);
}

/** The cookie value that pins `endpoint` of `backendId`: 22 base64url characters. */
export function affinityCookieValue(key: Buffer, backendId: string, endpoint: Pick<Endpoint, 'address' | 'port'>): string {
  return createHmac('sha256', key).update(`${backendId}\n${endpoint.address}\n${endpoint.port}`).digest().subarray(0, 16).toString('base64url');
}

export interface AffinityCookie {
  readonly name: string;
  /** The Set-Cookie value for a cookie value, over plain HTTP and over HTTPS. */
  setCookie(value: string, https: boolean): string;
}

/**
 * The Set-Cookie builder for a policy. A name or path that does not pass validation (the parser
 * never lets one through) falls back to the defaults rather than reaching a header.
 */
export function affinityCookie(policy: CookieAffinity): AffinityCookie {
  const name = isToken(policy.cookieName) ? policy.cookieName : DEFAULT_AFFINITY_COOKIE;
  const path = isCookiePath(policy.path) ? policy.path : '/';
  let attributes = `; Path=${path}`;
  const maxAge = policy.maxAgeSeconds;
  if (maxAge !== undefined && Number.isSafeInteger(maxAge) && maxAge > 0) attributes += `; Max-Age=${maxAge}`;
  const sameSite = policy.sameSite;
  if (sameSite === 'Strict' || sameSite === 'Lax' || sameSite === 'None') attributes += `; SameSite=${sameSite}`;
  attributes += '; HttpOnly';
  const plain = policy.secure === true ? `${attributes}; Secure` : attributes;
  const secure = policy.secure === false ? attributes : `${attributes}; Secure`;
  return {
    name,
    setCookie(value: string, https: boolean): string {
      return `${name}=${value}${https ? secure : plain}`;
    },
  };
}
