// Pins the Node 24 behaviours the data plane works around (as node-parser.test.ts pins llhttp), on
// bare Node servers, so a Node upgrade that changes them says so by name:
//   1. an HTTP/2 session whose socket is closed by the peer while a write is stalled never notices
//      (no socket, session or stream 'close'); asking the socket handle to read again makes it
//      notice at once (src/dataplane/http2/session-guard.ts);
//   2. socket.pause() inside a request handler does not stop Node parsing and emitting pipelined
//      requests; setting the server's own back-pressure flag (`socket._paused`) with it does
//      (src/dataplane/http/pipeline-gate.ts).
// If (1) stops holding, the sweep may be unnecessary; if the second half of either stops holding,
// the workaround is broken and the abuse tests fail too.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { makeCa, makeLeaf } from '../support/certs.ts';
import { waitUntil } from '../support/raw-http.ts';
import { END_HEADERS, END_STREAM, HEADERS, PREFACE, SETTINGS_INITIAL_WINDOW_SIZE, connectRawH2, frame, requestBlock, settingsFrame, windowUpdate } from '../support/raw-h2.ts';

const ca = makeCa({ name: 'pins' });
after(() => ca.dispose());

test('Node pin: an HTTP/2 session never notices its socket closed under a stalled write; readStart() on the handle makes it', { timeout: 60_000 }, async () => {
  const leaf = makeLeaf(ca, { names: ['pin.example'] });
  const server = http2.createSecureServer({ key: leaf.keyPem, cert: leaf.certPem, allowHTTP1: true });
  let session: http2.ServerHttp2Session | undefined;
  let sessionClosed = false;
  let responseClosed = false;
  server.on('session', (s) => {
    session = s;
    s.on('error', () => {});
    s.once('close', () => (sessionClosed = true));
  });
  server.on('request', (_req, res) => {
    res.on('close', () => (responseClosed = true));
    res.on('error', () => {});
    const chunk = Buffer.alloc(64 * 1024, 'p');
    // Written as fast as the stream takes it, as a proxied download is.
    const pump = (): void => {
      while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const c = await connectRawH2(port, 'pin.example', { read: false });
    c.write(Buffer.concat([PREFACE, settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]), windowUpdate(0, 2 ** 31 - 1 - 65_535), frame(HEADERS, END_HEADERS | END_STREAM, 1, requestBlock('pin.example', '/'))]));
    await waitUntil(() => session !== undefined, 'the session');
    await new Promise((r) => setTimeout(r, 1500)); // every buffer on the way fills up
    c.socket.destroy(); // data unread: the kernel resets the connection
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(sessionClosed, false, 'Node now notices the closed socket by itself: session-guard.ts sweep may be unnecessary');
    assert.equal(responseClosed, false, 'the response closed by itself');
    const handle = (session!.socket as unknown as { _handle?: { readStart?: () => number } })._handle;
    assert.equal(typeof handle?.readStart, 'function', 'the socket handle has no readStart any more: the session guard cannot re-arm reads');
    handle!.readStart!();
    await waitUntil(() => sessionClosed && responseClosed, 'the session and the response to close after readStart()', 5000);
  } finally {
    session?.destroy();
    server.close();
  }
});

async function pipelineFlood(onRequest: (socket: net.Socket & { _paused?: boolean }, n: number) => void): Promise<number> {
  let count = 0;
  const server = http.createServer((req) => {
    count++;
    onRequest(req.socket as net.Socket, count);
    // Never answered: only what is parsed matters here.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET / HTTP/1.1\r\nHost: pin.example\r\n\r\n'.repeat(150_000));
  // Long enough for Node to parse far beyond one read if nothing stops it (bounded either way).
  await waitUntil(() => count > 20_000, 'parsing', 8000).catch(() => {});
  socket.destroy();
  server.closeAllConnections();
  server.close();
  return count;
}

test('Node pin: socket.pause() in a handler does not stop pipelined requests; with socket._paused it does', { timeout: 60_000 }, async () => {
  const pausedOnly = await pipelineFlood((socket, n) => {
    if (n >= 17) socket.pause();
  });
  assert.ok(pausedOnly > 20_000, `pause() alone now stops the parser (${pausedOnly} requests): pipeline-gate.ts could drop the _paused flag`);
  const withFlag = await pipelineFlood((socket, n) => {
    if (n >= 17) {
      socket._paused = true;
      socket.pause();
    }
  });
  // At most what one read (64 KiB, ~1,800 of these requests) held.
  assert.ok(withFlag < 5_000, `with socket._paused Node still parsed ${withFlag} requests: pipeline-gate.ts no longer stops reading`);
});
