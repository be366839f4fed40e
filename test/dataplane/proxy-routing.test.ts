// Routing, balancing, errors and redirects through a real DataPlane on real sockets, with echo
// backends on loopback aliases (127.0.0.2, 127.0.0.3, ...).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { closedPort, startDataPlane, waitFor, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { routeTable } from '../support/route-tables.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';

let a: EchoBackend;
let b: EchoBackend;
let c: EchoBackend;
let dead: number;
let fx: DataPlaneFixture;

before(async () => {
  [a, b, c] = await Promise.all([
    startEchoBackend({ address: '127.0.0.2', name: 'a' }),
    startEchoBackend({ address: '127.0.0.3', name: 'b' }),
    startEchoBackend({ address: '127.0.0.4', name: 'c' }),
  ]);
  dead = await closedPort('127.0.0.5');
  fx = await startDataPlane(
    routeTable({
      hosts: {
        'foo.example.com': {
          routes: [
            { path: '/', backend: 'default/a:80' },
            { path: '/api', backend: 'default/b:80' },
            { path: '/api/v2', match: 'Exact', backend: 'default/c:80' },
            { path: '/slow', backend: 'default/slow:80', policy: 'default/fast-timeout' },
            { path: '/none', backend: 'default/empty:80' },
            { path: '/notready', backend: 'default/notready:80' },
            { path: '/terminating', backend: 'default/terminating:80' },
            { path: '/dead', backend: 'default/dead:80' },
            { path: '/half-dead', backend: 'default/half-dead:80' },
            { path: '/rr', backend: 'default/rr:80' },
          ],
        },
        'bar.example.com': { routes: [{ path: '/', backend: 'default/c:80' }] },
        '*.wild.test': { routes: [{ path: '/', backend: 'default/b:80' }] },
        'secure.example.com': {
          tls: 'default/secure-cert',
          routes: [
            { path: '/', backend: 'default/a:80' },
            { path: '/no-redirect', backend: 'default/a:80', policy: 'default/no-redirect' },
          ],
        },
      },
      backends: {
        'default/a:80': [`127.0.0.2:${a.port}`],
        'default/b:80': [`127.0.0.3:${b.port}`],
        'default/c:80': [`127.0.0.4:${c.port}`],
        'default/slow:80': [`127.0.0.2:${a.port}`],
        'default/empty:80': [],
        'default/notready:80': [{ address: '127.0.0.2', port: a.port, ready: false, serving: false, terminating: false }],
        'default/terminating:80': [{ address: '127.0.0.3', port: b.port, ready: false, serving: true, terminating: true }],
        'default/dead:80': [`127.0.0.5:${dead}`],
        'default/half-dead:80': [`127.0.0.5:${dead}`, `127.0.0.6:${dead}`, `127.0.0.4:${c.port}`],
        'default/rr:80': [`127.0.0.2:${a.port}`, `127.0.0.3:${b.port}`, `127.0.0.4:${c.port}`],
      },
      policies: {
        'default/fast-timeout': { readTimeoutMs: 300 },
        'default/no-redirect': { sslRedirect: false, hsts: { maxAgeSeconds: 31536000, includeSubDomains: true, preload: false } },
      },
    }),
    { httpsPort: 8443, timeouts: { connectTimeoutMs: 2000 } },
  );
});

after(async () => {
  await fx.stop();
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('routes by host and path; the backend gets method, path and query byte for byte, and the original Host', async () => {
  const cases: [string, string, string][] = [
    ['foo.example.com', '/', 'a'],
    ['foo.example.com', '/anything/else', 'a'],
    ['FOO.Example.com:8080', '/api', 'b'],
    ['foo.example.com', '/api/v1/users', 'b'],
    ['foo.example.com', '/api/v2', 'c'],
    ['foo.example.com', '/api/v2/x', 'b'],
    ['foo.example.com', '/apix', 'a'],
    ['bar.example.com', '/api', 'c'],
    ['one.wild.test', '/x', 'b'],
  ];
  for (const [host, path, want] of cases) {
    const r = await httpRequest(fx.port, { host, path });
    assert.equal(r.status, 200, `${host}${path}`);
    assert.equal(json<EchoReply>(r).name, want, `${host}${path}`);
  }
  const target = '/api/x/%E2%82%AC/z.json;v=1?b=2&a=1&sp=%20+&empty=&q=%e2%82%ac&a=%2F';
  const r = await httpRequest(fx.port, { host: 'Foo.Example.com:8080', path: target, method: 'PATCH', body: 'x' });
  const echo = json<EchoReply>(r);
  assert.equal(echo.method, 'PATCH');
  assert.equal(echo.url, target, 'canonical path and query forwarded byte for byte');
  assert.equal(echo.headers.host, 'Foo.Example.com:8080', 'original Host forwarded');
  // The pod sees the canonical path the route was chosen by.
  const dotted = json<EchoReply>(await httpRequest(fx.port, { host: 'foo.example.com', path: '/x/../api/./v2?z' }));
  assert.equal(dotted.name, 'c');
  assert.equal(dotted.url, '/api/v2?z');
});

test('unknown host and unmatched path answer 404 with a small plain-text body', async () => {
  for (const [host, path] of [
    ['nothing.example.com', '/'],
    ['deep.sub.wild.test', '/'],
  ] as const) {
    const r = await httpRequest(fx.port, { host, path });
    assert.equal(r.status, 404);
    assert.equal(r.body.toString(), '404 Not Found\n');
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    assert.equal(r.headers.server, 'gatehouse');
  }
});

test('round-robin across the ready endpoints of a backend', async () => {
  const seen: string[] = [];
  for (let i = 0; i < 30; i++) seen.push(json<EchoReply>(await httpRequest(fx.port, { host: 'foo.example.com', path: '/rr' })).name);
  const counts = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, seen.filter((s) => s === n).length]));
  assert.deepEqual(counts, { a: 10, b: 10, c: 10 });
  for (let i = 3; i < seen.length; i++) assert.equal(seen[i], seen[i - 3], 'strict rotation');
});

test('503 when a backend has no endpoint, or none ready or serving; serving-but-terminating endpoints are the fallback', async () => {
  for (const path of ['/none', '/notready']) {
    const r = await httpRequest(fx.port, { host: 'foo.example.com', path });
    assert.equal(r.status, 503, path);
    assert.equal(r.body.toString(), '503 Service Unavailable\n');
  }
  const r = await httpRequest(fx.port, { host: 'foo.example.com', path: '/terminating' });
  assert.equal(r.status, 200);
  assert.equal(json<EchoReply>(r).name, 'b');
});

test('502 when the endpoint refuses connections', async () => {
  const r = await httpRequest(fx.port, { host: 'foo.example.com', path: '/dead' });
  assert.equal(r.status, 502);
  assert.equal(r.body.toString(), '502 Bad Gateway\n');
  const line = fx.accessLogs().findLast((l) => l.path === '/dead');
  assert.equal(line?.status, 502);
  assert.equal(line?.error, 'ECONNREFUSED');
});

test('a bodiless request is retried once on another endpoint after a refused connection; a request with a body is not', async () => {
  // A plain round-robin picker (the traffic-policy picker's health and budgets are its own tests'):
  // endpoints dead1, dead2, alive; every pick advances the rotation, a retry skips failed ones.
  const dp = new DataPlane({
    createEndpointPicker: (backend) => {
      let next = 0;
      return {
        pick: (ctx) => {
          const list = backend.endpoints;
          for (let k = 0; k < list.length; k++) {
            const e = list[next++ % list.length]!;
            if (!ctx.failed.includes(e)) return e;
          }
          return undefined;
        },
      };
    },
  });
  dp.apply(
    routeTable({
      hosts: { 'retry.test': { routes: [{ path: '/', backend: 'default/half-dead:80' }] } },
      backends: { 'default/half-dead:80': [`127.0.0.5:${dead}`, `127.0.0.6:${dead}`, `127.0.0.4:${c.port}`] },
    }),
  );
  const { port } = await dp.listenHttp('127.0.0.1', 0);
  try {
    // GET: dead1 → retry dead2 → 502; then alive → 200; and again. One retry, never two.
    const gets: number[] = [];
    for (let i = 0; i < 4; i++) gets.push((await httpRequest(port, { host: 'retry.test', path: '/' })).status);
    assert.deepEqual(gets, [502, 200, 502, 200]);
    // A request with a body is never retried: dead1 → 502, dead2 → 502, alive → 200.
    const posts: number[] = [];
    for (let i = 0; i < 3; i++) posts.push((await httpRequest(port, { host: 'retry.test', path: '/', method: 'POST', body: 'payload' })).status);
    assert.deepEqual(posts, [502, 502, 200]);
  } finally {
    await dp.stop(1000);
  }
});

test('504 when the backend does not answer within the read timeout, and the access log says which timeout fired', async () => {
  const r = await httpRequest(fx.port, { host: 'foo.example.com', path: '/slow?echo-delay-ms=3000' });
  assert.equal(r.status, 504);
  assert.equal(r.body.toString(), '504 Gateway Timeout\n');
  const line = fx.accessLogs().findLast((l) => l.path === '/slow');
  assert.equal(line?.limit, 'read-timeout');
  assert.equal(line?.status, 504);
});

test('backend statuses, including 5xx, are relayed as they are', async () => {
  for (const status of [201, 204, 302, 404, 500, 503]) {
    const r = await httpRequest(fx.port, { host: 'foo.example.com', path: `/?echo-status=${status}` });
    assert.equal(r.status, status);
    if (status !== 204) assert.equal(json<EchoReply>(r).name, 'a');
  }
});

test('plain HTTP to a TLS host gets 308 to HTTPS with the port, path and query; the opt-out is proxied', async () => {
  const r = await httpRequest(fx.port, { host: 'Secure.Example.com:8080', path: '/a/b?x=1&y=%20' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, 'https://secure.example.com:8443/a/b?x=1&y=%20');
  const open = await httpRequest(fx.port, { host: 'secure.example.com', path: '/no-redirect' });
  assert.equal(open.status, 200);
  assert.equal(open.headers['strict-transport-security'], undefined, 'HSTS is never sent over plain HTTP');
  const other = await httpRequest(fx.port, { host: 'foo.example.com', path: '/' });
  assert.equal(other.status, 200);
});

test('the https port 443 is left out of the redirect Location', async () => {
  const table = fx.dataPlane.table!;
  const dp = new DataPlane({ httpsPort: 443 });
  dp.apply(table);
  const { port } = await dp.listenHttp('127.0.0.1', 0);
  try {
    const r = await httpRequest(port, { host: 'secure.example.com', path: '/p?q' });
    assert.equal(r.headers.location, 'https://secure.example.com/p?q');
  } finally {
    await dp.stop(1000);
  }
});

test('HSTS on responses served as HTTPS when the policy asks for it', async () => {
  // The HTTP/1 engine as the HTTPS listener uses it, on a plain socket: only the scheme matters here.
  const dp = new DataPlane();
  dp.apply(fx.dataPlane.table!);
  const server: Server = createServer((socket) => dp.serveHttp1(socket, 'https'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  try {
    const r = await httpRequest(port, { host: 'secure.example.com', path: '/no-redirect' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal(json<EchoReply>(r).headers['x-forwarded-proto'], 'https');
    const noPolicy = await httpRequest(port, { host: 'secure.example.com', path: '/' });
    assert.equal(noPolicy.status, 200, 'no redirect over HTTPS');
    assert.equal(noPolicy.headers['strict-transport-security'], undefined);
  } finally {
    server.close();
    await dp.stop(1000);
  }
});

test('one access-log line per request with the documented fields', async () => {
  const before = fx.accessLogs().length;
  await httpRequest(fx.port, { host: 'foo.example.com', path: '/api/log?secret=1', method: 'POST', body: 'abcd', headers: { 'x-request-id': 'req-123' } });
  await waitFor(() => fx.accessLogs().length === before + 1, 2000, 'access line');
  const line = fx.accessLogs().at(-1)!;
  assert.equal(line.method, 'POST');
  assert.equal(line.host, 'foo.example.com');
  assert.equal(line.path, '/api/log', 'the query is not logged');
  assert.equal(line.status, 200);
  assert.equal(line.upstream, `127.0.0.3:${b.port}`);
  assert.equal(line.bytesIn, 4);
  assert.ok(typeof line.bytesOut === 'number' && line.bytesOut > 0);
  assert.ok(typeof line.durationMs === 'number');
  assert.equal(line.requestId, 'req-123');
  assert.equal(line.route, 'default/ing#foo.example.com.p1');
});

test('before any table is applied every request gets 503', async () => {
  const dp = new DataPlane();
  const { port } = await dp.listenHttp('127.0.0.1', 0);
  try {
    const r = await httpRequest(port, { host: 'foo.example.com' });
    assert.equal(r.status, 503);
    assert.equal(dp.ready, false);
  } finally {
    await dp.stop(1000);
  }
});

test('a failure inside the request path costs one request (500), never the process', async () => {
  const dp = new DataPlane({
    createEndpointPicker: (backend) => ({
      pick: () => {
        if (backend.id === 'default/a:80') throw new Error('picker bug');
        return backend.endpoints[0];
      },
    }),
  });
  dp.apply(fx.dataPlane.table!);
  const { port } = await dp.listenHttp('127.0.0.1', 0);
  try {
    const r = await httpRequest(port, { host: 'foo.example.com', path: '/' });
    assert.equal(r.status, 500);
    assert.equal(r.body.toString(), '500 Internal Server Error\n');
    const ok = await httpRequest(port, { host: 'foo.example.com', path: '/api' });
    assert.equal(ok.status, 200);
    assert.equal(json<EchoReply>(ok).name, 'b');
  } finally {
    await dp.stop(1000);
  }
});
