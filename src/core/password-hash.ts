// One htpasswd password field → a typed hash (algorithm and parameters), the formats nginx's
// auth_basic accepts: bcrypt, apr1 and MD5 crypt, SHA-256/512 crypt, {SHA}, {SSHA}, {PLAIN}.
// Nothing here hashes anything (the core has no crypto); the data plane's workers verify
// (dataplane/steps/verify-password.ts). A format Gatehouse cannot verify is named, never guessed:
// DES crypt and the other legacy crypt schemes are refused rather than compared as text.

export type PasswordHash =
  /** `encoded` is the whole 60-character string bcrypt verifiers take. */
  | { algorithm: 'bcrypt'; variant: '2a' | '2b' | '2y'; cost: number; encoded: string }
  /** '$1$' (MD5 crypt) or '$apr1$' (Apache's variant: only the magic string differs). */
  | { algorithm: 'md5-crypt'; magic: '1' | 'apr1'; salt: string; digest: string }
  /** '$5$' / '$6$'; `explicitRounds` because the rounds=N prefix takes part in the computation's output only. */
  | { algorithm: 'sha-crypt'; bits: 256 | 512; rounds: number; explicitRounds: boolean; salt: string; digest: string }
  /** {SHA}: base64 of SHA-1(password). */
  | { algorithm: 'sha1'; digest: string }
  /** {SSHA}: base64 of SHA-1(password + salt) followed by the salt. */
  | { algorithm: 'ssha'; encoded: string }
  | { algorithm: 'plain'; password: string };

export type ParsedHash = { ok: true; hash: PasswordHash } | { ok: false; unsupported: boolean; reason: string };

/** bcrypt costs above this take seconds per check: refused so one Secret cannot monopolise the workers. */
export const MAX_BCRYPT_COST = 15;
/** sha-crypt rounds above this (the default is 5000) are refused for the same reason. */
export const MAX_SHA_CRYPT_ROUNDS = 1_000_000;
const MIN_SHA_CRYPT_ROUNDS = 1000;

const CRYPT64 = /^[./0-9A-Za-z]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parsePasswordHash(text: string): ParsedHash {
  if (text.startsWith('{PLAIN}')) return ok({ algorithm: 'plain', password: text.slice(7) });
  if (text.startsWith('{SHA}')) {
    const digest = text.slice(5);
    if (digest.length !== 28 || !BASE64.test(digest) || !digest.endsWith('=')) return bad('a {SHA} hash is the base64 of 20 bytes');
    return ok({ algorithm: 'sha1', digest });
  }
  if (text.startsWith('{SSHA}')) {
    const encoded = text.slice(6);
    // More than 20 bytes: the SHA-1 digest and at least one byte of salt.
    if (encoded.length % 4 !== 0 || !BASE64.test(encoded) || base64Length(encoded) <= 20 || encoded.length > 256) {
      return bad('an {SSHA} hash is the base64 of a 20-byte digest followed by its salt');
    }
    return ok({ algorithm: 'ssha', encoded });
  }
  if (text.startsWith('$2')) return parseBcrypt(text);
  if (text.startsWith('$1$')) return parseMd5Crypt(text, '1');
  if (text.startsWith('$apr1$')) return parseMd5Crypt(text, 'apr1');
  if (text.startsWith('$5$')) return parseShaCrypt(text, 256);
  if (text.startsWith('$6$')) return parseShaCrypt(text, 512);
  if (text.length === 13 && CRYPT64.test(text)) return unsupported('DES crypt (the traditional 13-character crypt(3) hash, which keeps only 8 characters of the password)');
  if (text.startsWith('_') && text.length === 20 && CRYPT64.test(text.slice(1))) return unsupported('BSDi extended DES crypt');
  for (const [prefix, name] of LEGACY_SCHEMES) if (text.startsWith(prefix)) return unsupported(name);
  return unsupported('an unrecognised hash format (use bcrypt, SHA-256/512 crypt, apr1 or MD5 crypt, {SHA} or {SSHA})');
}

const LEGACY_SCHEMES: readonly (readonly [string, string])[] = [
  ['$y$', 'yescrypt'],
  ['$gy$', 'gost-yescrypt'],
  ['$7$', 'scrypt crypt'],
  ['$3$', 'NT hash crypt'],
  ['$md5', 'Sun MD5 crypt'],
  ['$sha1$', 'NetBSD SHA-1 crypt'],
];

function parseBcrypt(text: string): ParsedHash {
  const variant = text.slice(2, 3);
  if (variant !== 'a' && variant !== 'b' && variant !== 'y') return unsupported(`bcrypt variant "$2${variant.replace(/[^a-z]/g, '?')}$"`);
  // $2b$NN$ + 22 characters of salt + 31 of digest.
  if (text.length !== 60 || text[3] !== '$' || text[6] !== '$' || !/^[0-9]{2}$/.test(text.slice(4, 6)) || !CRYPT64.test(text.slice(7))) {
    return bad('a bcrypt hash is "$2y$", a two-digit cost, "$" and 53 characters of [./0-9A-Za-z]');
  }
  const cost = Number(text.slice(4, 6));
  if (cost < 4) return bad(`bcrypt cost ${cost} is below the minimum of 4`);
  if (cost > MAX_BCRYPT_COST) return bad(`bcrypt cost ${cost} is above Gatehouse's limit of ${MAX_BCRYPT_COST} (each check would take seconds)`);
  return ok({ algorithm: 'bcrypt', variant: `2${variant}`, cost, encoded: text });
}

function parseMd5Crypt(text: string, magic: '1' | 'apr1'): ParsedHash {
  const rest = text.slice(magic.length + 2);
  const dollar = rest.indexOf('$');
  const salt = dollar < 0 ? '' : rest.slice(0, dollar);
  const digest = dollar < 0 ? '' : rest.slice(dollar + 1);
  if (dollar < 1 || salt.length > 8 || !CRYPT64.test(salt) || digest.length !== 22 || !CRYPT64.test(digest)) {
    return bad(`an ${magic === '1' ? 'MD5 crypt ($1$)' : 'apr1'} hash is "$${magic}$", a salt of 1 to 8 characters, "$" and 22 characters of [./0-9A-Za-z]`);
  }
  return ok({ algorithm: 'md5-crypt', magic, salt, digest });
}

function parseShaCrypt(text: string, bits: 256 | 512): ParsedHash {
  const name = bits === 256 ? 'SHA-256 crypt ($5$)' : 'SHA-512 crypt ($6$)';
  let rest = text.slice(3);
  let rounds = 5000;
  let explicitRounds = false;
  if (rest.startsWith('rounds=')) {
    const end = rest.indexOf('$');
    const digits = end < 0 ? '' : rest.slice(7, end);
    if (!/^[0-9]{1,10}$/.test(digits)) return bad(`a ${name} hash has "rounds=" followed by a number and "$"`);
    rounds = Math.max(MIN_SHA_CRYPT_ROUNDS, Number(digits)); // the specification raises small counts to 1000
    if (rounds > MAX_SHA_CRYPT_ROUNDS) return bad(`${name} rounds=${digits} is above Gatehouse's limit of ${MAX_SHA_CRYPT_ROUNDS}`);
    explicitRounds = true;
    rest = rest.slice(end + 1);
  }
  const dollar = rest.lastIndexOf('$');
  const salt = dollar < 0 ? '' : rest.slice(0, dollar);
  const digest = dollar < 0 ? '' : rest.slice(dollar + 1);
  if (dollar < 0 || salt.length > 16 || salt.includes('$') || !CRYPT64.test(salt) || digest.length !== (bits === 256 ? 43 : 86) || !CRYPT64.test(digest)) {
    return bad(`a ${name} hash is "$${bits === 256 ? 5 : 6}$", optionally "rounds=N$", a salt of up to 16 characters, "$" and ${bits === 256 ? 43 : 86} characters of [./0-9A-Za-z]`);
  }
  return ok({ algorithm: 'sha-crypt', bits, rounds, explicitRounds, salt, digest });
}

function base64Length(text: string): number {
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  return (text.length / 4) * 3 - padding;
}

function ok(hash: PasswordHash): ParsedHash {
  return { ok: true, hash };
}
function bad(reason: string): ParsedHash {
  return { ok: false, unsupported: false, reason };
}
function unsupported(reason: string): ParsedHash {
  return { ok: false, unsupported: true, reason };
}

/** The hash with its secret parts replaced, for /debug and logs: algorithm and cost stay. */
export function redactHash(hash: PasswordHash): PasswordHash {
  const r = '<redacted>';
  switch (hash.algorithm) {
    case 'bcrypt':
      return { ...hash, encoded: r };
    case 'md5-crypt':
    case 'sha-crypt':
      return { ...hash, salt: r, digest: r };
    case 'sha1':
      return { ...hash, digest: r };
    case 'ssha':
      return { ...hash, encoded: r };
    case 'plain':
      return { ...hash, password: r };
  }
}
