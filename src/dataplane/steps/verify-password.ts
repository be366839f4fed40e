// Whether a password matches a typed htpasswd hash (core/password-hash.ts). Run in the password
// check workers (password-check-worker.ts) for the slow schemes; the cheap ones ({PLAIN}, {SHA},
// {SSHA}) are also called on the event loop. MD5 crypt / apr1 (Poul-Henning Kamp's algorithm) and
// SHA-256/512 crypt (Ulrich Drepper's specification) are written here over node:crypto hashes;
// bcrypt uses bcryptjs to compute the hash only. Every final comparison is constant-time.

import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { PasswordHash } from '../../core/password-hash.ts';

export function verifyPassword(hash: PasswordHash, password: Uint8Array): boolean {
  const pw = Buffer.from(password.buffer, password.byteOffset, password.byteLength);
  switch (hash.algorithm) {
    case 'plain':
      // Digests of both, so the comparison's time does not depend on the stored password's length.
      return sameBytes(sha256(pw), sha256(Buffer.from(hash.password, 'utf8')));
    case 'sha1':
      return sameText(createHash('sha1').update(pw).digest('base64'), hash.digest);
    case 'ssha': {
      const decoded = Buffer.from(hash.encoded, 'base64');
      const digest = createHash('sha1').update(pw).update(decoded.subarray(20)).digest();
      return sameBytes(digest, decoded.subarray(0, 20));
    }
    case 'md5-crypt':
      return sameText(md5Crypt(pw, hash.salt, hash.magic), hash.digest);
    case 'sha-crypt':
      return sameText(shaCrypt(pw, hash.salt, hash.rounds, hash.bits), hash.digest);
    case 'bcrypt': {
      // $2y$ (PHP, htpasswd -B) and $2b$ are the same algorithm; bcryptjs writes $2b$.
      const expected = `$2b$${hash.encoded.slice(4)}`;
      const computed = bcrypt.hashSync(pw.toString('utf8'), expected.slice(0, 29));
      return sameText(computed, expected);
    }
  }
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function sameText(a: string, b: string): boolean {
  return sameBytes(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypt's base-64 of the 24-bit value (b2 b1 b0), least significant 6 bits first, `n` characters. */
function to64(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/** The 22-character digest of MD5 crypt ('$1$') or apr1 ('$apr1$'): only the magic string differs. */
export function md5Crypt(pw: Buffer, saltText: string, magic: '1' | 'apr1'): string {
  const salt = Buffer.from(saltText, 'latin1');
  const ctx = createHash('md5').update(pw).update(`$${magic}$`).update(salt);
  const alt = createHash('md5').update(pw).update(salt).update(pw).digest();
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(left, 16)));
  const zero = Buffer.alloc(1);
  const first = pw.subarray(0, 1);
  for (let i = pw.length; i > 0; i >>>= 1) ctx.update(i & 1 ? zero : first);
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update(i & 1 ? pw : final);
    if (i % 3 !== 0) round.update(salt);
    if (i % 7 !== 0) round.update(pw);
    round.update(i & 1 ? final : pw);
    final = round.digest();
  }
  const f = (i: number): number => final[i]!;
  return (
    to64(f(0), f(6), f(12), 4) +
    to64(f(1), f(7), f(13), 4) +
    to64(f(2), f(8), f(14), 4) +
    to64(f(3), f(9), f(15), 4) +
    to64(f(4), f(10), f(5), 4) +
    to64(0, 0, f(11), 2)
  );
}

// The byte order of the final encoding, from the specification (three bytes per group).
const SHA256_ORDER = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
  [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
] as const;
const SHA512_ORDER = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
] as const;

/** The digest part of SHA-256 ('$5$', 43 characters) or SHA-512 ('$6$', 86) crypt. */
export function shaCrypt(pw: Buffer, saltText: string, rounds: number, bits: 256 | 512): string {
  const algorithm = bits === 256 ? 'sha256' : 'sha512';
  const size = bits / 8;
  const salt = Buffer.from(saltText.slice(0, 16), 'latin1');
  const b = createHash(algorithm).update(pw).update(salt).update(pw).digest();
  const a = createHash(algorithm).update(pw).update(salt);
  let left = pw.length;
  for (; left > size; left -= size) a.update(b);
  a.update(b.subarray(0, left));
  for (let i = pw.length; i > 0; i >>>= 1) a.update(i & 1 ? b : pw);
  let c = a.digest();

  const dp = createHash(algorithm);
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const pBytes = repeat(dp.digest(), pw.length);
  const ds = createHash(algorithm);
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(salt);
  const sBytes = repeat(ds.digest(), salt.length);

  for (let i = 0; i < rounds; i++) {
    const round = createHash(algorithm);
    round.update(i & 1 ? pBytes : c);
    if (i % 3 !== 0) round.update(sBytes);
    if (i % 7 !== 0) round.update(pBytes);
    round.update(i & 1 ? c : pBytes);
    c = round.digest();
  }
  const f = (i: number): number => c[i]!;
  let out = '';
  for (const [x, y, z] of bits === 256 ? SHA256_ORDER : SHA512_ORDER) out += to64(f(x), f(y), f(z), 4);
  return bits === 256 ? out + to64(0, f(31), f(30), 3) : out + to64(0, 0, f(63), 2);
}

/** `length` bytes of `block` repeated (the P and S sequences of the specification). */
function repeat(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}
