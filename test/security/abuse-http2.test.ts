// HTTP/2 floods on the HTTPS listener (raw frames over TLS with ALPN h2): rapid reset
// (CVE-2023-44487), SETTINGS and PING floods, CONTINUATION flood (CVE-2024-27983 family), invalid
// frames, too many concurrent streams. Each closes only the offending connection: a normal HTTP/2
// client on another connection keeps being served during and after, the upstream pool is not
// wedged (an HTTP/1 request to the same backend still works), and the process survives.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import http2 from 'node:http2';
import { RawConnection } from '../support/raw-http.ts';
import { CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PING, RST_STREAM, SETTINGS, WINDOW_UPDATE, frame, requestBlock as block } from '../support/raw-h2.ts';
import { assertHealthy, startProcessFixture, type ProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

let f: ProcessFixture;
let good: http2.ClientHttp2Session;

before(async () => {
  f = await startProcessFixture();
  good = http2.connect(`https://127.0.0.1:${f.gh.ports.https}`, { servername: HOST, rejectUnauthorized: false });
  good.on('error', () => {});
});
after(async () => {
  good?.close();
  await f?.close();
});

function rstPayload(code: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(code);
  return b;
}

interface FloodResult {
  sent: number;
  closed: boolean;
  /** The server's GOAWAY error code, if one was received. */
  goaway: number | undefined;
}

/**
 * Opens an h2 connection, sends the preface, then `total` frames from `gen` in batches, as fast as
 * the socket takes them, until the server closes the connection. Bounded in frames and time.
 */
async function flood(gen: (i: number) => Buffer, total: number, opts: { read: boolean }): Promise<FloodResult> {
  const s = tls.connect({ host: '127.0.0.1', port: f.gh.ports.https, ALPNProtocols: ['h2'], servername: HOST, rejectUnauthorized: false });
  s.on('error', () => {});
  let closed = false;
  let inbound = Buffer.alloc(0);
  let goaway: number | undefined;
  s.on('close', () => (closed = true));
  s.on('data', (d: Buffer) => {
    inbound = Buffer.concat([inbound, d]);
    // Walk complete frames, looking for a GOAWAY.
    while (inbound.length >= 9) {
      const len = inbound.readUIntBE(0, 3);
      if (inbound.length < 9 + len) break;
      if (inbound[3] === GOAWAY && len >= 8) goaway = inbound.readUInt32BE(13);
      inbound = inbound.subarray(9 + len);
    }
  });
  await new Promise<void>((resolve, reject) => {
    s.once('secureConnect', () => resolve());
    s.once('error', reject);
  });
  assert.equal(s.alpnProtocol, 'h2');
  if (!opts.read) s.pause();
  s.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(SETTINGS, 0, 0)]));
  let sent = 0;
  const deadline = Date.now() + 30_000;
  while (sent < total && !closed && Date.now() < deadline) {
    const batch: Buffer[] = [];
    for (let k = 0; k < 256 && sent < total; k++, sent++) batch.push(gen(sent));
    if (!s.write(Buffer.concat(batch))) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        s.once('drain', () => {
          clearTimeout(t);
          resolve();
        });
        s.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  // Give the server a bounded chance to close the connection after the last frame.
  for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 50));
  s.destroy();
  return { sent, closed, goaway };
}

/** A well-behaved HTTP/2 client on its own connection gets its answer. */
function goodRequest(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = good.request({ ':path': path, ':authority': HOST });
    const timer = setTimeout(() => {
      req.close();
      reject(new Error(`no answer to ${path} within 10 s`));
    }, 10_000);
    req.on('response', (h) => {
      clearTimeout(timer);
      resolve(Number(h[':status']));
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.resume();
    req.end();
  });
}

async function http1Request(path: string): Promise<number | 'closed'> {
  const c = await RawConnection.connect({ port: f.gh.ports.http });
  try {
    await c.send(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    const r = await c.readResponse();
    return r === 'closed' ? r : r.status;
  } finally {
    c.destroy();
  }
}

async function assertOthersServed(what: string): Promise<void> {
  assert.equal(await goodRequest(`/after-${what}`), 200, `${what}: the other HTTP/2 connection`);
  assert.equal(await http1Request(`/after-${what}`), 200, `${what}: the same backend over HTTP/1 (pool not wedged)`);
  await assertHealthy(f, what);
}

test('the well-behaved HTTP/2 client is served before any flood', async () => {
  assert.equal(await goodRequest('/before'), 200);
});

test('rapid reset (HEADERS + RST_STREAM, up to 20,000 streams) closes only that connection; the pool is not wedged', async () => {
  const during = goodRequest('/during-rapid-reset');
  const r = await flood((i) => Buffer.concat([frame(HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, block(HOST)), frame(RST_STREAM, 0, 2 * i + 1, rstPayload(8))]), 20_000, { read: true });
  assert.equal(await during, 200);
  assert.ok(r.closed, `the flooding connection was not closed after ${r.sent} streams`);
  await assertOthersServed('rapid-reset');
});

test('SETTINGS flood (never reading the ACKs) closes only that connection', async () => {
  const r = await flood(() => frame(SETTINGS, 0, 0), 200_000, { read: false });
  assert.ok(r.closed, `not closed after ${r.sent} SETTINGS frames`);
  assert.ok(r.sent < 200_000, 'closed before the flood ended');
  await assertOthersServed('settings');
});

test('PING flood (never reading the ACKs) closes only that connection', async () => {
  const r = await flood(() => frame(PING, 0, 0, Buffer.alloc(8)), 200_000, { read: false });
  assert.ok(r.closed, `not closed after ${r.sent} PING frames`);
  assert.ok(r.sent < 200_000, 'closed before the flood ended');
  await assertOthersServed('ping');
});

test('CONTINUATION flood (a header block that never ends) closes only that connection', async () => {
  const r = await flood((i) => (i === 0 ? frame(HEADERS, END_STREAM, 1, block(HOST)) : frame(CONTINUATION, 0, 1, Buffer.from([0x40, 1, 0x78, 1, 0x79]))), 200_000, { read: true });
  assert.ok(r.closed, `not closed after ${r.sent} CONTINUATION frames`);
  assert.ok(r.sent < 200_000, 'closed before the flood ended');
  await assertOthersServed('continuation');
});

test('a flood of invalid frames (WINDOW_UPDATE of 0, DATA on stream 0) closes only that connection', async () => {
  const r = await flood((i) => (i % 2 === 0 ? frame(WINDOW_UPDATE, 0, 0, Buffer.alloc(4)) : frame(DATA, 0, 0, Buffer.from('x'))), 5_000, { read: true });
  assert.ok(r.closed, `not closed after ${r.sent} invalid frames`);
  assert.ok(r.goaway !== undefined, 'a GOAWAY says why');
  await assertOthersServed('invalid-frames');
});

test('more concurrent streams than the cap: the excess is refused, the connection is then closed; others are served', async () => {
  // Streams that never end (no END_STREAM): they stay open and count against the cap.
  const r = await flood((i) => frame(HEADERS, END_HEADERS, 2 * i + 1, block(HOST, `/open-${i}`)), 2_000, { read: true });
  assert.ok(r.closed, `not closed after ${r.sent} concurrent streams`);
  await assertOthersServed('concurrent-streams');
});
