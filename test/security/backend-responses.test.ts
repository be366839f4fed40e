// Malformed backend responses become 502 and the upstream connection that carried them is
// destroyed, never reused; a backend that dies mid-body makes the client see an aborted response.
// The backend here writes exact bytes (raw mode of the recording backend).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { RawConnection, waitUntil } from '../support/raw-http.ts';
import type { RecordedConnection } from '../support/recording-backend.ts';
import { echoBody, HOST, startFixture, type Fixture } from './harness.ts';
import { MALFORMED_RESPONSES } from './malformed-responses.ts';

let f: Fixture;

/** Path → exact response bytes (or a function that writes them). Anything else gets a good JSON answer. */
const RESPONSES: Record<string, string | ((socket: Socket) => void)> = { ...MALFORMED_RESPONSES };

function goodAnswer(path: string, conn: RecordedConnection): string {
  const body = JSON.stringify({ backend: 'public', method: 'GET', url: path, httpVersion: '1.1', rawHeaders: [], bodyBytes: 0, connection: conn.id });
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

before(async () => {
  f = await startFixture({ dataPlane: { timeouts: { readTimeoutMs: 3000 } } });
  f.publicBackend.respondRaw((head, socket, conn) => {
    const path = head.split(' ')[1] ?? '';
    const r = RESPONSES[path];
    if (r === undefined) socket.write(goodAnswer(path, conn));
    else if (typeof r === 'string') socket.write(r);
    else r(socket);
  });
});
after(() => f.close());

/** Sends one request; returns the status (or 'closed'/'aborted') and the recorded upstream connection that carried it. */
async function exchange(path: string, method = 'GET'): Promise<{ outcome: number | 'closed' | 'aborted'; upstream: RecordedConnection | undefined }> {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  let outcome: number | 'closed' | 'aborted';
  try {
    await conn.send(`${method} ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const r = await conn.readResponseOrTruncation({ head: method === 'HEAD' });
    outcome = r === 'closed' ? 'closed' : 'truncated' in r ? 'aborted' : r.status;
  } finally {
    conn.destroy();
  }
  const upstream = f.publicBackend.connections.find((c) => c.data.toString('latin1').includes(` ${path} HTTP/1.1`));
  return { outcome, upstream };
}

/** A probe on a new client connection is answered correctly, on a fresh upstream connection. */
async function probeNotOn(bad: RecordedConnection | undefined): Promise<void> {
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`GET /probe HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200, r.body.toString('latin1'));
    const body = echoBody(r) as unknown as { url: string; connection: number };
    assert.equal(body.url, '/probe');
    if (bad !== undefined) assert.notEqual(body.connection, bad.id, 'the probe went over the connection that carried a malformed response');
  } finally {
    conn.destroy();
  }
}

const MALFORMED_502 = [
  '/cl-te',
  '/te-cl',
  '/cl-cl-different',
  '/cl-cl-same',
  '/cl-list',
  '/cl-negative',
  '/te-not-chunked',
  '/unsolicited-101',
  '/unsolicited-100-then-junk',
  '/bad-status-line',
  '/no-status-line',
  '/http09-response',
  '/nul-in-header',
  '/bare-lf-header',
  '/obs-fold',
  '/space-before-colon',
  '/header-too-big',
];

for (const path of MALFORMED_502) {
  test(`malformed response ${path} → 502, that upstream connection destroyed`, async () => {
    const { outcome, upstream } = await exchange(path);
    assert.equal(outcome, 502);
    assert.ok(upstream !== undefined, 'the request reached the backend');
    await waitUntil(() => upstream.closed, `upstream connection of ${path} closed`);
    await probeNotOn(upstream);
  });
}

// A bad first chunk size arrives after a valid head: the data plane holds the head until the first
// body byte, so the error still gets a 502 (and never a complete-looking response).
for (const path of ['/bad-chunk-size', '/chunk-overflow']) {
  test(`malformed response ${path} → 502 or a closed connection without a response, upstream destroyed`, async () => {
    const { outcome, upstream } = await exchange(path);
    assert.ok(outcome === 502 || outcome === 'closed', `got ${outcome}`);
    assert.ok(upstream !== undefined);
    await waitUntil(() => upstream.closed, `upstream connection of ${path} closed`);
    await probeNotOn(upstream);
  });
  test(`malformed response ${path} → strictly 502`, async () => {
    const { outcome } = await exchange(path);
    assert.equal(outcome, 502);
  });
}

for (const [path, method] of [
  ['/body-on-204', 'GET'],
  ['/body-on-304', 'GET'],
  ['/body-on-head', 'HEAD'],
  ['/extra-after-body', 'GET'],
] as const) {
  test(`${method} ${path}: bytes after the end of a response → that upstream connection destroyed, never reused`, async () => {
    const { outcome, upstream } = await exchange(path, method);
    // The response itself is well-formed up to its end, so it may be relayed (or refused with 502);
    // what matters is that the leftover bytes are never read as the next response.
    assert.ok(outcome === 502 || outcome === 200 || outcome === 204 || outcome === 304, `got ${outcome}`);
    assert.ok(upstream !== undefined);
    await waitUntil(() => upstream.closed, `upstream connection of ${path} closed`);
    await probeNotOn(upstream);
  });
}

test('a backend that dies mid-body (Content-Length): the client sees an aborted response, never a complete one', async () => {
  RESPONSES['/die-cl'] = (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
    setTimeout(() => socket.destroy(), 50);
  };
  const { outcome } = await exchange('/die-cl');
  assert.ok(outcome === 'aborted' || outcome === 'closed', `got ${outcome}`);
  await probeNotOn(undefined);
});

test('a backend that dies mid-body (chunked): the client never gets the terminating chunk', async () => {
  RESPONSES['/die-chunked'] = (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n' + 'x'.repeat(1000) + '\r\n');
    setTimeout(() => socket.destroy(), 50);
  };
  const { outcome } = await exchange('/die-chunked');
  assert.ok(outcome === 'aborted' || outcome === 'closed', `got ${outcome}`);
  await probeNotOn(undefined);
});

test('a backend that closes before answering: 502', async () => {
  RESPONSES['/close-early'] = (socket) => socket.destroy();
  const { outcome } = await exchange('/close-early');
  assert.equal(outcome, 502);
  await probeNotOn(undefined);
});
