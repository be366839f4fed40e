// Pipelining (in order, each routed on its own, nothing parsed after a rejection or a close),
// explicit limits (431 head bytes and count, 414 target, 413 body before reading), and Expect.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, header } from '../support/raw-http.ts';
import { DEFAULT_LIMITS } from '../../src/dataplane/data-plane-options.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { routeTable } from '../support/route-tables.ts';
import { startRecordingBackend } from '../support/recording-backend.ts';
import { assertBackendsSawNothing, assertNoMarkerReachedBackends, echoBody, expectRejected, HOST, MARKER, probeNewConnection, startFixture, type Fixture } from './harness.ts';

const MAX_BODY = 1000;
let f: Fixture;
before(async () => {
  f = await startFixture({ limits: { maxBodySize: MAX_BODY } });
});
after(() => f.close());

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}\r\n`;

async function readAll(conn: RawConnection, n: number): Promise<(ReturnType<typeof echoBody> | number | 'closed')[]> {
  const out: (ReturnType<typeof echoBody> | number | 'closed')[] = [];
  for (let i = 0; i < n; i++) {
    const r = await conn.readResponse();
    if (r === 'closed') {
      out.push('closed');
      break;
    }
    out.push(r.status === 200 ? echoBody(r) : r.status);
  }
  return out;
}

test('pipelined requests are answered in order, each routed on its own', async () => {
  f.reset();
  // The first is slow, so a proxy that answered out of order would show it.
  f.publicBackend.respondWith((req, res) => {
    const body = JSON.stringify({ backend: 'public', method: req.method, url: req.url, httpVersion: req.httpVersion, rawHeaders: [], bodyBytes: 0 });
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body), req.url === '/slow' ? 300 : 0);
  });
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(get('/slow') + get('/admin/x') + `POST /c HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 3\r\n\r\nabc` + get('/exact') + get('/exact/no'));
    const got = await readAll(conn, 5);
    assert.deepEqual(
      got.map((b) => (typeof b === 'object' ? `${b.backend} ${b.method} ${b.url}` : b)),
      ['public GET /slow', 'admin GET /admin/x', 'public POST /c', 'admin GET /exact', 'public GET /exact/no'],
    );
  } finally {
    conn.destroy();
    f.publicBackend.respondWith(undefined);
  }
});

test('a bad request (parse error) after a good one: the good one is answered, then 400, then close; nothing after is parsed', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(get('/good') + `GET /bad HTTP/1.1\r\nHost: ${HOST}\r\nX: a\x00b\r\n\r\n` + get(`/${MARKER}`));
    const first = await conn.readResponse();
    assert.ok(first !== 'closed');
    assert.equal(echoBody(first).url, '/good');
    const second = await conn.readResponse();
    assert.ok(second !== 'closed');
    assert.equal(second.status, 400);
    assert.equal((await conn.waitClosed()).length, 0);
  } finally {
    conn.destroy();
  }
  assertNoMarkerReachedBackends(f, 'good then parse error');
  assert.deepEqual(f.publicBackend.requests.map((r) => r.url), ['/good']);
  await probeNewConnection(f);
});

test('a bad request (refused by Gatehouse) after a good one: 200, 400, close; the request behind is never forwarded', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(get('/good') + `GET /bad HTTP/1.1\r\nHost: ${HOST}\r\nHost: other.example\r\n\r\n` + get(`/${MARKER}`));
    const got = await readAll(conn, 3);
    assert.equal(typeof got[0] === 'object' ? got[0].url : got[0], '/good');
    assert.equal(got[1], 400);
    assert.equal(got[2], 'closed');
  } finally {
    conn.destroy();
  }
  assertNoMarkerReachedBackends(f, 'good then refused');
  assert.deepEqual(f.publicBackend.requests.map((r) => r.url), ['/good']);
});

test('after a request with Connection: close, or an HTTP/1.0 request, nothing more is processed', async () => {
  for (const first of [get('/last', 'Connection: close\r\n'), `GET /last HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`]) {
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      await conn.send(first + get(`/${MARKER}`));
      const r = await conn.readResponse();
      assert.ok(r !== 'closed');
      assert.equal(echoBody(r).url, '/last');
      assert.equal((await conn.waitClosed()).length, 0);
    } finally {
      conn.destroy();
    }
    assertNoMarkerReachedBackends(f, 'after close');
  }
});

test('a body framed by Content-Length is never read as a request, even when it looks like one', async () => {
  f.reset();
  const inner = get(`/${MARKER}`);
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /carrier HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${inner.length}\r\n\r\n${inner}` + get('/next'));
    const got = await readAll(conn, 2);
    assert.deepEqual(got.map((b) => (typeof b === 'object' ? b.url : b)), ['/carrier', '/next']);
  } finally {
    conn.destroy();
  }
  // The marker reached the backend only as the body of /carrier, never as a request line.
  assert.deepEqual(f.publicBackend.requests.map((r) => r.url), ['/carrier', '/next']);
  assert.equal(f.publicBackend.requests[0]?.body.toString('latin1'), inner);
});

test('431: a head larger than the limit', async () => {
  const r = await expectRejected(f, get('/big', `X-Big: ${'a'.repeat(DEFAULT_LIMITS.maxHeaderSize)}\r\n`), { status: [431] }, 'big head');
  assert.ok(r !== 'closed');
});

test('431: more header fields than the limit (never silently truncated)', async () => {
  let extra = '';
  for (let i = 0; i < DEFAULT_LIMITS.maxHeadersCount; i++) extra += `X-H${i}: 1\r\n`;
  await expectRejected(f, get('/many', extra), { status: [431] }, 'many headers');
  // Exactly at the limit is fine (Host + 99 others).
  f.reset();
  let ok = '';
  for (let i = 0; i < DEFAULT_LIMITS.maxHeadersCount - 1; i++) ok += `X-H${i}: 1\r\n`;
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(get('/at-limit', ok));
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200);
  } finally {
    conn.destroy();
  }
});

test('414: a request target longer than 8 KiB; beyond the head limit it is 431', async () => {
  await expectRejected(f, get('/' + 'a'.repeat(8192)), { status: [414] }, 'long target');
  await expectRejected(f, get('/' + 'a'.repeat(DEFAULT_LIMITS.maxHeaderSize + 10)), { status: [431] }, 'target longer than the head limit');
});

test('413 from Content-Length, before any body byte is read (the client never sends it)', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed', 'answered without waiting for the body');
    assert.equal(r.status, 413);
    assert.equal(header(r, 'connection'), 'close');
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  assertBackendsSawNothing(f, '413');
  await probeNewConnection(f);
});

test('413 for a chunked body that grows past the limit; the backend never gets a complete request', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = 'x'.repeat(400);
    for (let i = 0; i < 5 && !conn.isEnded; i++) await conn.send(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    if (!conn.isEnded) await conn.send('0\r\n\r\n');
    const r = await conn.readResponseOrTruncation();
    assert.ok(r !== 'closed' && !('truncated' in r), 'the client gets an answer');
    assert.equal(r.status, 413);
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  assert.deepEqual(f.publicBackend.requests, [], 'no complete request upstream');
  await probeNewConnection(f);
});

test('Expect: 100-continue: 100 then the answer; the body reaches the backend', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`);
    const cont = await conn.readResponse();
    assert.ok(cont !== 'closed');
    assert.equal(cont.status, 100);
    await conn.send('hello');
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200);
    assert.equal(echoBody(r).bodyBytes, 5);
  } finally {
    conn.destroy();
  }
  assert.equal(f.publicBackend.requests[0]?.body.toString(), 'hello');
  const head = f.publicBackend.allBytes().toString('latin1').toLowerCase();
  assert.ok(!head.includes('expect:'), 'the expectation was answered here, not forwarded');
});

test('Expect: 100-continue on a request refused from its head: the final status, no 100', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${MAX_BODY + 1}\r\nExpect: 100-continue\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 413, 'no 100 Continue for a body that will be refused');
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  assertBackendsSawNothing(f, 'expect + 413');
});

test('unknown expectations get 417', async () => {
  for (const value of ['200-ok', '100-continue-x', 'foo', '100-continue, foo']) {
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nExpect: ${value}\r\n\r\nhello`);
      const r = await conn.readResponse();
      assert.ok(r !== 'closed');
      assert.equal(r.status, 417, value);
    } finally {
      conn.destroy();
    }
    assertBackendsSawNothing(f, `Expect: ${value}`);
  }
  await probeNewConnection(f);
});

test('the body limit is per route: a policy may raise or lower the global limit (checked after routing, still before reading)', async () => {
  const backend = await startRecordingBackend({ address: '127.0.0.2' });
  const dp = new DataPlane({ accessLog: false, limits: { maxBodySize: 1000 } });
  dp.apply(
    routeTable({
      hosts: { [HOST]: { routes: [{ path: '/big', backend: 'ns/a:80', policy: 'ns/big' }, { path: '/small', backend: 'ns/a:80', policy: 'ns/small' }, { path: '/', backend: 'ns/a:80' }] } },
      backends: { 'ns/a:80': [backend.endpoint] },
      policies: { 'ns/big': { maxBodySize: 5000 }, 'ns/small': { maxBodySize: 10 } },
    }),
  );
  const { port } = await dp.listenHttp('127.0.0.1', 0);
  try {
    for (const [path, size, status] of [
      ['/big', 3000, 200],
      ['/big', 5001, 413],
      ['/small', 11, 413],
      ['/other', 1000, 200],
      ['/other', 1001, 413],
    ] as const) {
      const conn = await RawConnection.connect({ port });
      try {
        await conn.send(`POST ${path} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${size}\r\n\r\n`);
        if (status === 200) await conn.send('x'.repeat(size));
        const r = await conn.readResponse();
        assert.ok(r !== 'closed');
        assert.equal(r.status, status, `${path} with ${size} bytes`);
      } finally {
        conn.destroy();
      }
    }
  } finally {
    await dp.stop(0);
    await backend.close();
  }
});
