// What reaches the backend and what reaches the client: hop-by-hop and framing headers never cross
// the proxy, X-Forwarded-* are the proxy's own (or appended for a trusted peer), X-Request-ID is
// kept only when valid, responses keep their Content-Length and gain Date and Server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { startRawBackend, type RawBackend } from '../support/raw-backend.ts';
import { oneResponse, parseResponse, rawExchange } from '../support/raw-http.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { startDataPlane, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { routeTable } from '../support/route-tables.ts';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let echo: EchoBackend;
let raw: RawBackend;
let fx: DataPlaneFixture;
let trustedFx: DataPlaneFixture;
let rawResponse: string;

function table() {
  return routeTable({
    hosts: {
      'echo.test': { routes: [{ path: '/', backend: 'default/echo:80' }] },
      'raw.test': { routes: [{ path: '/', backend: 'default/raw:80' }] },
    },
    backends: { 'default/echo:80': [`127.0.0.2:${echo.port}`], 'default/raw:80': [`127.0.0.3:${raw.port}`] },
  });
}

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  raw = await startRawBackend(() => ({ bytes: rawResponse }), '127.0.0.3');
  fx = await startDataPlane(table());
  trustedFx = await startDataPlane(table(), { isTrustedProxy: (ip) => ip === '127.0.0.1' });
});

after(async () => {
  await fx.stop();
  await trustedFx.stop();
  await echo.close();
  await raw.close();
});

/** Sends a raw request to the proxy and returns what the echo backend recorded. */
async function forwarded(port: number, request: string): Promise<{ status: number; reply: EchoReply }> {
  const res = await rawExchange(port, request, { until: oneResponse() });
  const parsed = parseResponse(res.raw);
  assert.ok(parsed?.complete, `complete response for:\n${request}\ngot:\n${res.raw.toString('latin1')}`);
  return { status: parsed.status, reply: JSON.parse(parsed.body.toString('utf8')) as EchoReply };
}

test('hop-by-hop headers, headers named in Connection and client framing never reach the backend', async () => {
  const body = '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
  const { status, reply } = await forwarded(
    fx.port,
    'POST /submit?x=1 HTTP/1.1\r\n' +
      'Host: echo.test\r\n' +
      'Connection: keep-alive, X-Hop-Secret, X-Other-Hop\r\n' +
      'X-Hop-Secret: do-not-forward\r\n' +
      'X-Other-Hop: nor-this\r\n' +
      'Keep-Alive: timeout=5\r\n' +
      'Proxy-Connection: keep-alive\r\n' +
      'Proxy-Authorization: Basic c2VjcmV0\r\n' +
      'TE: trailers, deflate\r\n' +
      'Trailer: X-Checksum\r\n' +
      'Transfer-Encoding: chunked\r\n' +
      'X-End-To-End: kept\r\n' +
      'User-Agent: hygiene-test\r\n' +
      '\r\n' +
      body,
  );
  assert.equal(status, 200);
  const h = reply.headers;
  for (const name of [...HOP_BY_HOP.filter((n) => n !== 'connection' && n !== 'transfer-encoding'), 'x-hop-secret', 'x-other-hop']) {
    assert.equal(h[name], undefined, `${name} must not be forwarded`);
  }
  assert.equal(h.te, 'trailers', 'only TE: trailers crosses');
  assert.equal(h['x-end-to-end'], 'kept');
  assert.equal(h['user-agent'], 'hygiene-test');
  assert.equal(reply.bodyBytes, 11, 'the body arrives whole');
  // Exactly one framing header, computed by the proxy.
  const framing = reply.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase()).filter((n) => n === 'content-length' || n === 'transfer-encoding');
  assert.equal(framing.length, 1, `one framing header, got ${framing.join(', ')}`);
  // The only Connection value the backend sees is the proxy's own keep-alive.
  assert.ok(h.connection === undefined || h.connection === 'keep-alive', `connection: ${h.connection}`);
});

test('a Content-Length body is forwarded with the proxy’s own Content-Length and no Transfer-Encoding', async () => {
  const { reply } = await forwarded(fx.port, 'PUT /cl HTTP/1.1\r\nHost: echo.test\r\nContent-Length: 7\r\n\r\npayload');
  assert.equal(reply.headers['content-length'], '7');
  assert.equal(reply.headers['transfer-encoding'], undefined);
  assert.equal(reply.bodyBytes, 7);
});

test('X-Forwarded-* and X-Real-IP from an untrusted client are replaced, and so is Forwarded (RFC 7239)', async () => {
  const { reply } = await forwarded(
    fx.port,
    'GET /xff HTTP/1.1\r\nHost: Echo.Test:8080\r\n' +
      'X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Port: 1\r\n' +
      'X-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6;proto=https\r\n\r\n',
  );
  const h = reply.headers;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-host'], 'Echo.Test:8080');
  assert.equal(h['x-forwarded-port'], String(fx.port));
  assert.equal(h['x-real-ip'], '127.0.0.1');
  assert.equal(h.forwarded, 'for=127.0.0.1;proto=http;host="Echo.Test:8080"');
  assert.equal(h.host, 'Echo.Test:8080');
  for (const name of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'host']) {
    assert.equal(reply.rawHeaders.filter((n, i) => i % 2 === 0 && n.toLowerCase() === name).length, 1, `one ${name}`);
  }
});

test('a trusted proxy’s chain is appended to and the client address taken from it', async () => {
  const { reply } = await forwarded(
    trustedFx.port,
    'GET /xff HTTP/1.1\r\nHost: echo.test\r\nX-Forwarded-For: 203.0.113.9, 127.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: public.example\r\n\r\n',
  );
  const h = reply.headers;
  assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1, 127.0.0.1');
  assert.equal(h['x-real-ip'], '203.0.113.9');
  assert.equal(h['x-forwarded-proto'], 'https');
  assert.equal(h['x-forwarded-host'], 'public.example');
});

test('X-Request-ID: a valid client value is kept, anything else is replaced by a generated one', async () => {
  const keep = await forwarded(fx.port, 'GET / HTTP/1.1\r\nHost: echo.test\r\nX-Request-ID: abc-123_DEF.456:789\r\n\r\n');
  assert.equal(keep.reply.headers['x-request-id'], 'abc-123_DEF.456:789');
  for (const bad of ['has space', 'quote"d', 'x'.repeat(200), '<script>']) {
    const r = await forwarded(fx.port, `GET / HTTP/1.1\r\nHost: echo.test\r\nX-Request-ID: ${bad}\r\n\r\n`);
    assert.match(String(r.reply.headers['x-request-id']), UUID, bad);
  }
  const none = await forwarded(fx.port, 'GET / HTTP/1.1\r\nHost: echo.test\r\n\r\n');
  assert.match(String(none.reply.headers['x-request-id']), UUID);
});

test('an h2c upgrade attempt is served as plain HTTP/1.1 and the upgrade headers are not forwarded', async () => {
  const { status, reply } = await forwarded(
    fx.port,
    'GET /h2c HTTP/1.1\r\nHost: echo.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
  );
  assert.equal(status, 200);
  assert.equal(reply.headers.upgrade, undefined);
  assert.equal(reply.headers['http2-settings'], undefined);
});

test('response hop-by-hop headers are removed; Content-Length is kept; Date and Server are added when absent', async () => {
  rawResponse =
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, X-Resp-Hop\r\nX-Resp-Hop: secret\r\nKeep-Alive: timeout=30\r\n' +
    'Proxy-Authenticate: Basic\r\nUpgrade: foo\r\nX-App: yes\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello';
  const res = await rawExchange(fx.port, 'GET / HTTP/1.1\r\nHost: raw.test\r\n\r\n', { until: oneResponse() });
  const parsed = parseResponse(res.raw)!;
  const names = parsed.headers.map(([n]) => n.toLowerCase());
  const get = (n: string) => parsed.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  assert.equal(parsed.status, 200);
  assert.equal(parsed.body.toString(), 'hello');
  assert.deepEqual(get('content-length'), ['5'], 'the backend’s Content-Length, no re-chunking');
  assert.equal(names.includes('transfer-encoding'), false);
  for (const n of ['x-resp-hop', 'proxy-authenticate', 'upgrade']) assert.equal(names.includes(n), false, n);
  assert.deepEqual(get('keep-alive').length <= 1 && !get('keep-alive').includes('timeout=30'), true, 'the backend’s Keep-Alive is not relayed');
  assert.deepEqual(get('x-app'), ['yes']);
  assert.deepEqual(get('set-cookie'), ['a=1', 'b=2']);
  assert.equal(get('date').length, 1);
  assert.deepEqual(get('server'), ['gatehouse']);

  rawResponse = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: backend/1.0\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\nok';
  const kept = parseResponse((await rawExchange(fx.port, 'GET / HTTP/1.1\r\nHost: raw.test\r\n\r\n', { until: oneResponse() })).raw)!;
  assert.deepEqual(kept.headers.filter(([k]) => k.toLowerCase() === 'server').map(([, v]) => v), ['backend/1.0']);
  assert.deepEqual(kept.headers.filter(([k]) => k.toLowerCase() === 'date').map(([, v]) => v), ['Mon, 01 Jan 2024 00:00:00 GMT']);
});

test('a chunked backend response reaches an HTTP/1.1 client chunked and complete; HEAD keeps the Content-Length', async () => {
  rawResponse = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n';
  const parsed = parseResponse((await rawExchange(fx.port, 'GET / HTTP/1.1\r\nHost: raw.test\r\n\r\n', { until: oneResponse() })).raw)!;
  assert.ok(parsed.complete);
  assert.equal(parsed.body.toString(), 'abcdef');
  const head = await httpRequest(fx.port, { host: 'echo.test', method: 'HEAD', path: '/' });
  assert.equal(head.status, 200);
  assert.ok(Number(head.headers['content-length']) > 0);
  assert.equal(head.body.length, 0);
});

test('a backend header that cannot be relayed gives 502, and the proxy keeps serving', async () => {
  rawResponse = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\x01b\r\n\r\nok';
  const r = await httpRequest(fx.port, { host: 'raw.test', path: '/' });
  assert.equal(r.status, 502);
  rawResponse = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok';
  assert.equal((await httpRequest(fx.port, { host: 'raw.test', path: '/' })).status, 502, 'duplicate Content-Length');
  rawResponse = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  assert.equal((await httpRequest(fx.port, { host: 'raw.test', path: '/' })).status, 200);
  assert.equal((await httpRequest(fx.port, { host: 'echo.test', path: '/' })).status, 200);
});

test('the client’s headers reach the backend in their order and spelling', async () => {
  const { reply } = await forwarded(fx.port, 'GET / HTTP/1.1\r\nHost: echo.test\r\nX-B: 2\r\nx-a: 1\r\nAccept: */*\r\nX-B: 3\r\n\r\n');
  const names = reply.rawHeaders.filter((_, i) => i % 2 === 0);
  const mine = names.filter((n) => ['X-B', 'x-a', 'Accept'].includes(n));
  assert.deepEqual(mine, ['X-B', 'x-a', 'Accept', 'X-B']);
  const r = await httpRequest(fx.port, { host: 'echo.test', headers: { cookie: 'a=1; b=2' } });
  assert.equal(json<EchoReply>(r).headers.cookie, 'a=1; b=2');
});
