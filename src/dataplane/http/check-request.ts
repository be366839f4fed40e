// Checks on a parsed request head that Node's strict parser (llhttp) leaves to the application,
// run first thing for every request, before routing. Node already refuses, before any handler
// runs: CL+TE, duplicate or non-numeric Content-Length, a Transfer-Encoding whose final coding is
// not chunked (mostly), bare CR/LF, obs-fold, whitespace before a colon, control bytes in names
// and values, HTTP/1.2+ and HTTP/1.x without Host. What it accepts and this module refuses:
// HTTP/0.9 and HTTP/2.0 in HTTP/1 framing, Transfer-Encoding on HTTP/1.0, codings before chunked,
// several or empty or malformed Host headers, a Host that disagrees with an absolute-form target
// (or :authority), an absolute-form target of the other scheme or with userinfo, `*` outside
// OPTIONS, unknown expectations, too many headers or too long a target, and anything pipelined
// after a request that ends the connection.
//
// The body size limit is not checked here: it is per route (an Ingress's annotation overrides the
// controller-wide default either way), so the exchange checks it after routing, still before
// reading when Content-Length says so.
//
// Every rejection closes the connection: after a framing doubt nothing later on it can be trusted.

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { parseAuthority, type Authority } from './authority.ts';
import { canonicalizeTarget, DEFAULT_MAX_URL_LENGTH } from './canonical-path.ts';

export interface RequestRejection {
  status: 400 | 414 | 417 | 431 | 501 | 505;
  reason: string; // for the access log; never echoed raw to the client
  /** Close the connection after the answer (always true today; HTTP/2 closes only the stream). */
  close?: boolean;
}

export interface RequestCheckOptions {
  /** More header fields than this get 431 (Node's server.maxHeadersCount normally answers first). */
  maxHeadersCount?: number;
  /** A longer request target gets 414. Default 8192. */
  maxUrlLength?: number;
}

// Connections on which no further request may be processed: a rejection was answered, or the
// request asked to close (RFC 9112 §9.6: "MUST NOT process any further requests"). Node parses
// pipelined requests eagerly and hands them to the handler even then, so the handler asks here.
const closingConnections = new WeakSet<object>();

/**
 * Marks a connection on which no further request may be processed. The handler calls it when it
 * answers with `Connection: close` for a reason of its own (a 413 after routing, for example).
 */
export function markConnectionClosing(socket: object | null | undefined): void {
  if (socket) closingConnections.add(socket);
}

type AnyRequest = IncomingMessage | Http2ServerRequest;

export function checkRequestHead(req: IncomingMessage, options?: RequestCheckOptions): RequestRejection | undefined {
  const any = req as AnyRequest;
  if (any.httpVersionMajor === 2 && 'stream' in any) return checkHttp2(any, options);
  const socket = req.socket as object | null;
  if (socket !== null && closingConnections.has(socket)) {
    return { status: 400, reason: 'request pipelined after the connection was set to close', close: true };
  }
  const rejection = checkHttp1(req, options);
  if (rejection !== undefined || !keepsAlive(req)) markConnectionClosing(socket);
  return rejection;
}

function reject(status: RequestRejection['status'], reason: string): RequestRejection {
  return { status, reason, close: true };
}

/** Header names this module looks at, by length first so most names cost one comparison. */
const HOST = 1;
const CONTENT_LENGTH = 2;
const TRANSFER_ENCODING = 3;
const EXPECT = 4;
const CONNECTION = 5;

function nameKind(name: string): number {
  switch (name.length) {
    case 4:
      return name.toLowerCase() === 'host' ? HOST : 0;
    case 6:
      return name.toLowerCase() === 'expect' ? EXPECT : 0;
    case 10:
      return name.toLowerCase() === 'connection' ? CONNECTION : 0;
    case 14:
      return name.toLowerCase() === 'content-length' ? CONTENT_LENGTH : 0;
    case 17:
      return name.toLowerCase() === 'transfer-encoding' ? TRANSFER_ENCODING : 0;
    default:
      return 0;
  }
}

interface HeadFacts {
  hosts: string[];
  contentLengths: string[];
  transferEncodings: string[];
  expects: string[];
  connection: string;
}

function scanHeaders(raw: readonly string[]): HeadFacts {
  const f: HeadFacts = { hosts: [], contentLengths: [], transferEncodings: [], expects: [], connection: '' };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const kind = nameKind(raw[i] as string);
    if (kind === 0) continue;
    const value = raw[i + 1] as string;
    if (kind === HOST) f.hosts.push(value);
    else if (kind === CONTENT_LENGTH) f.contentLengths.push(value);
    else if (kind === TRANSFER_ENCODING) f.transferEncodings.push(value);
    else if (kind === EXPECT) f.expects.push(value);
    else f.connection = f.connection === '' ? value : `${f.connection},${value}`;
  }
  return f;
}

function checkHttp1(req: IncomingMessage, options: RequestCheckOptions | undefined): RequestRejection | undefined {
  const major = req.httpVersionMajor;
  const minor = req.httpVersionMinor;
  if (major !== 1 || (minor !== 0 && minor !== 1)) {
    if (major === 0) return reject(400, 'HTTP/0.9 request');
    return reject(505, `HTTP/${major}.${minor} in HTTP/1 framing`);
  }
  const raw = req.rawHeaders;
  const maxHeaders = options?.maxHeadersCount;
  if (maxHeaders !== undefined && raw.length / 2 > maxHeaders) return reject(431, 'too many header fields');
  const url = req.url ?? '';
  if (url.length > (options?.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH)) return reject(414, 'request target too long');
  const f = scanHeaders(raw);

  // Host: exactly one on HTTP/1.1, at most one on HTTP/1.0, never empty, always well-formed.
  if (f.hosts.length > 1) return reject(400, 'more than one Host header');
  const hostText = f.hosts[0];
  let host: Authority | undefined;
  if (hostText === undefined) {
    if (minor === 1) return reject(400, 'HTTP/1.1 request without Host');
  } else {
    if (hostText.length === 0) return reject(400, 'empty Host header');
    host = parseAuthority(hostText);
    if (host === undefined) return reject(400, 'malformed Host header');
  }

  // Framing.
  if (f.transferEncodings.length > 0) {
    if (f.contentLengths.length > 0) return reject(400, 'Content-Length together with Transfer-Encoding');
    if (minor === 0) return reject(400, 'Transfer-Encoding on an HTTP/1.0 request');
    const te = checkTransferCodings(f.transferEncodings);
    if (te !== undefined) return te;
  }
  const lengthOrExpect = checkLengthAndExpect(f);
  if (lengthOrExpect !== undefined) return lengthOrExpect;

  return checkTargetForm(req, url, host, isEncrypted(req) ? 'https' : 'http');
}

/** The same on HTTP/1 and HTTP/2: one well-formed Content-Length at most, and only expectations we relay. */
function checkLengthAndExpect(f: HeadFacts): RequestRejection | undefined {
  if (f.contentLengths.length > 1) return reject(400, 'more than one Content-Length header');
  const cl = f.contentLengths[0];
  if (cl !== undefined && parseContentLength(cl) === undefined) return reject(400, 'malformed Content-Length');
  return checkExpect(f.expects);
}

/** RFC 9112 §6.1: chunked must be the final coding, exactly once; other codings are not implemented. */
function checkTransferCodings(values: readonly string[]): RequestRejection | undefined {
  const codings: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const coding = part.trim().toLowerCase();
      if (coding.length > 0) codings.push(coding);
    }
  }
  if (codings.length === 0) return reject(400, 'empty Transfer-Encoding');
  if (codings[codings.length - 1] !== 'chunked') return reject(400, 'Transfer-Encoding whose final coding is not chunked');
  if (codings.indexOf('chunked') !== codings.length - 1) return reject(400, 'chunked applied more than once');
  if (codings.length > 1) return reject(501, 'transfer coding other than chunked');
  return undefined;
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

function checkTargetForm(req: AnyRequest, url: string, host: Authority | undefined, scheme: 'http' | 'https'): RequestRejection | undefined {
  const first = url.charCodeAt(0);
  if (first === 0x2f /* / */) return undefined;
  if (url === '*') return req.method === 'OPTIONS' ? undefined : reject(400, 'asterisk-form target outside OPTIONS');
  // Absolute form (rare): route by its authority, so it must agree with everything else.
  const target = canonicalizeTarget(url);
  if (!target.ok) return reject(target.status, target.reason);
  if (target.form !== 'absolute' || target.authority === undefined) return undefined;
  if (target.scheme !== scheme) return reject(400, 'absolute-form target of another scheme');
  const authority = parseAuthority(target.authority);
  if (authority === undefined) return reject(400, 'malformed absolute-form authority');
  if (host !== undefined && !sameAuthority(host, authority, scheme)) return reject(400, 'Host disagrees with the absolute-form target');
  return undefined;
}

function sameAuthority(a: Authority, b: Authority, scheme: 'http' | 'https'): boolean {
  const defaultPort = scheme === 'https' ? 443 : 80;
  return a.host === b.host && (a.port ?? defaultPort) === (b.port ?? defaultPort);
}

function isEncrypted(req: AnyRequest): boolean {
  return (req.socket as { encrypted?: boolean } | null)?.encrypted === true;
}

/** Whether Node keeps the connection open after this request (RFC 9112 §9.3). */
function keepsAlive(req: IncomingMessage): boolean {
  const connection = req.headers.connection;
  if (connection === undefined) return req.httpVersionMinor === 1;
  const tokens = connection.toLowerCase();
  if (hasToken(tokens, 'close')) return false;
  return req.httpVersionMinor === 1 || hasToken(tokens, 'keep-alive');
}

function hasToken(list: string, token: string): boolean {
  for (const part of list.split(',')) if (part.trim() === token) return true;
  return false;
}

/** HTTP/2: nghttp2 already refuses connection-specific headers, TE other than trailers, bad pseudo-headers. */
function checkHttp2(req: Http2ServerRequest, options: RequestCheckOptions | undefined): RequestRejection | undefined {
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
