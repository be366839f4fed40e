// One canonical path, computed before routing and used both to match and to forward, so the
// route Gatehouse picks and the resource the pod serves are always the same one.
//
// Canonical form (RFC 3986 §6.2.2 normalisation, made strict):
//   - percent-encodings of unreserved characters are decoded, every other one is upper-cased;
//   - encodings of '/', '\', NUL and other controls, '%', ';', '?', '#' are refused (a pod that
//     decodes them would see a different path than the one routed), as are malformed ones;
//   - printable ASCII that RFC 3986 does not allow raw in a path (`"<>[]^`{|}`) is percent-encoded;
//   - dot segments are removed (clamped at the root), repeated slashes merged, so a leading '//'
//     is a path and never an authority; a `..;x` or `.;x` segment is refused (servlet containers
//     read it as a dot segment);
//   - raw backslash, raw controls, raw space and raw non-ASCII are refused.
// The query is never rewritten, only checked for bytes that cannot appear in a request target.
// A fragment anywhere is refused.
//
// Hot path: one pass over the target, no regular expression, and no allocation beyond two slices
// when the target is already canonical (the common case).

import { parseAuthority } from './authority.ts';

export type CanonicalTarget =
  | {
      ok: true;
      /** The canonical path, always starting with '/' (or '*' for the asterisk form). */
      path: string;
      /** The query including its leading '?', or ''. Byte for byte as received. */
      query: string;
      /** Which request-target form was received (RFC 9112 §3.2). */
      form?: 'origin' | 'absolute' | 'asterisk';
      /** Absolute form only: the validated authority ('host[:port]', host lower-cased), to route by instead of Host. */
      authority?: string;
      /** Absolute form only: the host part of `authority`, lower-cased, without the port. */
      host?: string;
      /** Absolute form only: the scheme, lower-cased. The caller checks it against the connection. */
      scheme?: 'http' | 'https';
    }
  | { ok: false; status: 400 | 414; reason: string };

export interface CanonicalizeOptions {
  /** Longest request target accepted; longer ones get 414. Default 8192. */
  maxUrlLength?: number;
}

export const DEFAULT_MAX_URL_LENGTH = 8192;

// Character classes for ASCII bytes in a path.
const REJECT = 0; // controls, space, DEL, '\', '#'
const PLAIN = 1; // may appear raw in a canonical path
const ENCODE = 2; // printable, not allowed raw by RFC 3986: percent-encode
const SPECIAL = 3; // '%', '/', '.', ';', '?': need a closer look

const PATH_CLASS = new Uint8Array(128);
const UNRESERVED = new Uint8Array(128);
// Percent-encodings refused because a pod that decodes them would route differently than we did.
const FORBIDDEN_ENCODED = new Uint8Array(256);
// Bytes that can never appear raw in a query (the query is otherwise left untouched).
const QUERY_REJECT = new Uint8Array(256);

{
  const unreserved = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
  for (const ch of unreserved) {
    PATH_CLASS[ch.charCodeAt(0)] = PLAIN;
    UNRESERVED[ch.charCodeAt(0)] = 1;
  }
  for (const ch of "!$&'()*+,=:@") PATH_CLASS[ch.charCodeAt(0)] = PLAIN;
  for (const ch of '"<>[]^`{|}') PATH_CLASS[ch.charCodeAt(0)] = ENCODE;
  for (const ch of '%/.;?') PATH_CLASS[ch.charCodeAt(0)] = SPECIAL;
  // '\' (0x5c), '#' (0x23), space, controls and DEL stay REJECT.
  for (let c = 0; c < 0x20; c++) FORBIDDEN_ENCODED[c] = 1;
  for (const ch of '/\\%;?#\x7f') FORBIDDEN_ENCODED[ch.charCodeAt(0)] = 1;
  for (let c = 0; c <= 0x20; c++) QUERY_REJECT[c] = 1;
  QUERY_REJECT[0x7f] = 1;
  QUERY_REJECT[0x23] = 1; // '#': a fragment
  for (let c = 0x80; c < 256; c++) QUERY_REJECT[c] = 1;
}

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

type Fail = { ok: false; status: 400 | 414; reason: string };

function bad(reason: string): Fail {
  return { ok: false, status: 400, reason };
}

export function canonicalizeTarget(rawTarget: string, options?: CanonicalizeOptions): CanonicalTarget {
  const max = options?.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  if (rawTarget.length > max) return { ok: false, status: 414, reason: 'request target too long' };
  if (rawTarget.length === 0) return bad('empty request target');
  const first = rawTarget.charCodeAt(0);
  if (first === 0x2f /* / */) return canonicalizePathAndQuery(rawTarget, 0, 'origin');
  if (rawTarget === '*') return { ok: true, path: '*', query: '', form: 'asterisk' };
  return canonicalizeAbsolute(rawTarget);
}

/** RFC 9112 §3.2.2: `http://authority/path?query`; the authority replaces Host for routing. */
function canonicalizeAbsolute(target: string): CanonicalTarget {
  let scheme: 'http' | 'https';
  let at: number;
  if (startsWithIgnoreCase(target, 'http://')) {
    scheme = 'http';
    at = 7;
  } else if (startsWithIgnoreCase(target, 'https://')) {
    scheme = 'https';
    at = 8;
  } else {
    return bad('request target is neither origin-form nor an http(s) absolute-form');
  }
  let end = at;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    end++;
  }
  const authorityText = target.slice(at, end);
  if (authorityText.includes('@')) return bad('absolute-form target carries userinfo');
  const authority = parseAuthority(authorityText);
  if (authority === undefined) return bad('absolute-form target has a malformed authority');
  const extra = {
    form: 'absolute' as const,
    authority: authority.port === undefined ? authority.host : `${authority.host}:${authority.port}`,
    host: authority.host,
    scheme,
  };
  if (end === target.length) return { ok: true, path: '/', query: '', ...extra };
  const c = target.charCodeAt(end);
  if (c === 0x23) return bad('fragment in request target');
  if (c === 0x3f) {
    const query = checkQuery(target, end);
    return typeof query === 'string' ? { ok: true, path: '/', query, ...extra } : query;
  }
  const r = canonicalizePathAndQuery(target, end, 'absolute');
  return r.ok ? { ...r, ...extra } : r;
}

function startsWithIgnoreCase(s: string, prefix: string): boolean {
  return s.length >= prefix.length && s.slice(0, prefix.length).toLowerCase() === prefix;
}

function checkQuery(target: string, from: number): string | Fail {
  for (let i = from + 1; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c > 0xff || QUERY_REJECT[c] === 1) {
      return bad(c === 0x23 ? 'fragment in request target' : 'invalid byte in query');
    }
  }
  return target.slice(from);
}

/** `target[start]` is '/'. Tries the already-canonical fast path, else rebuilds the path. */
function canonicalizePathAndQuery(target: string, start: number, form: 'origin' | 'absolute'): CanonicalTarget {
  const n = target.length;
  let i = start;
  let prevSlash = false;
  let needsWork = false;
  for (; i < n; i++) {
    const c = target.charCodeAt(i);
    if (c >= 128) return bad('raw non-ASCII byte in path');
    const cls = PATH_CLASS[c];
    if (cls === PLAIN) {
      prevSlash = false;
      continue;
    }
    if (cls === REJECT) return bad(rejectReason(c));
    // SPECIAL or ENCODE
    if (c === 0x3f /* ? */) break;
    if (c === 0x2f /* / */) {
      if (prevSlash) {
        needsWork = true;
        break;
      }
      prevSlash = true;
      continue;
    }
    if (c === 0x2e /* . */ && prevSlash && isDotSegmentAt(target, i)) {
      needsWork = true;
      break;
    }
    if (c === 0x2e) {
      prevSlash = false;
      continue;
    }
    if (c === 0x3b /* ; */) {
      prevSlash = false;
      continue; // `..;` and `.;` segments are caught by isDotSegmentAt at their start
    }
    // '%' or a character to encode: take the slow path.
    needsWork = true;
    break;
  }
  if (!needsWork) {
    const path = target.slice(start, i);
    if (i === n) return { ok: true, path, query: '', form };
    const query = checkQuery(target, i);
    return typeof query === 'string' ? { ok: true, path, query, form } : query;
  }
  return rebuildPath(target, start, form);
}

/** At a '.' that starts a segment: is the segment '.', '..', or one of those followed by ';'? */
function isDotSegmentAt(target: string, i: number): boolean {
  let j = i + 1;
  if (j < target.length && target.charCodeAt(j) === 0x2e) j++;
  if (j === target.length) return true;
  const c = target.charCodeAt(j);
  return c === 0x2f || c === 0x3f || c === 0x3b;
}

function rejectReason(c: number): string {
  if (c === 0x5c) return 'raw backslash in path';
  if (c === 0x23) return 'fragment in request target';
  return 'control character or space in path';
}

/** The slow path: decode, encode, split into segments, resolve dot segments, merge slashes. */
function rebuildPath(target: string, start: number, form: 'origin' | 'absolute'): CanonicalTarget {
  const n = target.length;
  const segments: string[] = [];
  let seg = '';
  let trailingSlash = false;
  let i = start + 1; // skip the leading '/'
  for (;;) {
    const c = i < n ? target.charCodeAt(i) : -1;
    if (c === -1 || c === 0x3f /* ? */ || c === 0x2f /* / */) {
      const last = c !== 0x2f;
      // A segment ends: '.', '..', and empty segments are not kept.
      if (seg === '' || seg === '.') {
        trailingSlash = last;
      } else if (seg === '..') {
        segments.pop();
        trailingSlash = last;
      } else {
        if (isDotWithParams(seg)) return bad('dot segment with parameters in path');
        segments.push(seg);
        trailingSlash = false;
      }
      seg = '';
      if (last) break;
      i++;
      continue;
    }
    if (c >= 128) return bad('raw non-ASCII byte in path');
    if (c === 0x25 /* % */) {
      const hi = i + 2 < n ? hexValue(target.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(target.charCodeAt(i + 2)) : -1;
      if (lo < 0) return bad('malformed percent-encoding in path');
      const v = hi * 16 + lo;
      if (FORBIDDEN_ENCODED[v] === 1) return bad(`forbidden percent-encoding %${HEX[hi]}${HEX[lo]} in path`);
      seg += v < 128 && UNRESERVED[v] === 1 ? String.fromCharCode(v) : `%${HEX[hi]}${HEX[lo]}`;
      i += 3;
      continue;
    }
    const cls = PATH_CLASS[c];
    if (cls === REJECT) return bad(rejectReason(c));
    seg += cls === ENCODE ? `%${HEX[c >> 4]}${HEX[c & 15]}` : target[i];
    i++;
  }
  let path = '/' + segments.join('/');
  if (trailingSlash && segments.length > 0) path += '/';
  if (i >= n) return { ok: true, path, query: '', form };
  const query = checkQuery(target, i);
  return typeof query === 'string' ? { ok: true, path, query, form } : query;
}

/** `.;x` or `..;x`: servlet containers strip the parameters and then treat it as a dot segment. */
function isDotWithParams(seg: string): boolean {
  const semi = seg.indexOf(';');
  if (semi === -1) return false;
  const head = seg.slice(0, semi);
  return head === '.' || head === '..';
}
