// The engine's head parser held to llhttp (Node's own parser, strict mode) as an oracle:
//   - on generated valid heads both accept and read the same method, target, version, header
//     list, keep-alive and upgrade;
//   - on random mutations of those heads the engine never accepts what llhttp refuses, and when
//     both accept they read the same thing (the engine may refuse more: it is stricter).
// Seeded, so a failure names a reproducible case. The oracle is Node's documentation-deprecated
// `_http_common.HTTPParser`; the first test pins the part of its API this file relies on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parseRequestHead, type HeadCursor } from '../../src/dataplane/http1/head-parser.ts';
import { HeadError, type RequestHead } from '../../src/dataplane/http1/request-head.ts';
import { makePrng, type Prng } from '../security/prng.ts';

const require = createRequire(import.meta.url);

interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}
interface NativeParser {
  [k: number]: unknown;
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(b: Buffer): number | (Error & { code?: string });
  close(): void;
}
const common = require('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };

const LIMITS = { maxHeaderSize: 16 * 1024, maxHeadersCount: 100 };

interface OracleHead {
  method: string;
  url: string;
  minor: number;
  headers: string[];
  keepAlive: boolean;
  upgrade: boolean;
}

/** llhttp's reading of exactly these bytes (one head), or its error code. */
function llhttp(bytes: Buffer): OracleHead | { error: string } {
  const { HTTPParser } = common;
  const p = new HTTPParser();
  let head: OracleHead | undefined;
  let partial: string[] = [];
  p[HTTPParser.kOnHeaders] = (headers: string[]) => {
    partial = partial.concat(headers);
  };
  p[HTTPParser.kOnHeadersComplete] = (_major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _status: unknown, _msg: unknown, upgrade: boolean, keepAlive: boolean) => {
    head = { method: common.methods[method] ?? `#${method}`, url: url ?? '', minor, headers: headers ?? partial, keepAlive, upgrade };
    return 0;
  };
  p[HTTPParser.kOnBody] = () => {};
  p[HTTPParser.kOnMessageComplete] = () => {};
  p[HTTPParser.kOnExecute] = () => {};
  p.initialize(HTTPParser.REQUEST, {}, LIMITS.maxHeaderSize, 0);
  const r = p.execute(bytes);
  p.close();
  if (r instanceof Error) return { error: r.code ?? 'error' };
  if (head === undefined) return { error: 'incomplete' };
  return head;
}

function mine(bytes: Buffer): RequestHead | HeadError | undefined {
  const cursor: HeadCursor = { scanned: 0, consumed: 0 };
  const r = parseRequestHead(bytes, LIMITS, cursor, 'http');
  return r;
}

/** What both sides must agree on. */
function assertSameReading(m: RequestHead, o: OracleHead, what: string): void {
  assert.equal(m.method, o.method, `${what}: method`);
  assert.equal(m.target, o.url, `${what}: target`);
  assert.equal(m.versionMinor, o.minor, `${what}: version`);
  assert.deepEqual(m.rawHeaders, o.headers, `${what}: headers`);
  assert.equal(m.keepAlive, o.keepAlive, `${what}: keep-alive`);
  if (!m.chunked && m.contentLength <= 0) assert.equal(m.upgrade !== undefined, o.upgrade, `${what}: upgrade`);
}

// ---- generator of valid heads (within what both parsers and Gatehouse's checks accept) ----
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PATH_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,=:@';
const VALUE_CHARS = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\t\x80\xe9\xff';

function word(r: Prng, chars: string, min: number, max: number): string {
  let s = '';
  const n = min + r.int(max - min + 1);
  for (let i = 0; i < n; i++) s += chars[r.int(chars.length)];
  return s;
}

function value(r: Prng): string {
  // No leading/trailing whitespace (both parsers trim it), at least one visible char.
  const v = word(r, VALUE_CHARS, 0, 40).replace(/^[ \t]+|[ \t]+$/g, '');
  return v.length === 0 ? 'v' : v;
}

function validHead(r: Prng): string {
  const method = r.pick(['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'PROPFIND', 'M-SEARCH']);
  let path = '';
  for (let i = 0, n = 1 + r.int(4); i < n; i++) path += '/' + word(r, PATH_CHARS, 1, 12).replace(/^\.+$/, 'x');
  if (r.chance(0.2)) path += '/';
  const target = path + (r.chance(0.3) ? '?' + word(r, PATH_CHARS + '/?', 0, 20) : '');
  const minor = r.chance(0.85) ? 1 : 0;
  const headers: [string, string][] = [];
  const host = r.pick(['app.example', 'a.b.c.example', '127.0.0.1', 'app.example:8080', '[::1]:443', 'x']);
  if (minor === 1 || r.chance(0.5)) headers.push([r.pick(['Host', 'host', 'HOST']), host]);
  for (let i = 0, n = r.int(12); i < n; i++) {
    let name = word(r, TCHARS, 1, 20);
    const lower = name.toLowerCase();
    if (['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'keep-alive', 'proxy-connection'].includes(lower)) name = `x-${name}`;
    headers.push([name, value(r)]);
  }
  const framing = r.int(4);
  if (framing === 1) headers.push([r.pick(['Content-Length', 'content-length']), String(r.int(100000))]);
  if (framing === 2 && minor === 1) headers.push(['Transfer-Encoding', r.pick(['chunked', 'Chunked', ' chunked', 'chunked ', ',chunked'])]);
  if (r.chance(0.3)) headers.push(['Connection', r.pick(['close', 'keep-alive', 'Keep-Alive', 'upgrade', 'Upgrade, HTTP2-Settings', 'close, upgrade', 'foo'])]);
  if (r.chance(0.15)) headers.push(['Upgrade', r.pick(['websocket', 'h2c', 'foo/1'])]);
  if (r.chance(0.1) && method !== 'GET') headers.push(['Expect', '100-continue']);
  // Shuffle the header order.
  for (let i = headers.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [headers[i], headers[j]] = [headers[j]!, headers[i]!];
  }
  const ows = (): string => r.pick(['', '', '', ' ', '  ', '\t', ' \t']);
  let head = `${method} ${target} HTTP/1.${minor}\r\n`;
  // (llhttp refuses a tab after a transfer coding: Transfer-Encoding gets trailing spaces only.)
  for (const [n, v] of headers) head += `${n}:${r.chance(0.9) ? ' ' : ''}${v.startsWith(' ') ? v.trimStart() : v}${n === 'Transfer-Encoding' ? r.pick(['', ' ']) : ows()}\r\n`;
  return head + '\r\n';
}

const INTERESTING = [0x0d, 0x0a, 0x20, 0x09, 0x00, 0x3a, 0x2c, 0x7f, 0x80, 0xff, 0x22, 0x3b, 0x3d, 0x61, 0x30, 0x2d, 0x2f, 0x3f, 0x23, 0x25, 0x0b, 0x0c, 0x48];

function mutate(r: Prng, head: Buffer): Buffer {
  let b = Buffer.from(head);
  for (let k = 0, n = 1 + r.int(3); k < n; k++) {
    const at = r.int(b.length);
    const byte = r.chance(0.7) ? r.pick(INTERESTING) : r.int(256);
    const op = r.int(3);
    if (op === 0) b[at] = byte;
    else if (op === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

test('pin: the llhttp oracle API this test relies on (_http_common.HTTPParser)', () => {
  assert.equal(typeof common.HTTPParser, 'function');
  for (const k of ['REQUEST', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute'] as const) {
    assert.equal(typeof common.HTTPParser[k], 'number', k);
  }
  assert.ok(Array.isArray(common.methods) && common.methods.includes('GET'));
  const o = llhttp(Buffer.from('GET /a HTTP/1.1\r\nHost: h\r\nX: 1 \r\n\r\n', 'latin1'));
  assert.deepEqual(o, { method: 'GET', url: '/a', minor: 1, headers: ['Host', 'h', 'X', '1'], keepAlive: true, upgrade: false });
  const e = llhttp(Buffer.from('GET /a HTTP/1.1\r\nHost: h\r\nX: a\x00\r\n\r\n', 'latin1'));
  assert.deepEqual(e, { error: 'HPE_INVALID_HEADER_TOKEN' });
});

test('generated valid heads: the engine and llhttp both accept and read the same thing (3,000 heads)', () => {
  const r = makePrng(0x5eed1);
  for (let i = 0; i < 3000; i++) {
    const text = validHead(r);
    const bytes = Buffer.from(text, 'latin1');
    const o = llhttp(bytes);
    assert.ok(!('error' in o), `llhttp refused generated head #${i} (${'error' in o ? o.error : ''}): ${JSON.stringify(text)}`);
    const m = mine(bytes);
    assert.ok(m !== undefined && !(m instanceof HeadError), `engine refused #${i} (${m instanceof HeadError ? m.reason : 'incomplete'}): ${JSON.stringify(text)}`);
    assertSameReading(m, o, `#${i} ${JSON.stringify(text)}`);
  }
});

test('mutated heads: the engine never accepts what llhttp refuses, and reads the same when both accept (30,000 mutations)', () => {
  const r = makePrng(0xbadc0de);
  let bothAccept = 0;
  let onlyLlhttpAccepts = 0;
  let bothRefuse = 0;
  for (let i = 0; i < 30000; i++) {
    const base = Buffer.from(validHead(r), 'latin1');
    const bytes = mutate(r, base);
    const m = mine(bytes);
    if (m === undefined) continue; // the mutation left no complete head
    if (m instanceof HeadError) {
      const o = llhttp(bytes);
      if ('error' in o) bothRefuse++;
      else onlyLlhttpAccepts++;
      continue;
    }
    // Give llhttp exactly the head the engine read (what follows it is another message).
    const consumed = bytes.indexOf('\r\n\r\n') + 4;
    const o = llhttp(bytes.subarray(0, consumed));
    assert.ok(!('error' in o), `engine accepted what llhttp refuses (${'error' in o ? o.error : ''}): ${JSON.stringify(bytes.subarray(0, consumed).toString('latin1'))}`);
    assertSameReading(m, o, JSON.stringify(bytes.toString('latin1')));
    bothAccept++;
  }
  console.log(`mutations: both accept ${bothAccept}, both refuse ${bothRefuse}, only llhttp accepts ${onlyLlhttpAccepts} (the engine is stricter), engine-only accepts 0`);
  assert.ok(bothAccept > 1000 && bothRefuse > 1000, 'the mutations exercise both sides');
});
