// When the response head reaches the client. The data plane holds the backend's head until the first
// body byte, so a body that fails before any byte was relayed (a malformed first chunk) is answered
// 502 on HTTP/1 and HTTP/2 alike; once a byte went out, a failure is an aborted response. Empty
// bodies (HEAD, 204, 304, Content-Length: 0, an empty chunked body) complete with their head; a
// head the backend sends alone while it waits (server-sent events, long polls) still reaches the
// client without waiting for the body; a head Node refuses to write is a 502 wherever it is caught.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect, constants, createServer as createH2Server, type ClientHttp2Session, type Http2Server, type IncomingHttpHeaders } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RawConnection } from '../support/raw-http.ts';
import { startDataPlane, waitFor, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { routeTable } from '../support/route-tables.ts';

const HOST = 'head.test';

/**
 * A backend that answers each request by its path with exact bytes. `/hold/...` paths write their
 * first part and keep the socket in `waiting` until the test writes the rest.
 */
interface ScriptedBackend {
  port: number;
  sockets: Socket[];
  waiting: Map<string, Socket>;
  close(): Promise<void>;
}

const ANSWERS: Record<string, string> = {
  '/bad-chunk-size': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
  '/chunk-overflow': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nhello\r\n0\r\n\r\n',
  '/bad-chunk-after-bytes': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n',
  '/no-content': 'HTTP/1.1 204 No Content\r\nX-Kind: 204\r\n\r\n',
  '/not-modified': 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nX-Kind: 304\r\n\r\n',
  '/head': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Kind: head\r\n\r\n',
  '/empty': 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Kind: empty\r\n\r\n',
  '/empty-chunked': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: empty-chunked\r\n\r\n0\r\n\r\n',
  // Two Content-Type fields: fine for HTTP/1.1, refused by Node's HTTP/2 (a single-value header).
  '/two-types': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok',
  '/two-types-empty': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n',
  // A connection-specific field Node's HTTP/2 refuses after storing the fields before it.
  '/h2-settings': 'HTTP/1.1 200 OK\r\nX-Before: 1\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nContent-Length: 2\r\n\r\nok',
  '/ok': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
};

/** First parts of the `/hold/...` answers: a head sent alone; the test writes the body later. */
const HELD: Record<string, string> = {
  '/hold/sse': 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
  '/hold/two-types': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\n',
};

async function startScriptedBackend(): Promise<ScriptedBackend> {
  const sockets: Socket[] = [];
  const waiting = new Map<string, Socket>();
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const path = head.split(' ')[1] ?? '';
        const bare = path.replace(/\?.*$/, '');
        const held = HELD[bare];
        if (held !== undefined) {
          waiting.set(path, socket);
          socket.write(held);
        } else {
          socket.write(ANSWERS[bare] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.2', port: 0 }, () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    waiting,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let backend: ScriptedBackend;
let fx: DataPlaneFixture;
let h2server: Http2Server;
let session: ClientHttp2Session;

before(async () => {
  backend = await startScriptedBackend();
  fx = await startDataPlane(
    routeTable({
      hosts: { [HOST]: { routes: [{ path: '/', backend: 'default/scripted:80' }] } },
      backends: { 'default/scripted:80': [`127.0.0.2:${backend.port}`] },
    }),
  );
  h2server = createH2Server();
  fx.dataPlane.attach(h2server, 'https');
  await new Promise<void>((resolve) => h2server.listen(0, '127.0.0.1', () => resolve()));
  session = h2connect(`http://127.0.0.1:${(h2server.address() as AddressInfo).port}`);
  session.on('error', () => {});
});

after(async () => {
  session.destroy();
  await fx.stop();
  await backend.close();
});

// ---- clients ----

type H1Outcome = { status: number; headers: [string, string][]; body: string } | 'closed' | 'aborted';

async function h1(path: string, method = 'GET'): Promise<H1Outcome> {
  const conn = await RawConnection.connect({ port: fx.port });
  try {
    await conn.send(`${method} ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const r = await conn.readResponseOrTruncation({ head: method === 'HEAD' });
    if (r === 'closed') return 'closed';
    if ('truncated' in r) return 'aborted';
    // The connection stays usable after every complete answer: a probe on it is answered in turn.
    await conn.send(`GET /ok HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const probe = await conn.readResponse();
    assert.ok(probe !== 'closed', `the connection closed after ${path}`);
    assert.equal(probe.status, 200);
    assert.equal(probe.body.toString(), 'ok');
    return { status: r.status, headers: r.headers, body: r.body.toString('latin1') };
  } finally {
    conn.destroy();
  }
}

interface H2Outcome {
  headers: IncomingHttpHeaders;
  body: string;
  rstCode: number | undefined;
  error: boolean;
}

function h2(path: string, method = 'GET'): Promise<H2Outcome> {
  return new Promise((resolve) => {
    const stream = session.request({ ':method': method, ':path': path, ':authority': HOST });
    let headers: IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('latin1');
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: string) => (body += c));
    stream.on('error', () => resolve({ headers, body, rstCode: stream.rstCode, error: true }));
    stream.on('end', () => resolve({ headers, body, rstCode: undefined, error: false }));
  });
}

/** One chunk of a chunked body. */
function chunk(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

function headerOf(r: { headers: [string, string][] }, name: string): string | undefined {
  return r.headers.find(([k]) => k === name)?.[1];
}

function lastAccess(path: string): Record<string, unknown> | undefined {
  return fx.accessLogs().findLast((l) => l.path === path.replace(/\?.*$/, ''));
}

// ---- tests ----

describe('a body that fails before its first byte was relayed is a 502', () => {
  for (const path of ['/bad-chunk-size', '/chunk-overflow']) {
    test(`HTTP/1.1 ${path}: 502, never the backend's head`, async () => {
      const r = await h1(path);
      assert.ok(typeof r === 'object', `got ${r}`);
      assert.equal(r.status, 502);
      assert.equal(r.body, '502 Bad Gateway\n');
      await waitFor(() => lastAccess(path) !== undefined, 5000, 'the access-log line');
      assert.equal(lastAccess(path)!.status, 502);
    });
    test(`HTTP/2 ${path}: 502 on the stream, the session keeps serving`, async () => {
      const r = await h2(path);
      assert.equal(r.error, false);
      assert.equal(r.headers[':status'], 502);
      assert.equal(r.body, '502 Bad Gateway\n');
      assert.equal((await h2('/ok')).body, 'ok');
    });
  }
});

describe('a body that fails after bytes were relayed is an aborted response', () => {
  test('HTTP/1.1: the connection is cut, never a clean short response', async () => {
    assert.equal(await h1('/bad-chunk-after-bytes'), 'aborted');
    await waitFor(() => lastAccess('/bad-chunk-after-bytes') !== undefined, 5000, 'the access-log line');
    const line = lastAccess('/bad-chunk-after-bytes')!;
    assert.equal(line.status, 200);
    assert.equal(line.aborted, true);
  });
  test('HTTP/2: the stream is reset after the head and the bytes relayed', async () => {
    const r = await h2('/bad-chunk-after-bytes');
    assert.equal(r.headers[':status'], 200);
    assert.equal(r.error, true);
    assert.equal(r.rstCode, constants.NGHTTP2_INTERNAL_ERROR);
    assert.equal(r.body, 'hello');
  });
});

describe('empty bodies complete with their head', () => {
  for (const [path, method, status] of [
    ['/no-content', 'GET', 204],
    ['/not-modified', 'GET', 304],
    ['/head', 'HEAD', 200],
    ['/empty', 'GET', 200],
    ['/empty-chunked', 'GET', 200],
  ] as const) {
    test(`${method} ${path} → ${status}, complete, on HTTP/1.1 and HTTP/2`, async () => {
      const r1 = await h1(path, method);
      assert.ok(typeof r1 === 'object', `HTTP/1.1 got ${r1}`);
      assert.equal(r1.status, status);
      assert.equal(r1.body, '');
      assert.ok(headerOf(r1, 'x-kind'), 'the backend\'s head was relayed');
      if (path === '/head') assert.equal(headerOf(r1, 'content-length'), '5');
      const r2 = await h2(path, method);
      assert.equal(r2.error, false, `HTTP/2 stream error ${r2.rstCode}`);
      assert.equal(r2.headers[':status'], status);
      assert.equal(r2.body, '');
      assert.ok(r2.headers['x-kind']);
    });
  }
});

describe('a head sent alone reaches the client while the backend holds the body', () => {
  test('HTTP/1.1: the head arrives, then the events as they come', async () => {
    const path = '/hold/sse?c=h1';
    const conn = await RawConnection.connect({ port: fx.port });
    try {
      await conn.send(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      await waitFor(() => conn.received.includes('\r\n\r\n'), 5000, 'the response head while the backend holds the body');
      assert.match(conn.received.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(conn.received.toString('latin1'), /\r\ncontent-type: text\/event-stream\r\n/i);
      const upstream = backend.waiting.get(path)!;
      upstream.write(chunk('data: first\n\n'));
      await waitFor(() => conn.received.includes('data: first'), 5000, 'the first event');
      upstream.write('0\r\n\r\n');
      await waitFor(() => conn.received.includes('\r\n0\r\n\r\n'), 5000, 'the end of the response');
    } finally {
      conn.destroy();
    }
  });

  test('HTTP/2: the head arrives, then the events as they come', async () => {
    const path = '/hold/sse?c=h2';
    const stream = session.request({ ':path': path, ':authority': HOST });
    let headers: IncomingHttpHeaders | undefined;
    let body = '';
    let ended = false;
    stream.setEncoding('utf8');
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => (ended = true));
    stream.on('error', () => {});
    await waitFor(() => headers !== undefined, 5000, 'the response head while the backend holds the body');
    assert.equal(headers![':status'], 200);
    assert.equal(headers!['content-type'], 'text/event-stream');
    const upstream = backend.waiting.get(path)!;
    upstream.write(chunk('data: first\n\n'));
    await waitFor(() => body.includes('data: first'), 5000, 'the first event');
    upstream.write('0\r\n\r\n');
    await waitFor(() => ended, 5000, 'the end of the stream');
  });
});

describe('a head Node refuses to write is a 502, wherever it is caught', () => {
  // Node's HTTP/2 refuses two Content-Type fields, and HTTP2-Settings; HTTP/1.1 relays them.
  test('with the first body byte, at the end of an empty body, and when a head sent alone is flushed', async () => {
    for (const path of ['/two-types', '/two-types-empty', '/hold/two-types?c=h2', '/h2-settings']) {
      const r = await h2(path);
      assert.equal(r.error, false, `${path}: stream error ${r.rstCode}`);
      assert.equal(r.headers[':status'], 502, path);
      assert.equal(r.body, '502 Bad Gateway\n');
      await waitFor(() => lastAccess(path)?.error === 'ERR_BAD_RESPONSE_HEADER', 5000, `the access-log line of ${path}`);
    }
    const held = backend.waiting.get('/hold/two-types?c=h2')!;
    await waitFor(() => held.destroyed, 5000, 'the upstream connection of the refused head closed');
    assert.equal((await h2('/ok')).body, 'ok', 'the session keeps serving');
  });

  test('HTTP/1.1 clients get the same responses relayed', async () => {
    for (const path of ['/two-types', '/two-types-empty']) {
      const r = await h1(path);
      assert.ok(typeof r === 'object', `${path}: got ${r}`);
      assert.equal(r.status, 200, path);
      assert.deepEqual(r.headers.filter(([k]) => k === 'content-type').map(([, v]) => v), ['text/plain', 'text/html']);
    }
    const r = await h1('/h2-settings');
    assert.ok(typeof r === 'object', `got ${r}`);
    assert.equal(r.status, 200);
  });
});
