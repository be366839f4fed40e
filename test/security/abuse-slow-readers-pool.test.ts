// Issue 9's slow readers and full pool, on the built CLI: 256 HTTP/1.1 connections ask for an
// endless response and never read (the per-endpoint pool of 256 connections is then all theirs). A request
// to the same Service waits in the bounded queue and gets 503 + Retry-After when the wait runs out
// or the queue is full, never nothing; after --client-send-timeout the non-readers are closed and
// their upstream requests aborted, and the Service answers again. A bystander on another route is
// served throughout. Bounded: 256 sockets whose receive buffers fill at ~128 KiB (never read).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawConnection, header, waitUntil } from '../support/raw-http.ts';
import { assertBystanderServed, assertHealthy, dataplaneStats, endless, startBystander, startProcessFixture, type ProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

const SLOW_READERS = 256;
const CLIENT_SEND_TIMEOUT_S = 60; // the default; shorter ones can fire before 256 connections are even accepted on a loaded machine
let f: ProcessFixture;

before(async () => {
  f = await startProcessFixture(['--client-send-timeout', `${CLIENT_SEND_TIMEOUT_S}s`, '--upstream-queue-size', '2', '--upstream-queue-timeout', '1s']);
  f.publicBackend.respondWith((req, res) => {
    if (req.url?.startsWith('/big-')) return endless(req, res);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok');
  });
}, { timeout: 60_000 });
after(() => f?.close());

async function get(path: string): Promise<{ status: number | 'closed'; retryAfter: string | undefined; ms: number }> {
  const started = Date.now();
  const conn = await RawConnection.connect({ port: f.gh.ports.http, timeoutMs: 20_000 });
  try {
    await conn.send(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    const r = await conn.readResponse();
    return { status: r === 'closed' ? r : r.status, retryAfter: r === 'closed' ? undefined : header(r, 'retry-after'), ms: Date.now() - started };
  } finally {
    conn.destroy();
  }
}

test('256 connections that never read hold the pool; queued requests get 503 + Retry-After; the readers are cut off and the Service answers again', { timeout: 300_000 }, async () => {
  const started = Date.now();
  const readers: net.Socket[] = [];
  let bystander: ReturnType<typeof startBystander> | undefined;
  for (let i = 0; i < SLOW_READERS; i++) {
    const s = net.connect({ host: '127.0.0.1', port: f.gh.ports.http });
    s.on('error', () => {});
    s.pause(); // never read: the receive buffer fills and the window closes
    s.write(`GET /big-${i} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    readers.push(s);
  }
  try {
    await waitUntil(() => f.publicBackend.requests.filter((r) => r.url.startsWith('/big-')).length >= SLOW_READERS, 'every slow reader upstream', 60_000, 100);
    // From here on the pool is held (the burst of 256 connections, whose backend runs in this test
    // process, is over): another route must be served while it is held and while it recovers.
    bystander = startBystander(f);

    // The pool is full: two requests wait (queue size 2), a third is refused at once; the two get
    // 503 when their 1 s wait runs out. Never a hang.
    const queued = [get('/queued-1'), get('/queued-2')];
    await waitUntil(async () => (await dataplaneStats(f)).inFlightRequests >= SLOW_READERS + 2, 'two requests in the queue', 10_000, 20).catch(() => {});
    const refused = await get('/refused');
    const waited = await Promise.all(queued);
    for (const r of [refused, ...waited]) {
      assert.equal(r.status, 503, `a request behind the full pool got ${r.status}`);
      assert.equal(r.retryAfter, '1');
    }

    // The client send timeout closes the non-readers and frees the pool: the Service answers.
    await waitUntil(async () => (await get('/after')).status === 200, 'the Service to answer again', 150_000, 500);
    const recoveredAfter = Date.now() - started;
    await waitUntil(async () => (await dataplaneStats(f)).inFlightRequests === 0, 'every slow reader cut off', 90_000, 200);
    await waitUntil(() => readers.every((s) => s.destroyed || s.readableEnded || (s as unknown as { _readableState: { ended: boolean } })._readableState.ended), 'the slow readers closed', 10_000, 100).catch(() => {});
    await assertBystanderServed(bystander, 'slow readers');
    await assertHealthy(f, 'after the slow readers');
    console.log(`slow readers: queued requests answered 503 after ${waited.map((w) => w.ms).join(' / ')} ms (refused at once: ${refused.ms} ms); Service answered again ${recoveredAfter} ms after 256 non-readers connected (--client-send-timeout ${CLIENT_SEND_TIMEOUT_S}s)`);
  } finally {
    for (const s of readers) s.destroy();
    await bystander?.stop();
  }
});
