// rewrite-target, x-forwarded-prefix, upstream-vhost and proxy-redirect-from/-to end to end: a table
// built by the real builder from Ingresses with ingress-nginx annotations, a real DataPlane on
// 127.0.0.1 (HTTP/1.1 and cleartext HTTP/2), an echo backend that reports what it received, and
// curl as the client. A WebSocket upgrade gets the same edits. The rewrite page's table end to end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { endpoint, ingress, options, rule, service, slice, snapshotOf } from '../core/fixtures.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { rawExchange } from '../support/raw-http.ts';
import { startPlane, TRANSPORTS, type Plane } from './redirects-cors-plane.ts';

const N = 'nginx.ingress.kubernetes.io/';

let echo: EchoBackend;
let plane: Plane;

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const objects: KubeObject[] = [
    service('web', [{ name: 'http', port: 80 }]),
    slice('web-1', 'web', [{ name: 'http', port: echo.port }], [endpoint('127.0.0.2')]),
    ingress('rewrite', {
      annotations: { [`${N}use-regex`]: 'true', [`${N}rewrite-target`]: '/$2' },
      rules: [rule('rewrite.bar.com', ['/something(/|$)(.*)', 'ImplementationSpecific', 'web', 80])],
    }),
    ingress('app', {
      annotations: {
        [`${N}rewrite-target`]: '/$2',
        [`${N}x-forwarded-prefix`]: '/app',
        [`${N}upstream-vhost`]: 'app.internal:8080',
        [`${N}proxy-redirect-from`]: 'http://app.internal:8080/',
        [`${N}proxy-redirect-to`]: 'https://www.example.com/app/',
      },
      rules: [rule('www.example.com', ['/app(/|$)(.*)', 'ImplementationSpecific', 'web', 80])],
    }),
    // No regex Ingress on this host: paths are forwarded as requested, Location untouched.
    ingress('plain', { rules: [rule('plain.example.com', ['/', 'Prefix', 'web', 80])] }),
  ];
  const result = buildRouteTable(snapshotOf(objects), options());
  assert.deepEqual(result.diagnostics, []);
  plane = await startPlane(result.table);
});

after(async () => {
  await plane.stop();
  await echo.close();
});

function reply(body: string): EchoReply {
  return JSON.parse(body) as EchoReply;
}

for (const t of TRANSPORTS) {
  test(`${t}: the rewrite page's table: /something(/|$)(.*) → /$2, the query kept`, async () => {
    const cases: [string, string][] = [
      ['/something', '/'],
      ['/something/', '/'],
      ['/something/new', '/new'],
      ['/something/new?x=1&y=a%20b', '/new?x=1&y=a%20b'],
      ['/SOMETHING/Case', '/Case'],
    ];
    for (const [request, sent] of cases) {
      const r = await plane.curl(t, 'rewrite.bar.com', request);
      assert.equal(r.status, 200, request);
      assert.equal(reply(r.body).url, sent, request);
      assert.equal(reply(r.body).headers['x-forwarded-prefix'], undefined, 'no x-forwarded-prefix annotation');
    }
    // Anchored at the start: no route, 404 (no default backend).
    assert.equal((await plane.curl(t, 'rewrite.bar.com', '/x/something/new')).status, 404);
  });

  test(`${t}: x-forwarded-prefix with the rewrite, upstream-vhost as the Host sent, the client's Host in X-Forwarded-Host`, async () => {
    const r = await plane.curl(t, 'www.example.com', '/app/login?next=%2F', ['-H', 'X-Forwarded-Prefix: /spoofed']);
    assert.equal(r.status, 200);
    const got = reply(r.body);
    assert.equal(got.url, '/login?next=%2F');
    assert.equal(got.headers['x-forwarded-prefix'], '/app', 'set from the annotation; the client\'s is never passed');
    assert.equal(got.headers.host, 'app.internal:8080');
    assert.equal(got.headers['x-forwarded-host'], 'www.example.com');
  });

  test(`${t}: proxy-redirect-from/-to rewrites Location and Refresh that start with FROM, nothing else`, async () => {
    let r = await plane.curl(t, 'www.example.com', '/app/x?echo-status=302&echo-header=location:http://app.internal:8080/dashboard%3Ftab%3D1');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'https://www.example.com/app/dashboard?tab=1'); // the echo backend decodes its query
    r = await plane.curl(t, 'www.example.com', '/app/x?echo-header=refresh:5;%20url=http://app.internal:8080/next');
    assert.equal(r.headers.refresh, '5; url=https://www.example.com/app/next');
    r = await plane.curl(t, 'www.example.com', '/app/x?echo-status=302&echo-header=location:https://elsewhere.example.com/');
    assert.equal(r.headers.location, 'https://elsewhere.example.com/', 'does not start with FROM: unchanged');
    r = await plane.curl(t, 'www.example.com', '/app/x?echo-status=302&echo-header=location:HTTP://APP.INTERNAL:8080/x');
    assert.equal(r.headers.location, 'HTTP://APP.INTERNAL:8080/x', 'compared case-sensitively, as nginx');
    r = await plane.curl(t, 'plain.example.com', '/x?echo-status=302&echo-header=location:http://app.internal:8080/y');
    assert.equal(r.headers.location, 'http://app.internal:8080/y', 'another Ingress: untouched');
    assert.equal(reply((await plane.curl(t, 'plain.example.com', '/something/new?q=1')).body).url, '/something/new?q=1', 'no rewrite elsewhere');
  });
}

test('a WebSocket upgrade is rewritten and sent with the upstream Host and X-Forwarded-Prefix', async () => {
  const before = echo.count();
  const head = (
    await rawExchange(
      plane.ports.http1,
      'GET /app/chat?room=1 HTTP/1.1\r\nHost: www.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      { until: (received) => received.includes('\r\n\r\n') },
    )
  ).raw.toString('latin1');
  assert.match(head, /^HTTP\/1\.1 101 /);
  assert.equal(echo.count(), before + 1);
  const seen = echo.requests.at(-1)!;
  assert.equal(seen.url, '/chat?room=1');
  assert.equal(seen.headers.host, 'app.internal:8080');
  assert.equal(seen.headers['x-forwarded-prefix'], '/app');
});
