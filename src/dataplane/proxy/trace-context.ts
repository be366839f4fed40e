// W3C Trace Context (https://www.w3.org/TR/trace-context/) for the proxy hop: the client's
// traceparent is parsed (a new trace is started when it is absent or invalid), the proxy's own span
// id replaces the parent id sent upstream, and tracestate goes on when it is valid (dropped when it
// is not, or when traceparent was not valid: the spec forbids using it without its parent).
//
// Ids come from a pooled random buffer: one randomFillSync (and hex conversion) per 256 requests.
import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface TraceContext {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** The span id of this hop (16 hex digits): the parent of the upstream's span. */
  readonly spanId: string;
  /** The caller's span id, when the request carried a valid traceparent. */
  readonly parentSpanId: string | undefined;
  /** Trace flags (bit 0: sampled). */
  readonly flags: number;
  /** The validated tracestate, normalised (members joined with ','), when there was one. */
  readonly traceState: string | undefined;
}

export interface TracePolicy {
  /** New traces (no valid parent) are marked sampled: true when spans are exported. */
  readonly sampleNewTraces?: boolean;
}

const POOL_SIZE = 256 * 24;
const pool = Buffer.allocUnsafe(POOL_SIZE);
/** The pool as hex, made once per refill: an id is then a slice of it, not a conversion per request. */
let poolHex = '';
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > POOL_SIZE) {
      randomFillSync(pool);
      poolHex = pool.toString('hex');
      poolOffset = 0;
    }
    const start = poolOffset;
    poolOffset += bytes;
    // An all-zero id is invalid (and 2^-64 at worst): draw again.
    for (let i = start; i < start + bytes; i++) if (pool[i] !== 0) return poolHex.slice(start * 2, (start + bytes) * 2);
  }
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
}

/**
 * The trace context of this hop from the request headers, written into the upstream header list
 * (any traceparent/tracestate the client sent there is replaced). Returns the context for logs and spans.
 */
export function propagateTrace(headers: IncomingHttpHeaders, upstream: string[], policy: TracePolicy | undefined): TraceContext {
  const trace = traceContextOf(headers, policy);
  writeTraceHeaders(upstream, trace);
  return trace;
}

/** This hop's trace context: a child of the client's valid traceparent, or the root of a new trace. */
export function traceContextOf(headers: IncomingHttpHeaders, policy: TracePolicy | undefined): TraceContext {
  const parent = parseTraceparent(headers.traceparent);
  if (parent === undefined) {
    return { traceId: newTraceId(), spanId: newSpanId(), parentSpanId: undefined, flags: policy?.sampleNewTraces === true ? 1 : 0, traceState: undefined };
  }
  const state = headers.tracestate;
  return { traceId: parent.traceId, spanId: newSpanId(), parentSpanId: parent.spanId, flags: parent.flags, traceState: state === undefined ? undefined : parseTracestate(state) };
}

export function traceparentValue(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags < 16 ? '0' : ''}${t.flags.toString(16)}`;
}

/** Replaces the client's traceparent/tracestate (any spelling) in a flat name/value list with this hop's. */
export function writeTraceHeaders(out: string[], t: TraceContext): void {
  for (let i = 0; i + 1 < out.length; ) {
    const name = out[i]!;
    // Cheap checks first: most names are neither 10 nor 11 long, nor start with 't'.
    const c = name.charCodeAt(0) | 0x20;
    if ((name.length === 11 || name.length === 10) && c === 116 && isTraceHeader(name.toLowerCase())) out.splice(i, 2);
    else i += 2;
  }
  out.push('traceparent', traceparentValue(t));
  if (t.traceState !== undefined) out.push('tracestate', t.traceState);
}

function isTraceHeader(lower: string): boolean {
  return lower === 'traceparent' || lower === 'tracestate';
}

/** traceparent → its fields, or undefined when absent or invalid (then a new trace is started). */
export function parseTraceparent(value: string | string[] | undefined): { traceId: string; spanId: string; flags: number } | undefined {
  // Repeated headers are joined by Node ('a, b'): that is longer than one value, hence invalid.
  if (typeof value !== 'string' || value.length < 55) return undefined;
  const version = value.slice(0, 2);
  if (!isLowerHex(version) || version === 'ff') return undefined;
  // Version 00 is exactly 55 characters; a later version may append fields after a '-'.
  if (version === '00' ? value.length !== 55 : value.length > 55 && value[55] !== '-') return undefined;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!isLowerHex(traceId) || isZeros(traceId) || !isLowerHex(spanId) || isZeros(spanId) || !isLowerHex(flags)) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
const TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
// Printable ASCII but ',' and '='; the last character not a space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_MEMBERS = 32;
const MAX_LENGTH = 512;

// Callers tend to send the same tracestate again and again: the last answer is kept (a pure function of its input).
let lastState: string | undefined;
let lastParsed: string | undefined;

/** tracestate → normalised list, or undefined when any member is invalid (the whole header is dropped). */
export function parseTracestate(value: string | string[]): string | undefined {
  const all = typeof value === 'string' ? value : value.join(',');
  if (all === lastState) return lastParsed;
  const parsed = parseTracestateList(all);
  lastState = all;
  lastParsed = parsed;
  return parsed;
}

function parseTracestateList(all: string): string | undefined {
  if (all.length > MAX_LENGTH * 2) return undefined;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const raw of all.split(',')) {
    const member = trimOws(raw);
    if (member.length === 0) continue; // empty list-members are allowed and skipped
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const v = member.slice(eq + 1);
    if (!(SIMPLE_KEY.test(key) || TENANT_KEY.test(key)) || !VALUE.test(v) || keys.has(key)) return undefined;
    keys.add(key);
    members.push(member);
    if (members.length > MAX_MEMBERS) return undefined;
  }
  if (members.length === 0) return undefined;
  const joined = members.join(',');
  return joined.length > MAX_LENGTH ? undefined : joined;
}

/** Strips optional white space (spaces and tabs) at both ends, without a backtracking regex. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}

function isLowerHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return s.length > 0;
}

function isZeros(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}
