// Every framing case through the real data plane: the client gets its status (or a closed
// connection), the connection closes without parsing the probe pipelined behind the attack, the
// backends see nothing they should not, and a probe on a new connection gets its own answer.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FRAMING_CASES } from './framing-cases.ts';
import { assertNoMarkerReachedBackends, expectRejected, probeNewConnection, startFixture, MARKER, HOST, echoBody, type Fixture } from './harness.ts';
import { RawConnection } from '../support/raw-http.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

for (const c of FRAMING_CASES) {
  test(`[${c.cls}] ${c.name} → ${c.status.join(' or ')}`, async () => {
    if (!c.bodyError) {
      await expectRejected(f, c.bytes, { status: c.status }, c.name);
      return;
    }
    // The head is valid and the request may already be on its way upstream when the body turns
    // out malformed: the backend may see the head, but never a complete request, nor the marker.
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      await conn.send(c.bytes);
      const r = await conn.readResponseOrTruncation();
      const got = r === 'closed' || 'truncated' in r ? 'closed' : r.status;
      assert.ok(c.status.includes(got), `expected ${c.status.join(' or ')}, got ${got}`);
      await conn.waitClosed();
    } finally {
      conn.destroy();
    }
    assertNoMarkerReachedBackends(f, c.name);
    for (const b of [f.publicBackend, f.adminBackend]) {
      for (const seen of b.requests) assert.notEqual(seen.method, 'POST', `backend ${b.name} completed a request from a malformed body`);
    }
    await probeNewConnection(f);
  });
}

test('[TE.TE] Transfer_Encoding (underscore) is just a header: the body is framed by Content-Length; what follows is its own request', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /te HTTP/1.1\r\nHost: ${HOST}\r\nTransfer_Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\nGET /${MARKER} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const first = await conn.readResponse();
    assert.ok(first !== 'closed');
    assert.equal(first.status, 200);
    assert.equal(echoBody(first).bodyBytes, 0);
    const second = await conn.readResponse();
    assert.ok(second === 'closed' || second.status === 400, 'the junk "0" line is a bad request');
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  assertNoMarkerReachedBackends(f, 'underscore TE');
  for (const b of [f.publicBackend, f.adminBackend]) {
    for (const seen of b.requests) {
      assert.ok(!seen.rawHeaders.some((h) => h.toLowerCase() === 'transfer_encoding'), 'headers with "_" are not forwarded (CGI-style backends read them as "-")');
    }
  }
  await probeNewConnection(f);
});

test('valid spellings are still accepted and framed correctly: OWS, case, list forms, chunk extensions, several chunks, leading zeros', async () => {
  const cases = [
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length:  5 \r\n\r\nhello`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: ,chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b c"\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\nA\r\nllo\r\n\r\n\r\n\r\n0\r\n\r\n`.replace('A\r\nllo\r\n\r\n\r\n\r\n', '3\r\nllo\r\n'),
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 005\r\n\r\nhello`,
  ];
  for (const bytes of cases) {
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      await conn.send(bytes);
      const r = await conn.readResponse();
      assert.ok(r !== 'closed', JSON.stringify(bytes));
      assert.equal(r.status, 200, JSON.stringify(bytes));
      assert.equal(echoBody(r).bodyBytes, 5);
      assert.deepEqual(f.publicBackend.requests.map((q) => q.body.toString()), ['hello'], JSON.stringify(f.publicBackend.requests.map((q) => [q.method, q.url])));
    } finally {
      conn.destroy();
    }
  }
});

test('[target] OPTIONS * is answered by Gatehouse itself and never routed; the connection stays usable', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`OPTIONS * HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200);
    assert.match(r.headers.find(([n]) => n === 'allow')?.[1] ?? '', /OPTIONS/);
    await conn.send(`GET /after HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const next = await conn.readResponse();
    assert.ok(next !== 'closed');
    assert.equal(echoBody(next).url, '/after');
  } finally {
    conn.destroy();
  }
  assert.deepEqual(f.publicBackend.requests.map((r) => r.url), ['/after']);
});

test('a body on GET, HEAD, OPTIONS (or sent before the 100) is framed by its Content-Length, never read as a request', async () => {
  for (const [method, extra] of [
    ['GET', ''],
    ['HEAD', ''],
    ['OPTIONS', ''],
    ['DELETE', ''],
    ['POST', 'Expect: 100-continue\r\n'],
  ] as const) {
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      const inner = `GET /${MARKER} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
      await conn.send(`${method} /carrier HTTP/1.1\r\nHost: ${HOST}\r\n${extra}Content-Length: ${inner.length}\r\n\r\n${inner}GET /next HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      let first = await conn.readResponse({ head: method === 'HEAD' });
      if (first !== 'closed' && first.status === 100) first = await conn.readResponse();
      assert.ok(first !== 'closed', method);
      assert.equal(first.status, 200, method);
      const next = await conn.readResponse();
      assert.ok(next !== 'closed', method);
      assert.equal(echoBody(next).url, '/next', method);
    } finally {
      conn.destroy();
    }
    // The two requests may reach the backend over two pooled connections, in either order.
    const seen = f.publicBackend.requests.map((r) => `${r.method} ${r.url}`).sort();
    assert.deepEqual(seen, [`${method} /carrier`, 'GET /next'].sort(), `${method}: the backend parsed ${JSON.stringify(seen)}`);
  }
});

test('trailers from the client never become upstream headers', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /t HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nHost: evil.example\r\nX-Forwarded-For: 6.6.6.6\r\nAuthorization: Basic ${MARKER}\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200);
    assert.equal(echoBody(r).bodyBytes, 5);
  } finally {
    conn.destroy();
  }
  const bytes = f.publicBackend.allBytes().toString('latin1');
  for (const needle of ['evil.example', '6.6.6.6', MARKER]) assert.ok(!bytes.includes(needle), `${needle} reached the backend`);
});
