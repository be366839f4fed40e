// The request handler under Node's HTTP/2 compatibility API (what the HTTPS listener hands it for
// h2 clients): routing by :authority, the same header hygiene, errors, and mid-body failures as
// stream resets. Cleartext HTTP/2 here; TLS and ALPN are the TLS listener's tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, constants, createServer, type ClientHttp2Session, type Http2Server, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { routeTable } from '../support/route-tables.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';

let echo: EchoBackend;
let dp: DataPlane;
let server: Http2Server;
let session: ClientHttp2Session;

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  dp = new DataPlane();
  dp.apply(
    routeTable({
      hosts: {
        'h2.test': { routes: [{ path: '/', backend: 'default/echo:80' }] },
        'hsts.test': { routes: [{ path: '/', backend: 'default/echo:80', policy: 'default/hsts' }] },
      },
      backends: { 'default/echo:80': [`127.0.0.2:${echo.port}`] },
      policies: { 'default/hsts': { hsts: { maxAgeSeconds: 60, includeSubDomains: false, preload: false } } },
    }),
  );
  server = createServer();
  dp.attach(server, 'https');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  session.on('error', () => {});
});

after(async () => {
  session.close();
  await dp.stop(1000);
  await echo.close();
});

interface H2Result {
  headers: IncomingHttpHeaders;
  body: Buffer;
  error?: Error;
  rstCode?: number;
}

function h2request(headers: Record<string, string | string[]>, body?: Buffer | string): Promise<H2Result> {
  return new Promise((resolve) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let responseHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (error: Error) => resolve({ headers: responseHeaders, body: Buffer.concat(chunks), error, rstCode: stream.rstCode }));
    stream.on('end', () => resolve({ headers: responseHeaders, body: Buffer.concat(chunks) }));
    if (body !== undefined) stream.end(body);
  });
}

test('HTTP/2 requests are routed by :authority and forwarded over HTTP/1.1 with the same hygiene', async () => {
  const r = await h2request({ ':method': 'GET', ':path': '/a/b?c=1', ':authority': 'H2.test:8443', cookie: ['a=1', 'b=2'], 'x-request-id': 'h2-req' });
  assert.equal(r.headers[':status'], 200);
  const reply = JSON.parse(r.body.toString()) as EchoReply;
  assert.equal(reply.url, '/a/b?c=1');
  assert.equal(reply.httpVersion, '1.1');
  assert.equal(reply.headers.host, 'H2.test:8443');
  assert.equal(reply.headers['x-forwarded-proto'], 'https');
  assert.equal(reply.headers['x-forwarded-host'], 'H2.test:8443');
  assert.equal(reply.headers.cookie, 'a=1; b=2', 'HTTP/2 cookie fields are joined for HTTP/1.1');
  assert.equal(reply.headers['x-request-id'], 'h2-req');
  assert.equal(
    reply.rawHeaders.some((n, i) => i % 2 === 0 && n.startsWith(':')),
    false,
    'no pseudo-header reaches the backend',
  );
  assert.equal(r.headers.server, 'gatehouse');
  assert.ok(r.headers.date);
  assert.equal(r.headers['content-length'], String(r.body.length));
});

test('HTTP/2 request bodies stream to the backend, with and without content-length', async () => {
  const withLength = await h2request({ ':method': 'POST', ':path': '/up', ':authority': 'h2.test', 'content-length': '5' }, 'hello');
  assert.equal((JSON.parse(withLength.body.toString()) as EchoReply).bodyBytes, 5);
  const without = await h2request({ ':method': 'PUT', ':path': '/up', ':authority': 'h2.test' }, Buffer.alloc(100_000, 7));
  const reply = JSON.parse(without.body.toString()) as EchoReply;
  assert.equal(reply.bodyBytes, 100_000);
  assert.equal(reply.headers['transfer-encoding'], 'chunked');
});

test('HTTP/2: 404, HSTS, repeated response headers', async () => {
  const missing = await h2request({ ':method': 'GET', ':path': '/', ':authority': 'nowhere.test' });
  assert.equal(missing.headers[':status'], 404);
  assert.equal(missing.body.toString(), '404 Not Found\n');
  const hsts = await h2request({ ':method': 'GET', ':path': '/', ':authority': 'hsts.test' });
  assert.equal(hsts.headers['strict-transport-security'], 'max-age=60');
  const cookies = await h2request({ ':method': 'GET', ':path': '/?echo-header=set-cookie:x=1&echo-header=set-cookie:y=2', ':authority': 'h2.test' });
  assert.deepEqual(cookies.headers['set-cookie'], ['x=1', 'y=2']);
});

test('HTTP/2: a backend dying mid-body resets the stream, and the session keeps serving', async () => {
  const r = await h2request({ ':method': 'GET', ':path': `/?echo-bytes=${4 << 20}&echo-die-after=${1 << 20}`, ':authority': 'h2.test' });
  assert.equal(r.headers[':status'], 200);
  assert.ok(r.error, `expected a stream error after ${r.body.length} bytes`);
  assert.equal(r.rstCode, constants.NGHTTP2_INTERNAL_ERROR);
  const ok = await h2request({ ':method': 'GET', ':path': '/', ':authority': 'h2.test' });
  assert.equal(ok.headers[':status'], 200);
});
