// The HTTP/1.1 request-head parser of the engine: strict, single pass, no regular expression.
//
// It accepts a safe subset of RFC 9112 and refuses everything else, at least as strictly as llhttp
// in strict mode (test/http1/head-parser-vs-llhttp.test.ts holds it to that on generated heads and
// mutations): one SP between the parts of the request line, a known upper-case method, a target of
// visible ASCII, `HTTP/1.0` or `HTTP/1.1`, CRLF line ends only, token header names followed
// directly by ':', values of visible ASCII, SP, HTAB and obs-text, no obs-fold, a digits-only
// Content-Length given once, `chunked` as the only transfer coding, one Host that parses as an
// authority. The checks Gatehouse adds on top of llhttp (`checkRequestHead` for Node's parser) are
// made here too, in the same order, so the engine answers every case of
// test/security/framing-cases.ts with the status the current data plane gives.
//
// Cost per request: the terminator search (a native indexOf), one pass over the head bytes, one
// string per header name and value, the target string, the head object. Known header names are
// recognised by length and bytes without building lower-cased strings.

import { parseAuthority, type Authority } from '../http/authority.ts';
import { canonicalizeTarget, DEFAULT_MAX_URL_LENGTH } from '../http/canonical-path.ts';
import { HeadError, type RequestHead } from './request-head.ts';

export interface HeadLimits {
  /** Request line and header section, in bytes; 431 beyond. */
  maxHeaderSize: number;
  /** Header fields; 431 beyond (never truncated). */
  maxHeadersCount: number;
  /** Request target length; 414 beyond. */
  maxUrlLength?: number;
}

/** Per-connection scratch state between calls for one head (no allocation per call). */
export interface HeadCursor {
  /** Bytes already searched for the end of the head (so a slow head is not re-scanned). */
  scanned: number;
  /** After a complete head: its length in bytes, leading empty line included. */
  consumed: number;
  /** The last Host value parsed on this connection and its parse (keep-alive clients repeat it). */
  lastHost?: string;
  lastAuthority?: Authority;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** tchar (RFC 9110 §5.6.2). */
const TOKEN = new Uint8Array(256);
/** field-vchar, SP, HTAB, obs-text (llhttp accepts obs-text in values; so do we). */
const VALUE = new Uint8Array(256);
{
  for (const ch of "!#$%&'*+-.^_`|~") TOKEN[ch.charCodeAt(0)] = 1;
  for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
  VALUE[HT] = 1;
  for (let c = 0x20; c <= 0x7e; c++) VALUE[c] = 1;
  for (let c = 0x80; c <= 0xff; c++) VALUE[c] = 1;
}

/**
 * The methods llhttp knows for HTTP (its METHODS_HTTP), less CONNECT (a proxy method Gatehouse
 * does not serve) and PRI (the HTTP/2 preface). Interned strings, so handlers compare with ===.
 */
const METHODS = new Map<string, string>();
for (const m of [
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE', 'PROPFIND', 'PROPPATCH',
  'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY', 'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY',
  'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR', 'LINK', 'UNLINK', 'SOURCE', 'QUERY',
]) {
  METHODS.set(m, m);
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

function fail(status: HeadError['status'], code: string, reason: string): HeadError {
  return new HeadError(status, code, reason);
}

/**
 * Parses the request head at the start of `buf`. Returns the head (and sets `cursor.consumed`),
 * a HeadError, or undefined when more bytes are needed. Malformed line ends and oversized heads
 * are refused as soon as they are seen, without waiting for the end of the head.
 */
export function parseRequestHead(buf: Buffer, limits: HeadLimits, cursor: HeadCursor, scheme: 'http' | 'https'): RequestHead | HeadError | undefined {
  const len = buf.length;
  let start = 0;
  // RFC 9112 §2.2: one empty line before the request line is tolerated (llhttp does too).
  if (len > 0 && buf[0] === CR) {
    if (len < 2) return undefined;
    if (buf[1] !== LF) return fail(400, 'lf-expected', 'bare CR before the request line');
    start = 2;
  } else if (len > 0 && buf[0] === LF) {
    return fail(400, 'cr-expected', 'bare LF before the request line');
  }
  const term = buf.indexOf(CRLFCRLF, Math.max(start, cursor.scanned - 3));
  if (term === -1) {
    const bad = badLineEnd(buf, Math.max(start, cursor.scanned - 1), len);
    if (bad !== undefined) return bad;
    if (len - start > limits.maxHeaderSize) return fail(431, 'header-overflow', 'request head larger than the limit');
    cursor.scanned = len;
    return undefined;
  }
  if (term + 4 - start > limits.maxHeaderSize) return fail(431, 'header-overflow', 'request head larger than the limit');
  cursor.scanned = 0;
  cursor.consumed = term + 4;
  // One native decode of the whole head; the scan below works on the string (charCodeAt, slice).
  const text = buf.toString('latin1', start, term + 2);
  return parseLines(text, 0, text.length, limits, scheme, cursor);
}

/** A LF not preceded by CR, or a CR followed by anything but LF, in bytes [from, to). */
function badLineEnd(buf: Buffer, from: number, to: number): HeadError | undefined {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c === LF && (i === 0 || buf[i - 1] !== CR)) return fail(400, 'cr-expected', 'bare LF in the request head');
    if (c === CR && i + 1 < to && buf[i + 1] !== LF) return fail(400, 'lf-expected', 'bare CR in the request head');
  }
  return undefined;
}

function methodAt(s: string, start: number, end: number): string | undefined {
  // The common ones without a slice or a Map probe.
  const n = end - start;
  const a = s.charCodeAt(start);
  if (n === 3 && a === 0x47 && s.charCodeAt(start + 1) === 0x45 && s.charCodeAt(start + 2) === 0x54) return 'GET';
  if (n === 4 && a === 0x50 && s.charCodeAt(start + 1) === 0x4f && s.charCodeAt(start + 2) === 0x53 && s.charCodeAt(start + 3) === 0x54) return 'POST';
  if (n === 4 && a === 0x48 && s.charCodeAt(start + 1) === 0x45 && s.charCodeAt(start + 2) === 0x41 && s.charCodeAt(start + 3) === 0x44) return 'HEAD';
  return METHODS.get(s.slice(start, end));
}

/** Compares s[at, at + lower.length) with an all-lower-case ASCII name, ignoring case. */
function nameIs(s: string, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    if ((s.charCodeAt(at + k) | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}

const HOST = 1;
const CONTENT_LENGTH = 2;
const TRANSFER_ENCODING = 3;
const CONNECTION = 4;
const EXPECT = 5;
const UPGRADE = 6;

function nameKind(s: string, at: number, n: number): number {
  switch (n) {
    case 4:
      return nameIs(s, at, 'host') ? HOST : 0;
    case 6:
      return nameIs(s, at, 'expect') ? EXPECT : 0;
    case 7:
      return nameIs(s, at, 'upgrade') ? UPGRADE : 0;
    case 10:
      return nameIs(s, at, 'connection') ? CONNECTION : 0;
    case 14:
      return nameIs(s, at, 'content-length') ? CONTENT_LENGTH : 0;
    case 17:
      return nameIs(s, at, 'transfer-encoding') ? TRANSFER_ENCODING : 0;
    default:
      return 0;
  }
}

const CONN_CLOSE = 1;
const CONN_KEEP_ALIVE = 2;
const CONN_UPGRADE = 4;

/**
 * The Connection options we act on, from the value [from, to): a comma-separated list whose
 * elements are compared whole after trimming OWS (as llhttp does: `x close` is not `close`).
 */
function connectionFlags(s: string, from: number, to: number): number {
  let flags = 0;
  let i = from;
  while (i <= to) {
    let a = i;
    while (i < to && s.charCodeAt(i) !== 0x2c) i++;
    let b = i;
    while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HT)) a++;
    while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HT)) b--;
    const n = b - a;
    if (n === 5 && nameIs(s, a, 'close')) flags |= CONN_CLOSE;
    else if (n === 10 && nameIs(s, a, 'keep-alive')) flags |= CONN_KEEP_ALIVE;
    else if (n === 7 && nameIs(s, a, 'upgrade')) flags |= CONN_UPGRADE;
    i++;
  }
  return flags;
}

/** Parses the lines in [start, end); every line there ends with CRLF (the head's end was found). */
function parseLines(s: string, start: number, end: number, limits: HeadLimits, scheme: 'http' | 'https', cursor: HeadCursor): RequestHead | HeadError {
  // ---- request line: method SP target SP HTTP/d.d CRLF ----
  let i = start;
  for (;;) {
    const c = s.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c === 0x2d) i++;
    else break;
  }
  if (i === start || s.charCodeAt(i) !== SP) return fail(400, 'invalid-method', 'malformed method');
  const method = methodAt(s, start, i);
  if (method === undefined) return fail(400, 'invalid-method', 'unknown or unsupported method');
  i++;
  const targetStart = i;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c > SP && c < 0x7f) i++;
    else break;
  }
  if (s.charCodeAt(i) === CR) return fail(400, 'http-0.9', 'request line without a version (HTTP/0.9)');
  if (i === targetStart || s.charCodeAt(i) !== SP) return fail(400, 'invalid-target', 'invalid byte in the request target');
  const target = s.slice(targetStart, i);
  i++;
  if (
    end - i < 10 ||
    s.charCodeAt(i) !== 0x48 || s.charCodeAt(i + 1) !== 0x54 || s.charCodeAt(i + 2) !== 0x54 || s.charCodeAt(i + 3) !== 0x50 || s.charCodeAt(i + 4) !== 0x2f /* HTTP/ */
  ) {
    return fail(400, 'invalid-constant', 'malformed HTTP version');
  }
  const major = s.charCodeAt(i + 5) - 0x30;
  const minor = s.charCodeAt(i + 7) - 0x30;
  if (major < 0 || major > 9 || s.charCodeAt(i + 6) !== 0x2e || minor < 0 || minor > 9 || s.charCodeAt(i + 8) !== CR || s.charCodeAt(i + 9) !== LF) {
    return fail(400, 'invalid-version', 'malformed HTTP version');
  }
  if (major !== 1 || minor > 1) {
    if (major === 0) return fail(400, 'http-0.9', `HTTP/0.${minor} request`);
    return fail(505, 'unsupported-version', `HTTP/${major}.${minor} in HTTP/1 framing`);
  }
  i += 10;

  // ---- header fields ----
  const rawHeaders: string[] = [];
  let count = 0;
  let hosts = 0;
  let host: string | undefined;
  let lengths = 0;
  let contentLength = -1;
  let badLength = false;
  let te: string | undefined;
  let conn = 0;
  let expects = 0;
  let badExpect = false;
  let upgrade: string | undefined;
  while (i < end) {
    const first = s.charCodeAt(i);
    if (first === SP || first === HT) return fail(400, 'unexpected-space', 'whitespace at the start of a header line (obs-fold)');
    const nameStart = i;
    while (TOKEN[s.charCodeAt(i)] === 1) i++;
    if (i === nameStart || s.charCodeAt(i) !== COLON) return fail(400, 'invalid-header-token', 'malformed header name');
    const nameEnd = i;
    i++;
    while (s.charCodeAt(i) === SP || s.charCodeAt(i) === HT) i++;
    const valueStart = i;
    let valueEnd = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === CR) break;
      if (VALUE[c] !== 1) return fail(400, 'invalid-header-token', 'invalid byte in a header value');
      i++;
      if (c !== SP && c !== HT) valueEnd = i;
    }
    if (s.charCodeAt(i + 1) !== LF) return fail(400, 'lf-expected', 'bare CR in a header line');
    i += 2;
    if (++count > limits.maxHeadersCount) return fail(431, 'header-overflow', 'too many header fields');
    const value = s.slice(valueStart, valueEnd);
    rawHeaders.push(s.slice(nameStart, nameEnd), value);
    const kind = nameKind(s, nameStart, nameEnd - nameStart);
    if (kind === 0) continue;
    if (kind === HOST) {
      hosts++;
      host = value;
    } else if (kind === CONTENT_LENGTH) {
      lengths++;
      contentLength = digits(s, valueStart, valueEnd);
      if (contentLength < 0) badLength = true;
    } else if (kind === TRANSFER_ENCODING) {
      // llhttp reads a tab after a coding as part of it (`chunked\t` is not chunked): refuse tabs
      // anywhere in the value, trailing ones included, rather than trim them.
      const tab = s.indexOf('\t', valueStart);
      if (tab !== -1 && tab < i) return fail(400, 'invalid-transfer-encoding', 'tab in Transfer-Encoding');
      te = te === undefined ? value : `${te},${value}`;
    } else if (kind === CONNECTION) {
      conn |= connectionFlags(s, valueStart, valueEnd);
    } else if (kind === EXPECT) {
      expects++;
      if (valueEnd - valueStart !== 12 || !nameIs(s, valueStart, '100-continue')) badExpect = true;
    } else {
      upgrade = value;
    }
  }

  // ---- Gatehouse's checks, in the order checkRequestHead makes them ----
  if (target.length > (limits.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH)) return fail(414, 'uri-too-long', 'request target too long');
  let hostAuthority: Authority | undefined;
  if (hosts > 1) return fail(400, 'host', 'more than one Host header');
  if (host === undefined) {
    if (minor === 1) return fail(400, 'host', 'HTTP/1.1 request without Host');
  } else {
    if (host.length === 0) return fail(400, 'host', 'empty Host header');
    if (host === cursor.lastHost) {
      hostAuthority = cursor.lastAuthority;
    } else {
      hostAuthority = parseAuthority(host);
      if (hostAuthority === undefined) return fail(400, 'host', 'malformed Host header');
      cursor.lastHost = host;
      cursor.lastAuthority = hostAuthority;
    }
  }
  let chunked = false;
  if (te !== undefined) {
    if (lengths > 0) return fail(400, 'invalid-transfer-encoding', 'Content-Length together with Transfer-Encoding');
    if (minor === 0) return fail(400, 'invalid-transfer-encoding', 'Transfer-Encoding on an HTTP/1.0 request');
    const codings = checkTransferCodings(te);
    if (codings !== undefined) return codings;
    chunked = true;
  }
  if (lengths > 1) return fail(400, 'invalid-content-length', 'more than one Content-Length header');
  if (badLength) return fail(400, 'invalid-content-length', 'malformed Content-Length');
  if (badExpect || expects > 1) return fail(417, 'expectation', 'unsupported expectation');

  let path: string;
  let query = '';
  let authority = hostAuthority === undefined ? undefined : host;
  if (target.charCodeAt(0) === 0x2a /* * */ && target.length === 1) {
    if (method !== 'OPTIONS') return fail(400, 'invalid-target', 'asterisk-form target outside OPTIONS');
    path = '*';
  } else {
    const t = canonicalizeTarget(target, limits.maxUrlLength === undefined ? undefined : { maxUrlLength: limits.maxUrlLength });
    if (!t.ok) return fail(t.status, 'invalid-target', t.reason);
    if (t.form === 'asterisk') return fail(400, 'invalid-target', 'asterisk-form target');
    path = t.path;
    query = t.query;
    if (t.form === 'absolute' && t.authority !== undefined) {
      if (t.scheme !== scheme) return fail(400, 'invalid-target', 'absolute-form target of another scheme');
      const abs = parseAuthority(t.authority);
      if (abs === undefined) return fail(400, 'invalid-target', 'malformed absolute-form authority');
      if (hostAuthority !== undefined && !sameAuthority(hostAuthority, abs, scheme)) {
        return fail(400, 'invalid-target', 'Host disagrees with the absolute-form target');
      }
      authority = t.authority;
    }
  }

  const keepAlive = (conn & CONN_CLOSE) === 0 && (minor === 1 || (conn & CONN_KEEP_ALIVE) !== 0);
  const hasBody = chunked || contentLength > 0;
  return {
    method,
    target,
    versionMinor: minor as 0 | 1,
    rawHeaders,
    contentLength,
    chunked,
    keepAlive,
    upgrade: (conn & CONN_UPGRADE) !== 0 && !hasBody ? upgrade : undefined,
    expectContinue: expects === 1,
    host,
    path,
    query,
    authority,
  };
}

/** A digits-only value of at most 15 digits (below 2^53), or -1. */
function digits(s: string, from: number, to: number): number {
  const n = to - from;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * RFC 9112 §6.1: `chunked` must be the final coding, exactly once; codings before it are not
 * implemented (501). Empty list elements are allowed before the last one (`,chunked`), not after
 * it (`chunked,` is refused, as llhttp does); every coding must be a token.
 */
function checkTransferCodings(value: string): HeadError | undefined {
  const parts = value.split(',');
  let sawChunked = false;
  let others = 0;
  for (let k = 0; k < parts.length; k++) {
    const coding = trimOws(parts[k]!).toLowerCase();
    if (coding.length === 0) {
      if (k === parts.length - 1) return fail(400, 'invalid-transfer-encoding', 'Transfer-Encoding whose final coding is not chunked');
      continue;
    }
    if (sawChunked) return fail(400, 'invalid-transfer-encoding', coding === 'chunked' ? 'chunked applied more than once' : 'Transfer-Encoding whose final coding is not chunked');
    if (!isToken(coding)) return fail(400, 'invalid-transfer-encoding', 'malformed transfer coding');
    if (coding === 'chunked') sawChunked = true;
    else others++;
  }
  if (!sawChunked) return fail(400, 'invalid-transfer-encoding', 'Transfer-Encoding whose final coding is not chunked');
  if (others > 0) return fail(501, 'transfer-coding', 'transfer coding other than chunked');
  return undefined;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HT)) a++;
  while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HT)) b--;
  return s.slice(a, b);
}

function isToken(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c > 0xff || TOKEN[c] !== 1) return false;
  }
  return true;
}

function sameAuthority(a: Authority, b: Authority, scheme: 'http' | 'https'): boolean {
  const defaultPort = scheme === 'https' ? 443 : 80;
  return a.host === b.host && (a.port ?? defaultPort) === (b.port ?? defaultPort);
}

/** Exported for the trailer section of chunked bodies and for tests. */
export { TOKEN as TOKEN_CHARS, VALUE as VALUE_CHARS };
