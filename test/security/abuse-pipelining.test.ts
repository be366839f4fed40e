// Issue 9's pipelining outage on the built CLI: one HTTP/1.1 connection writes 150,000 GETs at once
// (and 40,000 over TLS) to a backend that answers slowly. Requests of a connection go upstream one
// at a time and in order; past 16 queued the connection is closed after the responses owed, so
// memory stays bounded, the event loop does not stall, and a bystander on another route is served
// throughout. Bounded: one ~6 MB write, 17 slow answers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { parseNextResponse, type RawResponse } from '../support/raw-http.ts';
import { assertBystanderServed, assertHealthy, metricValue, startBystander, startProcessFixture, type ProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

const MIB = 1024 * 1024;
const ANSWER_MS = 300;
let f: ProcessFixture;
let active = 0;
let maxActive = 0;
let slowSeen: string[] = [];

before(async () => {
  f = await startProcessFixture();
  f.publicBackend.respondWith((req, res) => {
    if (!req.url?.startsWith('/slow-')) return void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok');
    slowSeen.push(req.url);
    active++;
    maxActive = Math.max(maxActive, active);
    setTimeout(() => {
      active--;
      const body = JSON.stringify({ url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    }, ANSWER_MS);
  });
}, { timeout: 60_000 });
after(() => f?.close());

interface FloodResult {
  responses: RawResponse[];
  closedAfterMs: number;
}

/** Writes `count` pipelined GETs in one write and reads until the server closes (bounded). */
async function flood(socket: net.Socket, count: number): Promise<FloodResult> {
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const started = Date.now();
  const requests: string[] = [];
  for (let i = 1; i <= count; i++) requests.push(`GET /slow-${i} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  socket.write(requests.join(''));
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000).unref());
  const outcome = await Promise.race([closed, timeout]);
  socket.destroy();
  assert.notEqual(outcome, 'timeout', 'the flooding connection was never closed');
  const responses: RawResponse[] = [];
  let rest = received;
  for (;;) {
    const r = parseNextResponse(rest, false, true);
    if (r === 'incomplete' || 'error' in r) break;
    responses.push(r.res);
    rest = rest.subarray(r.used);
  }
  return { responses, closedAfterMs: Date.now() - started };
}

async function floodAndCheck(what: string, connect: () => Promise<net.Socket>, count: number): Promise<void> {
  slowSeen = [];
  maxActive = 0;
  await metricValue(f, 'gatehouse_event_loop_lag_seconds'); // starts a new lag window
  const baseline = f.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, f.rss())), 100);
  const bystander = startBystander(f);
  const result = await flood(await connect(), count);
  clearInterval(sampler);
  peak = Math.max(peak, f.rss());
  const lag = await metricValue(f, 'gatehouse_event_loop_lag_seconds');
  await assertBystanderServed(bystander, what, 1);

  // One at a time, in order, the 16 queued behind the first and nothing more.
  assert.equal(maxActive, 1, `${what}: ${maxActive} requests of one connection were upstream at once`);
  assert.deepEqual(slowSeen, Array.from({ length: 17 }, (_, i) => `/slow-${i + 1}`), `${what}: the backend saw other requests than the 17 owed`);
  // Answers the client read before the close are the owed ones, in order (the close may cut the
  // last ones in flight: the kernel resets a connection closed with unread requests).
  assert.ok(result.responses.length >= 1 && result.responses.length <= 17, `${what}: ${result.responses.length} responses`);
  result.responses.forEach((r, i) => {
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString('utf8')), { url: `/slow-${i + 1}` }, `${what}: response ${i + 1} out of order`);
  });
  const growth = peak - baseline;
  assert.ok(growth < 100 * MIB, `${what}: RSS grew by ${Math.round(growth / MIB)} MiB`);
  assert.ok(lag !== undefined && lag < 3, `${what}: the event loop stalled for ${lag} s`);
  await assertHealthy(f, `after ${what}`);
  console.log(
    `${what}: ${count} pipelined GETs → ${slowSeen.length} forwarded one at a time, ${result.responses.length} answers read, closed after ${result.closedAfterMs} ms; ` +
      `RSS ${Math.round(baseline / MIB)} → peak ${Math.round(peak / MIB)} MiB; event-loop lag ${lag} s`,
  );
}

test('150,000 pipelined GETs in one write: one upstream at a time, closed after 17 answers, bounded memory, no stall', { timeout: 120_000 }, async () => {
  await floodAndCheck('plain HTTP/1.1', async () => {
    const s = net.connect({ host: '127.0.0.1', port: f.gh.ports.http });
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    return s;
  }, 150_000);
});

test('40,000 pipelined GETs over TLS (HTTP/1.1 by ALPN): the same bounds', { timeout: 120_000 }, async () => {
  await floodAndCheck('TLS HTTP/1.1', async () => {
    const s = tls.connect({ host: '127.0.0.1', port: f.gh.ports.https, servername: HOST, ALPNProtocols: ['http/1.1'], rejectUnauthorized: false });
    await new Promise<void>((resolve) => s.once('secureConnect', () => resolve()));
    assert.equal(s.alpnProtocol, 'http/1.1');
    return s;
  }, 40_000);
});

test('a few pipelined requests are all answered in order, one upstream at a time, and the connection stays open', { timeout: 60_000 }, async () => {
  slowSeen = [];
  maxActive = 0;
  const s = net.connect({ host: '127.0.0.1', port: f.gh.ports.http });
  s.on('error', () => {});
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  let received = Buffer.alloc(0);
  let closed = false;
  s.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  s.on('close', () => (closed = true));
  s.write(Array.from({ length: 5 }, (_, i) => `GET /slow-${i + 1} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`).join(''));
  const responses: RawResponse[] = [];
  const deadline = Date.now() + 30_000;
  while (responses.length < 5 && Date.now() < deadline) {
    const r = parseNextResponse(received, false, false);
    if (r !== 'incomplete' && !('error' in r)) {
      responses.push(r.res);
      received = received.subarray(r.used);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(responses.map((r) => JSON.parse(r.body.toString('utf8')).url), ['/slow-1', '/slow-2', '/slow-3', '/slow-4', '/slow-5']);
  assert.equal(maxActive, 1);
  assert.equal(closed, false, 'a connection within the limit stays open');
  s.destroy();
});
