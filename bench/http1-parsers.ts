// Request-head parsers side by side, for the engine's choice (docs/dataplane.md, "Engine: choice
// of parser"): Node's native llhttp binding (`HTTPParser` from `_http_common`, what Node's http
// server drives), undici's llhttp WebAssembly build allocated as a request parser, and the
// engine's own strict JavaScript parser (src/dataplane/http1/head-parser.ts, which also makes
// Gatehouse's Host/target/canonical-path checks that the other two leave to the caller).
//
// Each produces the same thing per head: method, target, version and the raw header list as
// strings. Rounds alternate the parsers (the machine is shared: compare ratios within a round).
//
//   node bench/http1-parsers.ts [--seconds 1] [--rounds 3]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { parseRequestHead, type HeadCursor } from '../src/dataplane/http1/head-parser.ts';
import { HeadError } from '../src/dataplane/http1/request-head.ts';
import { parseAuthority } from '../src/dataplane/http/authority.ts';
import { canonicalizeTarget } from '../src/dataplane/http/canonical-path.ts';

const require = createRequire(import.meta.url);
// The WebAssembly global (lib "es2024" has no DOM/WebAssembly types): the few members used here.
interface WasmGlobal {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: unknown };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;
const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '3' } } });

/** Realistic heads: wrk's, curl's, a browser's, an API client's POST. */
const HEADS = [
  'GET / HTTP/1.1\r\nHost: bench.example.com\r\n\r\n',
  'GET /api/v1/items?page=2 HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n',
  'GET /static/js/app.4f3c2a.js HTTP/1.1\r\nHost: www.example.com\r\nConnection: keep-alive\r\nsec-ch-ua: "Chromium";v="124", "Not-A.Brand";v="99"\r\nsec-ch-ua-mobile: ?0\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\nsec-ch-ua-platform: "Linux"\r\nAccept: */*\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: script\r\nReferer: https://www.example.com/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-GB,en;q=0.9\r\nCookie: session=3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c; theme=dark\r\n\r\n',
  'POST /api/v1/orders HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 0\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abc\r\nX-Request-ID: 7b0c2f6e-5a1d-4b8e-9f3a-2c4d6e8f0a1b\r\n\r\n',
].map((h) => Buffer.from(h, 'latin1'));

interface Candidate {
  name: string;
  /** Parses every head once; returns a checksum so the work cannot be optimised away. */
  parseAll(): number;
}

// ---- Node's native llhttp binding ----
/**
 * What a native-parser engine must still do after llhttp (checkRequestHead's share): find Host,
 * Content-Length, Transfer-Encoding, Connection and Expect by name, parse Host, canonicalise the
 * target. Compared with the engine parser, which does this in its single pass.
 */
function checksAfterNative(headers: string[], url: string): number {
  let host = '';
  let n = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const l = name.length;
    if (l === 4 && name.toLowerCase() === 'host') host = headers[i + 1]!;
    else if ((l === 14 && name.toLowerCase() === 'content-length') || (l === 17 && name.toLowerCase() === 'transfer-encoding') || (l === 10 && name.toLowerCase() === 'connection') || (l === 6 && name.toLowerCase() === 'expect')) n++;
  }
  const a = parseAuthority(host);
  const t = canonicalizeTarget(url);
  return n + (a === undefined ? 0 : 1) + (t.ok ? 1 : 0);
}

function nativeCandidate(withChecks: boolean): Candidate {
  const { HTTPParser } = require('_http_common') as { HTTPParser: NativeParserClass };
  const parser = new HTTPParser();
  let sum = 0;
  parser[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, headers: string[], method: number, url: string) => {
    sum += headers.length + url.length + method;
    if (withChecks) sum += checksAfterNative(headers, url);
    return 0;
  };
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnMessageComplete] = () => {};
  parser[HTTPParser.kOnHeaders] = () => {};
  parser[HTTPParser.kOnExecute] = () => {};
  parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
  return {
    name: withChecks ? 'native llhttp + the same checks after it' : 'native llhttp (_http_common HTTPParser)',
    parseAll() {
      sum = 0;
      for (const h of HEADS) {
        const r = parser.execute(h);
        if (r instanceof Error) throw r;
      }
      return sum;
    },
  };
}

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
  execute(b: Buffer): number | Error;
}

// ---- undici's llhttp WebAssembly build, as a request parser ----
function wasmCandidate(): Candidate {
  const bin = require('undici/lib/llhttp/llhttp_simd-wasm.js') as Buffer;
  const METHODS = (require('undici/lib/llhttp/constants.js') as { METHODS: Record<string, number> }).METHODS;
  const methodNames: string[] = [];
  for (const [name, id] of Object.entries(METHODS)) methodNames[id] = name;
  let mem: Buffer = Buffer.alloc(0);
  let url = '';
  let headers: string[] = [];
  let sum = 0;
  const text = (at: number, len: number): string => mem.toString('latin1', at, at + len);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bin), {
    env: {
      wasm_on_url: (_p: number, at: number, len: number) => ((url = text(at, len)), 0),
      wasm_on_status: () => 0,
      wasm_on_message_begin: () => ((headers = []), 0),
      wasm_on_header_field: (_p: number, at: number, len: number) => (headers.push(text(at, len)), 0),
      wasm_on_header_value: (_p: number, at: number, len: number) => (headers.push(text(at, len)), 0),
      wasm_on_headers_complete: () => ((sum += headers.length + url.length), 0),
      wasm_on_body: () => 0,
      wasm_on_message_complete: () => 0,
    },
  });
  const ex = instance.exports as unknown as WasmExports;
  const ptr = ex.llhttp_alloc(1 /* TYPE.REQUEST */);
  const size = 64 * 1024;
  const bufPtr = ex.malloc(size);
  mem = Buffer.from(ex.memory.buffer);
  return {
    name: 'undici llhttp wasm (TYPE.REQUEST)',
    parseAll() {
      sum = 0;
      for (const h of HEADS) {
        if (mem.buffer !== ex.memory.buffer) mem = Buffer.from(ex.memory.buffer);
        h.copy(mem, bufPtr);
        const ret = ex.llhttp_execute(ptr, bufPtr, h.length);
        if (ret !== 0) throw new Error(`llhttp wasm error ${ret}`);
        sum += methodNames[ex.llhttp_get_method(ptr)]!.length;
      }
      return sum;
    },
  };
}

interface WasmExports {
  memory: { buffer: ArrayBuffer };
  llhttp_alloc(type: number): number;
  malloc(n: number): number;
  llhttp_execute(p: number, at: number, len: number): number;
  llhttp_get_method(p: number): number;
}

// ---- the engine's strict JavaScript parser ----
function ownCandidate(): Candidate {
  const cursor: HeadCursor = { scanned: 0, consumed: 0 };
  const limits = { maxHeaderSize: 16 * 1024, maxHeadersCount: 100 };
  return {
    name: 'engine head-parser.ts (strict JS, with Gatehouse checks)',
    parseAll() {
      let sum = 0;
      for (const h of HEADS) {
        const r = parseRequestHead(h, limits, cursor, 'http');
        if (r === undefined || r instanceof HeadError) throw new Error('engine parser refused a bench head');
        sum += r.rawHeaders.length + r.target.length + r.method.length;
      }
      return sum;
    },
  };
}

function measure(c: Candidate, seconds: number): number {
  // Warm up, then count whole passes over HEADS until the time is up.
  for (let i = 0; i < 2000; i++) c.parseAll();
  const end = performance.now() + seconds * 1000;
  let passes = 0;
  let check = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) check += c.parseAll();
    passes += 200;
  }
  if (check === 0) throw new Error('no work done');
  return (passes * HEADS.length) / seconds;
}

const candidates = [nativeCandidate(false), nativeCandidate(true), wasmCandidate(), ownCandidate()];
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const c of candidates) {
    const hps = measure(c, seconds);
    results.set(c.name, [...(results.get(c.name) ?? []), hps]);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.get(candidates[0]!.name)!);
console.log(`heads/s over ${HEADS.length} realistic heads (${HEADS.map((h) => h.length).join('/')} bytes), ${rounds} interleaved rounds of ${seconds} s; node ${process.version}`);
for (const c of candidates) {
  const xs = results.get(c.name)!;
  console.log(`${c.name.padEnd(58)} ${median(xs).toFixed(0).padStart(10)} heads/s  (rounds: ${xs.map((x) => (x / 1000).toFixed(0) + 'k').join(', ')})  ratio to native ${(median(xs) / base).toFixed(2)}x`);
}
