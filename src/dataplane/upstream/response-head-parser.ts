// Strict parser of a backend's HTTP/1.1 response head, for the engine's upstream client. What it
// refuses is what the data plane answers 502 today (docs/security.md, "Upstream side"): no status
// line or a malformed one, a status outside 200..999 (this client never asks for a 1xx: no
// Expect, no Upgrade), bare LF or CR, obs-fold, whitespace before a colon, control bytes in names
// or values, Content-Length with Transfer-Encoding, duplicate or non-digit Content-Length, a
// Transfer-Encoding whose only coding is not `chunked`, a head over the limit.

import { TOKEN_CHARS, VALUE_CHARS } from '../http1/head-parser.ts';

export interface ResponseHead {
  status: number;
  /** 0 or 1. */
  versionMinor: number;
  /** Names as sent, values trimmed. */
  rawHeaders: string[];
  /** The Content-Length as sent, -1 when absent (on HEAD/204/304 it describes no body here). */
  contentLength: number;
  /** No body follows (HEAD request, 204, 304), whatever the headers say. */
  noBody: boolean;
  chunked: boolean;
  /** The body runs to the end of the connection (no length, not chunked). */
  toClose: boolean;
  /** Whether the connection can carry another request after this response. */
  keepAlive: boolean;
  /** The backend's `Keep-Alive: timeout=N` hint in milliseconds (-1: none): how long it keeps the connection idle. */
  keepAliveHintMs: number;
}

export class MalformedResponse {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

export interface ResponseCursor {
  scanned: number;
  consumed: number;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

function bad(reason: string): MalformedResponse {
  return new MalformedResponse(reason);
}

/** `headRequest`: the request was HEAD, so no body follows whatever the head says. */
export function parseResponseHead(buf: Buffer, maxHeaderSize: number, cursor: ResponseCursor, headRequest: boolean): ResponseHead | MalformedResponse | undefined {
  if (buf.length >= 5 && buf.toString('latin1', 0, 5) !== 'HTTP/') return bad('no status line');
  const term = buf.indexOf(CRLFCRLF, Math.max(0, cursor.scanned - 3));
  if (term === -1) {
    for (let i = Math.max(0, cursor.scanned - 1); i < buf.length; i++) {
      const c = buf[i];
      if (c === LF && (i === 0 || buf[i - 1] !== CR)) return bad('bare LF in the response head');
      if (c === CR && i + 1 < buf.length && buf[i + 1] !== LF) return bad('bare CR in the response head');
    }
    if (buf.length > maxHeaderSize) return bad('response head larger than the limit');
    cursor.scanned = buf.length;
    return undefined;
  }
  if (term + 4 > maxHeaderSize) return bad('response head larger than the limit');
  cursor.scanned = 0;
  cursor.consumed = term + 4;
  return parseLines(buf.toString('latin1', 0, term + 2), headRequest);
}

function parseLines(s: string, headRequest: boolean): ResponseHead | MalformedResponse {
  // HTTP/1.d SP 3DIGIT [SP reason] CRLF
  if (!s.startsWith('HTTP/1.') || s.length < 14) return bad('malformed status line');
  const minor = s.charCodeAt(7) - 0x30;
  if ((minor !== 0 && minor !== 1) || s.charCodeAt(8) !== SP) return bad('malformed status line');
  let status = 0;
  for (let k = 9; k < 12; k++) {
    const d = s.charCodeAt(k) - 0x30;
    if (d < 0 || d > 9) return bad('malformed status code');
    status = status * 10 + d;
  }
  let i = 12;
  const after = s.charCodeAt(i);
  if (after === SP) {
    i++;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === CR) break;
      if (VALUE_CHARS[c] !== 1) return bad('invalid byte in the reason phrase');
      i++;
    }
  } else if (after !== CR) {
    return bad('malformed status code');
  }
  if (s.charCodeAt(i + 1) !== LF) return bad('bare CR in the status line');
  i += 2;
  if (status < 200) return bad(`unsolicited ${status} response`);

  const rawHeaders: string[] = [];
  let lengths = 0;
  let contentLength = -1;
  let badLength = false;
  let te: string | undefined;
  let close = false;
  let keepAliveToken = false;
  let keepAliveHintMs = -1;
  const end = s.length;
  while (i < end) {
    const first = s.charCodeAt(i);
    if (first === SP || first === HT) return bad('obs-fold in the response head');
    const nameStart = i;
    while (TOKEN_CHARS[s.charCodeAt(i)] === 1) i++;
    if (i === nameStart || s.charCodeAt(i) !== 0x3a) return bad('malformed response header name');
    const name = s.slice(nameStart, i);
    i++;
    while (s.charCodeAt(i) === SP || s.charCodeAt(i) === HT) i++;
    const valueStart = i;
    let valueEnd = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === CR) break;
      if (VALUE_CHARS[c] !== 1) return bad('invalid byte in a response header value');
      i++;
      if (c !== SP && c !== HT) valueEnd = i;
    }
    if (s.charCodeAt(i + 1) !== LF) return bad('bare CR in the response head');
    i += 2;
    const value = s.slice(valueStart, valueEnd);
    rawHeaders.push(name, value);
    switch (name.length) {
      case 14:
        if (name.toLowerCase() === 'content-length') {
          lengths++;
          contentLength = digits(value);
          if (contentLength < 0) badLength = true;
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') te = te === undefined ? value : `${te},${value}`;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const part of value.split(',')) {
            const t = part.trim().toLowerCase();
            if (t === 'close') close = true;
            else if (t === 'keep-alive') keepAliveToken = true;
          }
        } else if (name.toLowerCase() === 'keep-alive') {
          keepAliveHintMs = keepAliveTimeoutHint(value);
        }
        break;
      default:
        break;
    }
  }
  let chunked = false;
  if (te !== undefined) {
    if (lengths > 0) return bad('Content-Length together with Transfer-Encoding');
    const codings = te.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c.length > 0);
    if (codings.length !== 1 || codings[0] !== 'chunked') return bad('Transfer-Encoding other than chunked');
    chunked = true;
  }
  if (lengths > 1) return bad('more than one Content-Length');
  if (badLength) return bad('malformed Content-Length');
  let keepAlive = !close && (minor === 1 || keepAliveToken);
  const noBody = headRequest || status === 204 || status === 304;
  let toClose = false;
  if (noBody) {
    chunked = false;
  } else if (!chunked && contentLength < 0) {
    toClose = true;
    keepAlive = false;
  }
  return { status, versionMinor: minor, rawHeaders, contentLength, noBody, chunked, toClose, keepAlive, keepAliveHintMs };
}

/** `timeout=N` of a Keep-Alive value (RFC 2068 §19.7.1.1, still sent by Node, Apache...) in ms; -1 when absent or malformed. */
function keepAliveTimeoutHint(value: string): number {
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim().toLowerCase() !== 'timeout') continue;
    const seconds = digits(part.slice(eq + 1).trim());
    return seconds < 0 ? -1 : seconds * 1000;
  }
  return -1;
}

function digits(v: string): number {
  if (v.length === 0 || v.length > 15) return -1;
  let n = 0;
  for (let k = 0; k < v.length; k++) {
    const d = v.charCodeAt(k) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
