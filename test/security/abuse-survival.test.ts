// The process survives every malformed or abusive client: garbage, TLS on the plain port, resets
// mid-request and mid-handshake, half-closes, clients that vanish mid-body in either direction.
// Runs the built CLI as its own process: a crash would end it, and this test would see that.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { RawConnection, waitUntil } from '../support/raw-http.ts';
import { makePrng } from './prng.ts';
import { assertHealthy, startProcessFixture, type ProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

let f: ProcessFixture;
before(async () => {
  f = await startProcessFixture();
  // A large, slow response for the "vanish mid-response" cases.
  f.publicBackend.respondWith((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': 64 * 1024 * 1024 });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      return pump();
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok');
  });
});
after(() => f?.close());

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', () => {});
    s.once('error', reject);
  });
}

/** Resolves when the socket is closed by either side (bounded). */
function closed(s: net.Socket, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.destroyed) return resolve();
    const t = setTimeout(() => reject(new Error('socket not closed in time')), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

test('random garbage on 60 connections (seed 1974)', async () => {
  const rng = makePrng(1974);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < 60; i++) {
    const s = await connect(f.gh.ports.http);
    s.resume();
    const n = 1 + rng.int(4096);
    const bytes = Buffer.alloc(n);
    for (let k = 0; k < n; k++) bytes[k] = rng.int(256);
    // Some start like a request, so the parser gets further before it fails.
    s.write(i % 3 === 0 ? Buffer.concat([Buffer.from(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n`), bytes]) : bytes);
    sockets.push(s);
  }
  for (const s of sockets) s.end();
  await Promise.all(sockets.map((s) => closed(s)));
  await assertHealthy(f, 'garbage');
});

test('a TLS ClientHello (and other protocols) on the plain HTTP port', async () => {
  const s = tls.connect({ host: '127.0.0.1', port: f.gh.ports.http, rejectUnauthorized: false });
  await new Promise<void>((resolve) => {
    s.once('error', () => resolve());
    s.once('close', () => resolve());
  });
  for (const bytes of ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', '\x16\x03\x01\x00\x05hello', 'SSH-2.0-OpenSSH_9.0\r\n', '\x00\x00\x00\x00', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n']) {
    const c = await connect(f.gh.ports.http);
    c.resume();
    c.write(bytes);
    await closed(c);
  }
  await assertHealthy(f, 'other protocols');
});

test('resets: mid-head, after the head, mid-body, before the response is read', async () => {
  const stages = [
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Partial: `,
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(5000)}`,
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n${'x'.repeat(100)}`,
    `GET /big HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
  ];
  for (let round = 0; round < 5; round++) {
    for (const bytes of stages) {
      const s = await connect(f.gh.ports.http);
      s.resume();
      await new Promise<void>((resolve) => s.write(bytes, () => resolve()));
      if (round % 2 === 0) await new Promise((r) => setTimeout(r, 20));
      s.resetAndDestroy();
    }
  }
  await assertHealthy(f, 'resets');
});

test('half-close: after a partial head, or after a full request, the connection is closed cleanly (a half-close means the client left)', async () => {
  const partial = await RawConnection.connect({ port: f.gh.ports.http });
  await partial.send(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n`);
  partial.endWrite();
  await partial.waitClosed();
  const full = await RawConnection.connect({ port: f.gh.ports.http });
  try {
    await full.send(`GET /half HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    full.endWrite();
    // Node's server treats a FIN as the client going away (httpAllowHalfOpen is off): the request
    // is aborted upstream and the connection closed; an answer that raced out first is fine too.
    const r = await full.readResponse();
    if (r !== 'closed') assert.equal(r.status, 200);
    await full.waitClosed();
  } finally {
    full.destroy();
  }
  await assertHealthy(f, 'half-close');
});

test('clients that vanish mid-upload and mid-download, 20 times each', async () => {
  for (let i = 0; i < 20; i++) {
    const up = await connect(f.gh.ports.http);
    up.resume();
    up.write(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 10000000\r\n\r\n`);
    up.write(Buffer.alloc(256 * 1024, 'u'));
    const down = await connect(f.gh.ports.http);
    let got = 0;
    down.on('data', (d: Buffer) => (got += d.length));
    down.write(`GET /big HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    await waitUntil(() => got > 100_000, 'the download to start');
    if (i % 2 === 0) {
      up.destroy();
      down.destroy();
    } else {
      up.resetAndDestroy();
      down.resetAndDestroy();
    }
  }
  await assertHealthy(f, 'vanishing clients');
});

test('TLS clients that reset mid-handshake or send garbage on the HTTPS port', async () => {
  for (let i = 0; i < 10; i++) {
    const raw = await connect(f.gh.ports.https);
    raw.resume();
    // A truncated ClientHello record, then a reset.
    raw.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    await new Promise((r) => setTimeout(r, 10));
    raw.resetAndDestroy();
    const junk = await connect(f.gh.ports.https);
    junk.resume();
    junk.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    await closed(junk);
    const t = tls.connect({ host: '127.0.0.1', port: f.gh.ports.https, servername: HOST, rejectUnauthorized: false });
    t.on('error', () => {});
    await new Promise<void>((resolve) => t.once('secureConnect', () => resolve()));
    // Handshake done, then vanish mid-request.
    t.write(`GET /big HTTP/1.1\r\nHost: ${HOST}\r\n`);
    t.destroy();
  }
  await assertHealthy(f, 'TLS abuse');
});
