// Every framing case of the security suite (test/security/framing-cases.ts) against a server built
// on the HTTP/1 engine with a trivial handler: the client gets the status the current data plane
// gives (or a closed connection where the case allows it), the connection closes without parsing
// the probe pipelined behind the attack, the handler never saw a request it should not have, and a
// probe on a new connection is answered. Then the valid spellings, bodies on GET/HEAD/..., trailers
// and OPTIONS * from request-framing.test.ts, with the same expectations.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FRAMING_CASES } from '../security/framing-cases.ts';
import { HOST, MARKER } from '../security/harness.ts';
import { RawConnection, header, type RawResponse } from '../support/raw-http.ts';
import { startEngineFixture, type EngineFixture } from './engine-fixture.ts';

let f: EngineFixture;
before(async () => {
  f = await startEngineFixture();
});
after(() => f.close());

interface Echo {
  method: string;
  url: string;
  path: string;
  rawHeaders: string[];
  bodyBytes: number;
  body: string;
}

function echoOf(r: RawResponse | 'closed', what: string): Echo {
  assert.ok(r !== 'closed', `${what}: connection closed`);
  assert.equal(r.status, 200, `${what}: ${r.status} ${r.body.toString('latin1')}`);
  assert.equal(header(r, 'content-type'), 'application/json');
  return JSON.parse(r.body.toString('latin1')) as Echo;
}

async function probeNewConnection(): Promise<void> {
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`GET /probe HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    assert.equal(echoOf(await conn.readResponse(), 'probe').url, '/probe');
  } finally {
    conn.destroy();
  }
}

function assertNoMarkerSeen(what: string): void {
  for (const r of f.seen) {
    assert.ok(!r.target.includes(MARKER), `${what}: the handler got a smuggled request ${r.target}`);
    assert.ok(!r.rawHeaders.join('\n').includes(MARKER), `${what}: marker in headers`);
  }
}

for (const c of FRAMING_CASES) {
  test(`engine [${c.cls}] ${c.name} → ${c.status.join(' or ')}`, async () => {
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      if (!c.bodyError) {
        // The attack with a probe behind it in the same write: the probe must never be parsed.
        await conn.send(Buffer.concat([Buffer.from(c.bytes, 'latin1'), Buffer.from(`GET /same-connection-${MARKER} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, 'latin1')]));
        const r = await conn.readResponse();
        const got = r === 'closed' ? 'closed' : r.status;
        assert.ok(c.status.includes(got), `expected ${c.status.join(' or ')}, got ${got}`);
        if (r !== 'closed') assert.equal(header(r, 'connection'), 'close');
        const rest = await conn.waitClosed();
        assert.equal(rest.length, 0, `bytes after the rejection: ${JSON.stringify(rest.toString('latin1'))}`);
        assert.deepEqual(f.seen, [], 'a refused head never reaches the handler');
        assert.equal(f.rejections.length, 1);
        assert.equal(f.rejections[0]?.status, typeof got === 'number' ? got : f.rejections[0]?.status);
      } else {
        // The head is valid and reaches the handler; the body turns out malformed: never a complete request.
        await conn.send(c.bytes);
        const r = await conn.readResponseOrTruncation();
        const got = r === 'closed' || 'truncated' in r ? 'closed' : r.status;
        assert.ok(c.status.includes(got), `expected ${c.status.join(' or ')}, got ${got}`);
        await conn.waitClosed();
        // llhttp accepts every such head and fails on the body; the engine refuses `Transfer-Encoding:
        // identity` from its head already (stricter: the handler never sees it).
        const expectedHeads = c.name.includes('(identity)') ? 0 : 1;
        assert.equal(f.seen.length, expectedHeads, 'heads handed to the handler');
        if (expectedHeads === 1) {
          assert.equal(f.seen[0]?.complete, false, 'the handler never got a complete body');
          assert.ok(!f.seen[0]?.body.toString('latin1').includes(MARKER), 'the smuggled request never reached the handler as body');
        }
      }
    } finally {
      conn.destroy();
    }
    assertNoMarkerSeen(c.name);
    await probeNewConnection();
  });
}

test('engine: Transfer_Encoding (underscore) is just a header: Content-Length frames the body; the junk after it is a bad request', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /te HTTP/1.1\r\nHost: ${HOST}\r\nTransfer_Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\nGET /${MARKER} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    assert.equal(echoOf(await conn.readResponse(), 'first').bodyBytes, 0);
    const second = await conn.readResponse();
    assert.ok(second === 'closed' || second.status === 400);
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  assertNoMarkerSeen('underscore TE');
});

test('engine: valid spellings are accepted and framed right (OWS, case, list forms, extensions, several chunks, leading zeros)', async () => {
  const cases = [
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length:  5 \r\n\r\nhello`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: ,chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b c"\r\nhello\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 005\r\n\r\nhello`,
  ];
  for (const bytes of cases) {
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      await conn.send(bytes);
      const e = echoOf(await conn.readResponse(), JSON.stringify(bytes));
      assert.equal(e.body, 'hello', JSON.stringify(bytes));
      // The connection stays usable.
      await conn.send(`GET /after HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      assert.equal(echoOf(await conn.readResponse(), 'after').url, '/after');
    } finally {
      conn.destroy();
    }
  }
});

test('engine: OPTIONS * reaches the handler as path "*" and the connection stays usable', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`OPTIONS * HTTP/1.1\r\nHost: ${HOST}\r\n\r\nGET /after HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200);
    assert.match(header(r, 'allow') ?? '', /OPTIONS/);
    assert.equal(echoOf(await conn.readResponse(), 'after').url, '/after');
  } finally {
    conn.destroy();
  }
  assert.deepEqual(f.seen.map((s) => s.path), ['*', '/after']);
});

test('engine: a body on GET, HEAD, OPTIONS, DELETE (or before a 100) is framed by its Content-Length, never read as a request', async () => {
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
      if (method === 'HEAD') assert.equal(header(first, 'content-length') !== undefined, true, 'HEAD keeps the length, sends no body');
      assert.equal(echoOf(await conn.readResponse(), method).url, '/next', method);
    } finally {
      conn.destroy();
    }
    assert.deepEqual(f.seen.map((s) => `${s.method} ${s.target}`), [`${method} /carrier`, 'GET /next'], method);
    assert.ok(f.seen[0]?.body.toString('latin1').includes(MARKER), 'the inner request was body bytes');
  }
});

test('engine: trailers are parsed and dropped; they never become request headers', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /t HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nHost: evil.example\r\nX-Forwarded-For: 6.6.6.6\r\nAuthorization: Basic ${MARKER}\r\n\r\n`);
    const e = echoOf(await conn.readResponse(), 'trailers');
    assert.equal(e.bodyBytes, 5);
    assert.ok(!e.rawHeaders.join('\n').includes('evil.example'));
    assert.ok(!e.body.includes(MARKER));
  } finally {
    conn.destroy();
  }
});
