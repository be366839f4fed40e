// Pins the Node 24 behaviour the data plane works around (as node-parser.test.ts pins llhttp), on
// a bare Node server, so a Node upgrade that changes it says so by name: an HTTP/2 session whose
// socket is closed by the peer while a write is stalled never notices (no socket, session or
// stream 'close'); asking the socket handle to read again makes it notice at once
// (src/dataplane/http2/session-guard.ts). If the first half stops holding, the sweep may be
// unnecessary; if the second half stops holding, the workaround is broken and the abuse tests fail too.
// (HTTP/1 no longer runs on Node's http server: the engine reads pipelined requests one at a time
// itself, so the `socket._paused` pin of the old pipelining gate is gone with the gate.)

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
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
