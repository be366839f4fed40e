// Checks on a parsed HTTP/2 request head that Node's HTTP/2 layer (nghttp2) leaves to the
// application, run first thing for every HTTP/2 request, before routing: the target's length, the
// header count, :authority and Host (well-formed, and naming the same entity), one well-formed
// Content-Length at most, only expectations we relay, an origin-form :path. nghttp2 already
// refuses connection-specific headers, TE other than trailers and bad pseudo-headers. HTTP/1.x
// requests are checked by the engine's parser (http1/head-parser.ts), which makes the same checks.
//
// The body size limit is not checked here: it is per route, so the exchange checks it after routing.

import type { Http2ServerRequest } from 'node:http2';
import { parseAuthority, type Authority } from './authority.ts';
import { DEFAULT_MAX_URL_LENGTH } from './canonical-path.ts';

export interface RequestRejection {
  status: 400 | 414 | 417 | 431 | 501 | 505;
  reason: string; // for the access log; never echoed raw to the client
}

export interface RequestCheckOptions {
  /** More header fields than this get 431 (Node's server.maxHeadersCount normally answers first). */
  maxHeadersCount?: number;
  /** A longer request target gets 414. Default 8192. */
  maxUrlLength?: number;
}

function reject(status: RequestRejection['status'], reason: string): RequestRejection {
  return { status, reason };
}

/** Header names this module looks at, by length first so most names cost one comparison. */
const HOST = 1;
const CONTENT_LENGTH = 2;
const EXPECT = 4;

function nameKind(name: string): number {
  switch (name.length) {
    case 4:
      return name.toLowerCase() === 'host' ? HOST : 0;
    case 6:
      return name.toLowerCase() === 'expect' ? EXPECT : 0;
    case 14:
      return name.toLowerCase() === 'content-length' ? CONTENT_LENGTH : 0;
    default:
      return 0;
  }
}

interface HeadFacts {
  hosts: string[];
  contentLengths: string[];
  expects: string[];
}

function scanHeaders(raw: readonly string[]): HeadFacts {
  const f: HeadFacts = { hosts: [], contentLengths: [], expects: [] };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const kind = nameKind(raw[i] as string);
    if (kind === 0) continue;
    const value = raw[i + 1] as string;
    if (kind === HOST) f.hosts.push(value);
    else if (kind === CONTENT_LENGTH) f.contentLengths.push(value);
    else f.expects.push(value);
  }
  return f;
}

/** One well-formed Content-Length at most, and only expectations we relay. */
function checkLengthAndExpect(f: HeadFacts): RequestRejection | undefined {
  if (f.contentLengths.length > 1) return reject(400, 'more than one Content-Length header');
  const cl = f.contentLengths[0];
  if (cl !== undefined && parseContentLength(cl) === undefined) return reject(400, 'malformed Content-Length');
  return checkExpect(f.expects);
}

function parseContentLength(s: string): number | undefined {
  if (s.length === 0 || s.length > 15) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

function checkExpect(expects: readonly string[]): RequestRejection | undefined {
  for (const e of expects) {
    if (e.trim().toLowerCase() !== '100-continue') return reject(417, 'unsupported expectation');
  }
  if (expects.length > 1) return reject(417, 'more than one Expect header');
  return undefined;
}

function sameAuthority(a: Authority, b: Authority, scheme: 'http' | 'https'): boolean {
  const defaultPort = scheme === 'https' ? 443 : 80;
  return a.host === b.host && (a.port ?? defaultPort) === (b.port ?? defaultPort);
}

export function checkRequestHead(req: Http2ServerRequest, options: RequestCheckOptions | undefined): RequestRejection | undefined {
  const url = req.url ?? '';
  if (url.length > (options?.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH)) return reject(414, 'request target too long');
  const raw = req.rawHeaders;
  const maxHeaders = options?.maxHeadersCount;
  if (maxHeaders !== undefined && raw.length / 2 > maxHeaders) return reject(431, 'too many header fields');
  const f = scanHeaders(raw);
  const authorityText = req.headers[':authority'];
  let authority: Authority | undefined;
  if (typeof authorityText === 'string') {
    authority = parseAuthority(authorityText);
    if (authority === undefined) return reject(400, 'malformed :authority');
  }
  if (f.hosts.length > 1) return reject(400, 'more than one Host header');
  const hostText = f.hosts[0];
  if (hostText !== undefined) {
    const host = parseAuthority(hostText);
    if (host === undefined) return reject(400, 'malformed Host header');
    // RFC 9113 §8.3.1: a Host that names another entity than :authority makes the request malformed.
    if (authority !== undefined && !sameAuthority(host, authority, 'https')) return reject(400, 'Host disagrees with :authority');
  } else if (authority === undefined) {
    return reject(400, 'request without :authority or Host');
  }
  const lengthOrExpect = checkLengthAndExpect(f);
  if (lengthOrExpect !== undefined) return lengthOrExpect;
  if (url.length === 0 || (url.charCodeAt(0) !== 0x2f && !(url === '*' && req.method === 'OPTIONS'))) {
    return reject(400, 'HTTP/2 :path is not origin-form');
  }
  return undefined;
}
