// The basic authentication step (ingress-nginx auth-type: basic), run right after the access check
// for HTTP/1, HTTP/2, HTTPS and upgrades alike. It reads `Authorization: Basic`, looks the user up
// in the credentials the core parsed from the Secret, and verifies the password: the cheap schemes
// ({PLAIN}, {SHA}, {SSHA}) inline, the slow ones (bcrypt, sha-crypt, MD5 crypt) in the bounded
// worker pool, so the answer may come later (`done` is called once, or never when the client went
// away first). A credential verified recently is remembered for a short time, keyed by an HMAC of
// user, password and stored hash under a per-process key (a changed Secret misses the cache;
// the cache never holds a password). No or wrong credentials answer 401 with the realm's
// challenge; a full check queue answers 503 (never admits). After success, the exchange drops the
// Authorization header before forwarding, as ingress-nginx's template does.

import { createHmac, randomBytes } from 'node:crypto';
import type { PasswordHash } from '../../core/password-hash.ts';
import type { BasicAuthPolicy } from '../../core/policy.ts';
import { sharedPasswordCheckPool, type PasswordCheckPool } from './password-check-pool.ts';
import { verifyPassword } from './verify-password.ts';

export interface CompiledBasicAuth {
  /** The WWW-Authenticate value: the realm is printable ASCII without '"' or '\' (checked by the core). */
  readonly challenge: string;
  readonly users: ReadonlyMap<string, CompiledUser>;
}

interface CompiledUser {
  readonly hash: PasswordHash;
  /** The hash as JSON: part of the cache key, so a changed hash is never served from the cache. */
  readonly tag: string;
}

export interface AuthRefusal {
  status: 401 | 503;
  error: string;
  /** Extra response header fields (name, value, ...). */
  headers: string[];
}

/** How long a verified credential is remembered, and how many are. */
export const VERIFIED_TTL_MS = 30_000;
export const VERIFIED_MAX_ENTRIES = 4096;
/** Longer Authorization values are refused without decoding (no real credential comes close). */
const MAX_CREDENTIALS_LENGTH = 4096;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function compileBasicAuth(policy: BasicAuthPolicy | undefined): CompiledBasicAuth | undefined {
  if (policy === undefined) return undefined;
  const users = new Map<string, CompiledUser>();
  for (const [user, hash] of Object.entries(policy.users)) users.set(user, { hash, tag: JSON.stringify(hash) });
  return { challenge: `Basic realm="${policy.realm}"`, users };
}

const cacheKey = randomBytes(32);
const verified = new Map<string, number>();

/**
 * Calls `done(undefined)` when the credentials are right, `done(refusal)` otherwise; synchronously
 * when no worker is needed. `cancelled()` true (the client went away) drops a queued check.
 */
export function checkBasicAuth(
  auth: CompiledBasicAuth,
  authorization: string | string[] | undefined,
  cancelled: () => boolean,
  done: (refusal: AuthRefusal | undefined) => void,
  pool: PasswordCheckPool = sharedPasswordCheckPool(),
): void {
  const challenge = (error: string): AuthRefusal => ({ status: 401, error, headers: ['www-authenticate', auth.challenge] });
  const credentials = typeof authorization === 'string' ? parseBasic(authorization) : undefined;
  if (credentials === undefined) return done(challenge(authorization === undefined ? 'no credentials' : 'malformed credentials'));
  const user = auth.users.get(credentials.user);
  if (user === undefined) return done(challenge('unknown user'));
  const key = createHmac('sha256', cacheKey).update(credentials.user).update('\0').update(user.tag).update('\0').update(credentials.password).digest('base64');
  const now = performance.now();
  const expires = verified.get(key);
  if (expires !== undefined) {
    if (expires > now) return done(undefined);
    verified.delete(key);
  }
  const settle = (match: boolean): void => {
    if (!match) return done(challenge('wrong password'));
    remember(key, performance.now() + VERIFIED_TTL_MS);
    done(undefined);
  };
  const algorithm = user.hash.algorithm;
  if (algorithm === 'plain' || algorithm === 'sha1' || algorithm === 'ssha') return settle(verifyPassword(user.hash, credentials.password));
  const queued = pool.check(user.hash, credentials.password, cancelled, (result) => {
    if (result === 'failed') return done({ status: 503, error: 'password check failed', headers: [] });
    settle(result === 'match');
  });
  if (!queued) done({ status: 503, error: 'password check queue full', headers: [] });
}

function remember(key: string, expires: number): void {
  verified.delete(key);
  if (verified.size >= VERIFIED_MAX_ENTRIES) {
    // Oldest first (Map keeps insertion order): expired or not, the oldest entry goes.
    const oldest = verified.keys().next();
    if (oldest.done !== true) verified.delete(oldest.value);
  }
  verified.set(key, expires);
}

/** `Basic <base64 of user:password>` (scheme case-insensitive); undefined when it is not that. */
function parseBasic(header: string): { user: string; password: Buffer } | undefined {
  if (header.length > MAX_CREDENTIALS_LENGTH || header.length < 7 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const token = header.slice(6).trim();
  if (token.length % 4 !== 0 || !BASE64.test(token)) return undefined;
  const decoded = Buffer.from(token, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return undefined;
  return { user: decoded.subarray(0, colon).toString('utf8'), password: decoded.subarray(colon + 1) };
}

/** The upstream header list (name, value, ...) without Authorization. */
export function withoutAuthorization(headers: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === 'authorization') continue;
    out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}
