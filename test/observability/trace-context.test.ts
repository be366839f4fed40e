// The W3C trace-context rules of trace-context.ts, and how upstream failures are classified for
// gatehouse_upstream_errors_total, on the pure functions (the proxy tests cover them end to end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { upstreamErrorKind } from '../../src/dataplane/proxy/exchange-observer.ts';
import { parseTraceparent, parseTracestate, propagateTrace, traceparentValue } from '../../src/dataplane/proxy/trace-context.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

test('traceparent: version 00 exactly, later versions by their first fields, invalid ones refused', () => {
  assert.deepEqual(parseTraceparent(`00-${T}-${P}-01`), { traceId: T, spanId: P, flags: 1 });
  assert.deepEqual(parseTraceparent(`00-${T}-${P}-03`), { traceId: T, spanId: P, flags: 3 });
  assert.deepEqual(parseTraceparent(`cc-${T}-${P}-01-what-the-future-holds`), { traceId: T, spanId: P, flags: 1 });
  for (const bad of [
    undefined,
    '',
    `00-${T}-${P}-01 `,
    `00-${T}-${P}-1`,
    `00-${T}-${P}-0x`,
    `0-${T}-${P}-01`,
    `ff-${T}-${P}-01`,
    `cc-${T}-${P}-01x`,
    `00_${T}-${P}-01`,
    `00-${T.slice(1)}g-${P}-01`,
    `00-${T}-${P.toUpperCase()}-01`,
    `00-${T}-${P}-01, 00-${T}-${P}-01`, // two headers, joined by Node
    ['a', 'b'],
  ]) assert.equal(parseTraceparent(bad), undefined, String(bad));
});

test('tracestate: valid lists normalised, anything invalid drops the whole header', () => {
  assert.equal(parseTracestate('a=1'), 'a=1');
  assert.equal(parseTracestate(' a=1 ,\t, b@vendor=x y , tenant-1@sys=ok '), 'a=1,b@vendor=x y,tenant-1@sys=ok');
  assert.equal(parseTracestate(['a=1', 'b=2']), 'a=1,b=2');
  assert.equal(parseTracestate(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',')), Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(','));
  for (const bad of ['', ',', 'A=1', '1a=1', 'a=', 'a', 'a=1,a=2', 'a=x=y', 'a=ctl\u0001', 'a=x\u00e9', `a=${'x'.repeat(257)}`, 'a@B=1', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','), `a=${'x'.repeat(256)},b=${'y'.repeat(256)}`]) {
    assert.equal(parseTracestate(bad), undefined, bad);
  }
});

test('propagateTrace replaces the client\'s trace headers (any spelling) with this hop\'s', () => {
  const upstream = ['host', 'a', 'TraceParent', `00-${T}-${P}-01`, 'x-other', '1', 'tracestate', 'a=1'];
  const trace = propagateTrace({ traceparent: `00-${T}-${P}-01`, tracestate: 'a=1' }, upstream, undefined);
  assert.equal(trace.traceId, T);
  assert.equal(trace.parentSpanId, P);
  assert.match(trace.spanId, /^[0-9a-f]{16}$/);
  assert.deepEqual(upstream, ['host', 'a', 'x-other', '1', 'traceparent', `00-${T}-${trace.spanId}-01`, 'tracestate', 'a=1']);
  const root = propagateTrace({}, [], { sampleNewTraces: true });
  assert.equal(root.parentSpanId, undefined);
  assert.match(traceparentValue(root), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const ids = new Set(Array.from({ length: 1000 }, () => propagateTrace({}, [], undefined).traceId));
  assert.equal(ids.size, 1000, 'ids do not repeat across the random pool refills');
});

test('upstream error kinds', () => {
  const err = (code: string): Error => Object.assign(new Error(code), { code });
  assert.equal(upstreamErrorKind(err('ECONNREFUSED')), 'connect');
  assert.equal(upstreamErrorKind(err('EHOSTUNREACH')), 'connect');
  assert.equal(upstreamErrorKind(err('ECONNRESET')), 'reset');
  assert.equal(upstreamErrorKind(err('UND_ERR_SOCKET')), 'reset');
  assert.equal(upstreamErrorKind(err('UND_ERR_CONNECT_TIMEOUT')), 'timeout');
  assert.equal(upstreamErrorKind(err('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
  assert.equal(upstreamErrorKind(err('ERR_SEND_TIMEOUT')), 'timeout');
  assert.equal(upstreamErrorKind(err('HPE_INVALID_CONSTANT')), 'malformed');
  assert.equal(upstreamErrorKind(err('UND_ERR_RES_CONTENT_LENGTH_MISMATCH')), 'malformed');
  assert.equal(upstreamErrorKind(err('ERR_BAD_RESPONSE_HEADER')), 'malformed');
  assert.equal(upstreamErrorKind(err('ERR_CLIENT_ABORTED')), undefined, 'the client went away: not the upstream\'s');
  assert.equal(upstreamErrorKind(err('ERR_BODY_TOO_LARGE')), undefined);
});
