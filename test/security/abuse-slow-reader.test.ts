// A slow reader of a 1 GiB response: back-pressure reaches the backend (it stops being read) and
// the proxy's memory stays flat, while the client pauses and while it then reads everything.
// The proxy runs in its own process so its resident memory can be read from /proc.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { waitUntil } from '../support/raw-http.ts';
import { startProcessFixture, assertHealthy, type ProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;
let f: ProcessFixture;
let produced = 0;

before(async () => {
  f = await startProcessFixture();
  const chunk = Buffer.alloc(256 * 1024, 'z');
  f.publicBackend.respondWith((req, res) => {
    if (req.url !== '/gib') return void res.writeHead(200, { 'content-length': 2 }).end('ok');
    produced = 0;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': GIB });
    res.on('error', () => {});
    const pump = (): void => {
      while (produced < GIB) {
        produced += chunk.length;
        // Generated on the fly and only ever written when the socket takes it.
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
});
after(() => f?.close());

test('slow reader of 1 GiB: the backend is held back and the proxy RSS stays flat', { timeout: 180_000 }, async () => {
  const baseline = f.rss();
  let received = 0;
  let maxRss = baseline;
  const sample = (): void => {
    maxRss = Math.max(maxRss, f.rss());
  };
  const socket = net.connect({ host: '127.0.0.1', port: f.gh.ports.http });
  socket.on('error', () => {});
  let reading = false;
  socket.on('data', (d: Buffer) => {
    received += d.length;
    // Read about 1 MiB, then stop reading: a slow reader (until the test reads on).
    if (received >= MIB && !reading) socket.pause();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`GET /gib HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
  await waitUntil(() => received >= MIB, 'the first MiB');

  // While the client reads nothing, the backend's output must level off far below 1 GiB.
  let last = -1;
  let stableFor = 0;
  await waitUntil(
    () => {
      sample();
      stableFor = produced === last ? stableFor + 1 : 0;
      last = produced;
      return stableFor >= 5;
    },
    'the backend to be held back by back-pressure',
    30_000,
    200,
  );
  const heldAt = produced;
  assert.ok(heldAt < 128 * MIB, `the backend wrote ${Math.round(heldAt / MIB)} MiB to a client that reads nothing`);
  assert.ok(maxRss - baseline < 96 * MIB, `proxy RSS grew by ${Math.round((maxRss - baseline) / MIB)} MiB while the client paused`);

  // Now read it all; memory stays flat throughout.
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const sampler = setInterval(sample, 100);
  reading = true;
  socket.resume();
  await done;
  clearInterval(sampler);
  sample();
  assert.ok(received > GIB, `received ${received} bytes`);
  assert.equal(produced, GIB);
  // Flat means bounded by buffers and GC slack, not by the size of the response (measured: ~90 MiB).
  assert.ok(maxRss - baseline < 192 * MIB, `proxy RSS grew by ${Math.round((maxRss - baseline) / MIB)} MiB over a 1 GiB response`);
  console.log(`slow reader: backend held at ${Math.round(heldAt / MIB)} MiB while paused; proxy RSS baseline ${Math.round(baseline / MIB)} MiB, max ${Math.round(maxRss / MIB)} MiB`);
  await assertHealthy(f, 'after the slow reader');
});
