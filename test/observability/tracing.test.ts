// Tracing through the built CLI: W3C traceparent/tracestate reach an echo backend with this hop's
// span id; a new trace when absent or invalid; the trace id in the access log; and, with
// --otlp-endpoint, a server span per request arriving at an OTLP/HTTP receiver with the right ids
// and attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { json } from '../support/http-client.ts';
import { waitFor } from '../support/spawn-gatehouse.ts';
import { ingress, startObservedGatehouse, type ObservedWorld } from './observed-gatehouse.ts';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

async function world(t: { after(fn: () => Promise<void> | void): void }, args: string[] = []): Promise<ObservedWorld> {
  const a = await startEchoBackend({ address: '127.0.0.2', name: 'a' });
  t.after(() => a.close());
  const down = await closedPort();
  return startObservedGatehouse(t, {
    services: { 'shop/svc-a': { endpoints: [`127.0.0.2:${a.port}`] }, 'shop/svc-down': { endpoints: [`127.0.0.1:${down}`] } },
    objects: [ingress('shop', 'web', { 'a.example.com': { '/x': 'svc-a' }, 'down.example.com': { '/': 'svc-down' } })],
    args,
  });
}

/** The traceparent the backend received, split. */
function upstreamTrace(reply: EchoReply): { traceId: string; spanId: string; flags: string; state: string | undefined } {
  const m = TRACEPARENT.exec(String(reply.headers['traceparent']));
  assert.ok(m, `the backend got a valid traceparent: ${String(reply.headers['traceparent'])}`);
  assert.equal(reply.rawHeaders.filter((h) => h.toLowerCase() === 'traceparent').length, 1, 'exactly one traceparent upstream');
  const state = reply.headers['tracestate'];
  return { traceId: m[1]!, spanId: m[2]!, flags: m[3]!, state: state === undefined ? undefined : String(state) };
}

test('traceparent and tracestate: continued when valid (new span id upstream), a new trace when absent or invalid; traceId in the access log', async (t) => {
  const w = await world(t);
  const get = async (headers: Record<string, string>): Promise<EchoReply> => {
    const r = await w.request('a.example.com', '/x', { headers });
    assert.equal(r.status, 200);
    return json<EchoReply>(r);
  };

  // A valid parent: same trace, the proxy's span id as the new parent, flags and tracestate kept.
  const child = upstreamTrace(await get({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7' }));
  assert.equal(child.traceId, TRACE);
  assert.notEqual(child.spanId, PARENT);
  assert.notEqual(child.spanId, '0000000000000000');
  assert.equal(child.flags, '01');
  assert.equal(child.state, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
  const unsampled = upstreamTrace(await get({ traceparent: `00-${TRACE}-${PARENT}-00` }));
  assert.equal(unsampled.flags, '00', 'the caller\'s sampling decision is kept');
  assert.equal(unsampled.state, undefined);

  // Absent: a new trace; without export it is not marked sampled.
  const fresh = upstreamTrace(await get({}));
  assert.notEqual(fresh.traceId, TRACE);
  assert.equal(fresh.flags, '00');
  const fresh2 = upstreamTrace(await get({}));
  assert.notEqual(fresh2.traceId, fresh.traceId, 'every new trace has its own id');

  // Invalid parents start a new trace, and their tracestate is dropped with them.
  for (const bad of [
    `00-${TRACE.toUpperCase()}-${PARENT}-01`, // upper-case hex
    `00-${'0'.repeat(32)}-${PARENT}-01`, // all-zero trace id
    `00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero parent id
    `ff-${TRACE}-${PARENT}-01`, // version ff
    `00-${TRACE}-${PARENT}-01-extra`, // version 00 with more fields
    `00-${TRACE}-${PARENT}`, // too short
  ]) {
    const got = upstreamTrace(await get({ traceparent: bad, tracestate: 'congo=t61rcWkgMzE' }));
    assert.notEqual(got.traceId, TRACE, bad);
    assert.equal(got.state, undefined, `tracestate dropped with ${bad}`);
  }
  // A later version is read by its first four fields.
  assert.equal(upstreamTrace(await get({ traceparent: `01-${TRACE}-${PARENT}-01-future` })).traceId, TRACE);
  // A valid parent with an invalid tracestate: the trace goes on, the state is dropped.
  for (const state of ['Upper=1', 'a=1,a=2', 'novalue', `k=${'v'.repeat(257)}`, 'k=has,comma=1=2']) {
    const got = upstreamTrace(await get({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: state }));
    assert.equal(got.traceId, TRACE);
    assert.equal(got.state, undefined, `invalid tracestate ${state} dropped`);
  }

  // The access log names the trace, for proxied requests and for those Gatehouse answers itself.
  await w.gh.waitForLog((l) => l.msg === 'access' && l['traceId'] === TRACE, 'an access line with the caller\'s trace id');
  await w.gh.waitForLog((l) => l.msg === 'access' && l['traceId'] === fresh.traceId, 'an access line with the new trace id');
  assert.equal((await w.request('nowhere.example.com', '/', { headers: { traceparent: `00-${TRACE}-${'1'.repeat(16)}-01` } })).status, 404);
  const notFound = await w.gh.waitForLog((l) => l.msg === 'access' && l['status'] === 404, 'the 404 access line');
  assert.equal(notFound['traceId'], TRACE);
});

test('--otlp-endpoint: a server span per request reaches an OTLP/HTTP receiver with the propagated ids and HTTP/route attributes', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const w = await world(t, ['--otlp-endpoint', receiver.url]);

  // Unsampled first: a span for it must never arrive, even once later ones have.
  const UNSAMPLED = 'aaaabbbbccccddddeeeeffff00001111';
  assert.equal((await w.request('a.example.com', '/x', { headers: { traceparent: `00-${UNSAMPLED}-${PARENT}-00` } })).status, 200);
  const continued = upstreamTrace(json<EchoReply>(await w.request('a.example.com', '/x?q=secret', { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'rojo=00f067aa0ba902b7' } })));
  const fresh = upstreamTrace(json<EchoReply>(await w.request('a.example.com', '/x', { method: 'PURGE' })));
  assert.equal(fresh.flags, '01', 'with export on, new traces are sampled');
  assert.equal((await w.request('down.example.com', '/')).status, 502);

  const byTrace = (id: string): ReceivedSpan | undefined => receiver.spans.find((s) => s.traceId === id);
  await waitFor('spans at the receiver', () => byTrace(TRACE) !== undefined && byTrace(fresh.traceId) !== undefined && receiver.spans.some((s) => s.attributes['http.response.status_code'] === 502), 20_000);
  assert.deepEqual([...new Set(receiver.contentTypes)], ['application/x-protobuf']);

  const s = byTrace(TRACE)!;
  assert.equal(s.spanId, continued.spanId, 'the span id is the parent id the backend got');
  assert.equal(s.parentSpanId, PARENT);
  assert.equal(s.traceState, 'rojo=00f067aa0ba902b7');
  assert.equal(s.kind, 2, 'SERVER');
  assert.equal(s.name, 'GET /x');
  assert.equal(s.statusCode, 0);
  assert.ok(s.endTimeUnixNano > s.startTimeUnixNano);
  assert.ok(Math.abs(Number(s.startTimeUnixNano / 1_000_000n) - Date.now()) < 600_000, 'start time is Unix time');
  assert.deepEqual(
    {
      method: s.attributes['http.request.method'],
      status: s.attributes['http.response.status_code'],
      route: s.attributes['http.route'],
      path: s.attributes['url.path'],
      scheme: s.attributes['url.scheme'],
      server: s.attributes['server.address'],
      client: s.attributes['client.address'],
      namespace: s.attributes['k8s.namespace.name'],
      ingress: s.attributes['gatehouse.ingress'],
      service: s.attributes['gatehouse.service'],
      routeId: s.attributes['gatehouse.route'],
      attempts: s.attributes['gatehouse.upstream.attempts'],
    },
    { method: 'GET', status: 200, route: '/x', path: '/x', scheme: 'http', server: 'a.example.com', client: '127.0.0.1', namespace: 'shop', ingress: 'web', service: 'shop/svc-a:http', routeId: 'shop/web#r0.p0', attempts: 1 },
  );
  assert.ok(!JSON.stringify(s.attributes).includes('secret'), 'the query string is not recorded');
  assert.match(String(s.attributes['gatehouse.upstream.address']), /^127\.0\.0\.2:\d+$/);
  assert.equal(s.resource['service.name'], 'gatehouse');
  assert.equal(s.resource['service.version'], '0.1.0');

  const root = byTrace(fresh.traceId)!;
  assert.equal(root.spanId, fresh.spanId);
  assert.equal(root.parentSpanId, '', 'a new trace: a root span');
  assert.equal(root.attributes['http.request.method'], '_OTHER');
  assert.equal(root.attributes['http.request.method_original'], 'PURGE');

  const failed = receiver.spans.find((x) => x.attributes['http.response.status_code'] === 502)!;
  assert.equal(failed.statusCode, 2, 'ERROR');
  assert.equal(failed.attributes['error.type'], 'ECONNREFUSED');
  assert.equal(failed.attributes['gatehouse.service'], 'shop/svc-down:http');

  assert.equal(byTrace(UNSAMPLED), undefined, 'a caller that did not sample gets no span');
  // Shutdown exports what is still queued and exits cleanly.
  assert.equal(await w.gh.stop('SIGTERM'), 0);
});
