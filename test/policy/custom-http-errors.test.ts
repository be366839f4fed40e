// custom-http-errors end to end: Ingresses with ingress-nginx annotations through the real builder,
// a real DataPlane on 127.0.0.1 (HTTP/1.1 and cleartext HTTP/2, curl as the client), a backend that
// answers the status it is asked for, and an error-pages backend that answers with X-Code's status
// and echoes the headers it got. Covered: the listed statuses replaced (the backend's, Gatehouse's own
// 502 and 503), the others relayed untouched, HEAD, no request body to the error backend, the error
// backend down or without endpoints (the original answer, never a loop), a long error body, upgrades.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { endpoint, ingress, options, rule, service, serviceBackend, slice, snapshotOf } from '../core/fixtures.ts';
import { waitFor } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { startErrorPagesBackend, type ErrorPagesBackend, type PageRequest } from '../support/error-pages-backend.ts';
import { rawExchange } from '../support/raw-http.ts';
import { startPlane, TRANSPORTS, type Plane } from './redirects-cors-plane.ts';

const N = 'nginx.ingress.kubernetes.io/';

/** A port on 127.0.0.4 that nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.4', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let app: EchoBackend;
let pages: ErrorPagesBackend;
let plane: Plane;
let flagPlane: Plane;

before(async () => {
  app = await startEchoBackend({ address: '127.0.0.2', name: 'app' });
  pages = await startErrorPagesBackend('127.0.0.3');
  const dead = await closedPort();
  const objects: KubeObject[] = [
    service('app', [{ name: 'http', port: 80 }]),
    slice('app-1', 'app', [{ name: 'http', port: app.port }], [endpoint('127.0.0.2')]),
    service('error-pages', [{ name: 'http', port: 80 }]),
    slice('error-pages-1', 'error-pages', [{ name: 'http', port: pages.port }], [endpoint('127.0.0.3')]),
    service('dead', [{ port: 80 }]),
    slice('dead-1', 'dead', [{ port: dead }], [endpoint('127.0.0.4')]),
    service('dead-pages', [{ port: 80 }]),
    slice('dead-pages-1', 'dead-pages', [{ port: dead }], [endpoint('127.0.0.4')]),
    service('idle-pages', [{ port: 80 }]),
    service('empty', [{ port: 80 }]),
    ingress('web', {
      annotations: { [`${N}custom-http-errors`]: '403,404,500,502,503', [`${N}default-backend`]: 'error-pages' },
      rules: [rule('pages.example.com', ['/', 'Prefix', 'app', 'http']), rule('gone.example.com', ['/', 'Prefix', 'dead', 80])],
    }),
    ingress('down', {
      annotations: { [`${N}custom-http-errors`]: '404,502', [`${N}default-backend`]: 'dead-pages' },
      rules: [rule('down.example.com', ['/', 'Prefix', 'app', 'http'], ['/gone', 'Prefix', 'dead', 80])],
    }),
    ingress('slow', {
      annotations: { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'error-pages', [`${N}proxy-read-timeout`]: '1' },
      rules: [rule('slow.example.com', ['/', 'Prefix', 'app', 'http'])],
    }),
    ingress('own', {
      annotations: { [`${N}custom-http-errors`]: '404,502', [`${N}default-backend`]: 'error-pages', [`${N}disable-proxy-intercept-errors`]: 'true' },
      rules: [rule('own.example.com', ['/', 'Prefix', 'app', 'http'], ['/gone', 'Prefix', 'dead', 80])],
    }),
    // No custom-http-errors: the annotation's Service answers for the path without endpoints, told so with X-Code 503.
    ingress('fallback', {
      annotations: { [`${N}default-backend`]: 'error-pages' },
      rules: [rule('fallback.example.com', ['/', 'Prefix', 'empty', 80])],
    }),
    // Its spec.defaultBackend has no endpoint: the annotation's Service answers for it, told so the same way.
    ingress('fallback-default', {
      annotations: { [`${N}default-backend`]: 'error-pages' },
      defaultBackend: serviceBackend('empty', 80),
      rules: [rule('fallback2.example.com', ['/only', 'Prefix', 'app', 'http'])],
    }),
    ingress('idle', {
      annotations: { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'idle-pages' },
      rules: [rule('idle.example.com', ['/', 'Prefix', 'app', 'http'])],
    }),
  ];
  const result = buildRouteTable(snapshotOf(objects), options());
  assert.deepEqual(result.diagnostics.map((d) => d.code), []);
  plane = await startPlane(result.table);
  // The controller-wide error backend: --default-backend, for an Ingress without the annotation,
  // whose route has no endpoint (Gatehouse's own 503 goes to the error backend too).
  const flagged = buildRouteTable(
    snapshotOf([
      ...objects.filter((o) => o.kind !== 'Ingress'),
      ingress('empty', { annotations: { [`${N}custom-http-errors`]: '503' }, rules: [rule('empty.example.com', ['/', 'Prefix', 'empty', 80])] }),
    ]),
    options({ defaultBackend: { namespace: 'default', service: 'error-pages', port: 80 } }),
  );
  assert.deepEqual(flagged.diagnostics.map((d) => d.code), []);
  assert.equal(flagged.table.policies['default/empty']!.customErrors?.backend, 'default/error-pages:80');
  flagPlane = await startPlane(flagged.table);
});

after(async () => {
  await plane.stop();
  await flagPlane.stop();
  await app.close();
  await pages.close();
});

function page(body: string): PageRequest & { page: string } {
  return JSON.parse(body) as PageRequest & { page: string };
}

/** What the error backend got for the request that ran `fn`: exactly one request. */
async function pagesAsked<T>(fn: () => Promise<T>): Promise<{ result: T; asked: PageRequest[] }> {
  const before = pages.requests.length;
  const result = await fn();
  return { result, asked: pages.requests.slice(before) };
}

for (const t of TRANSPORTS) {
  test(`${t}: a listed status from the backend is answered by the error backend, with ingress-nginx's headers`, async () => {
    const { result: r, asked } = await pagesAsked(() =>
      plane.curl(t, 'pages.example.com', '/shop/item?id=7&echo-status=404', ['-H', 'Accept: application/json', '-H', 'X-Request-ID: req-abc-123', '-H', 'Cookie: session=s1']),
    );
    assert.equal(r.status, 404, "the error backend's status (it answers X-Code)");
    assert.equal(r.headers['x-error-page'], 'yes');
    assert.equal(r.headers['x-backend'], undefined, "nothing of the backend's answer");
    assert.equal(r.headers['x-hop'], undefined, 'hop-by-hop headers named in Connection are dropped');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(asked.length, 1, 'asked once');
    const got = page(r.body);
    assert.equal(got.page, 'custom');
    assert.equal(got.method, 'GET');
    assert.equal(got.url, '/?id=7&echo-status=404', "ingress-nginx's `rewrite (.*) / break`: the path is /, the query kept");
    assert.equal(got.headers['x-code'], '404');
    assert.equal(got.headers['x-format'], 'application/json');
    assert.equal(got.headers['x-original-uri'], '/shop/item?id=7&echo-status=404');
    assert.equal(got.headers['x-namespace'], 'default');
    assert.equal(got.headers['x-ingress-name'], 'web');
    assert.equal(got.headers['x-service-name'], 'app');
    assert.equal(got.headers['x-service-port'], 'http', 'the port as the Ingress wrote it');
    assert.equal(got.headers['x-request-id'], 'req-abc-123', 'the id the backend got');
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers.host, 'pages.example.com');
    assert.equal(got.headers.cookie, 'session=s1', "the client's headers go along, as nginx's");
    // And the backend did get the same request id.
    assert.equal((app.requests.at(-1) as EchoReply | undefined)?.headers['x-request-id'], 'req-abc-123');
  });

  test(`${t}: statuses not in the list, and successes, are relayed as they are`, async () => {
    for (const status of [200, 201, 401, 418, 501, 504]) {
      const { result: r, asked } = await pagesAsked(() => plane.curl(t, 'pages.example.com', `/x?echo-status=${status}`));
      assert.equal(r.status, status);
      assert.equal(r.headers['x-backend'], 'app', `${status}: the backend's own answer`);
      assert.equal(asked.length, 0, `${status}: the error backend is not asked`);
    }
    const r = await plane.curl(t, 'pages.example.com', '/x?echo-status=500');
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-error-page'], 'yes');
  });

  test(`${t}: HEAD stays HEAD; a POST's body is not sent to the error backend, which gets a GET`, async () => {
    let { result: r, asked } = await pagesAsked(() => plane.curl(t, 'pages.example.com', '/x?echo-status=404', ['-I']));
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-error-page'], 'yes');
    assert.equal(r.body, '');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.method, 'HEAD');

    ({ result: r, asked } = await pagesAsked(() => plane.curl(t, 'pages.example.com', '/upload?echo-status=503', ['--data-binary', 'x'.repeat(50_000), '-H', 'Content-Type: text/plain'])));
    assert.equal(r.status, 503);
    assert.equal(page(r.body).page, 'custom');
    assert.equal((app.requests.at(-1) as EchoReply | undefined)?.bodyBytes, 50_000, 'the backend got the body');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.method, 'GET');
    assert.equal(asked[0]!.bodyBytes, 0, 'the error backend gets no body');
    assert.equal(asked[0]!.headers['content-length'], undefined);
  });

  test(`${t}: Gatehouse's own 502 (connection refused) and 503 (no endpoint, --default-backend) go to the error backend`, async () => {
    let { result: r, asked } = await pagesAsked(() => plane.curl(t, 'gone.example.com', '/a?b=1'));
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-error-page'], 'yes');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.headers['x-code'], '502');
    assert.equal(asked[0]!.headers['x-service-name'], 'dead');

    ({ result: r, asked } = await pagesAsked(() => flagPlane.curl(t, 'empty.example.com', '/')));
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-error-page'], 'yes');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.headers['x-code'], '503');
    assert.equal(asked[0]!.headers['x-ingress-name'], 'empty');
    assert.equal(asked[0]!.headers['x-format'], '*/*', "curl's Accept");
  });

  test(`${t}: the error backend down or without endpoints: the original answer, never a loop`, async () => {
    // Refused connection to the error backend: the backend's own 404, head and body.
    let r = await plane.curl(t, 'down.example.com', '/x?echo-status=404');
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-backend'], 'app');
    assert.equal((JSON.parse(r.body) as EchoReply).name, 'app');
    // Gatehouse's own 502 with the error backend down: Gatehouse's plain 502.
    r = await plane.curl(t, 'down.example.com', '/gone');
    assert.equal(r.status, 502);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    // A body too long to keep: the error backend down, so Gatehouse's plain answer with the same status.
    r = await plane.curl(t, 'down.example.com', '/x?echo-status=404&echo-bytes=300000');
    assert.equal(r.status, 404);
    assert.ok(r.body.length < 1000, 'not the backend body (it was cut)');
    // The error backend has no endpoint (and there is no --default-backend): the backend's answer.
    r = await plane.curl(t, 'idle.example.com', '/x?echo-status=404');
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-backend'], 'app');
    // A long error body with a working error backend: replaced all the same.
    const { result, asked } = await pagesAsked(() => plane.curl(t, 'pages.example.com', '/x?echo-status=404&echo-bytes=300000'));
    assert.equal(result.status, 404);
    assert.equal(page(result.body).page, 'custom');
    assert.equal(asked.length, 1);
  });
}

test("default-backend: the annotation's Service answers for a path without endpoints, with ingress-nginx's X-Code 503 headers", async () => {
  for (const t of TRANSPORTS) {
    const { result: r, asked } = await pagesAsked(() => plane.curl(t, 'fallback.example.com', '/orders/9?x=1', ['-H', 'Accept: text/html', '-H', 'X-Code: 200', '-H', 'X-Service-Name: spoofed']));
    assert.equal(r.status, 503, `${t}: the error backend answers X-Code's status`);
    assert.equal(asked.length, 1);
    const got = asked[0]!;
    assert.equal(got.url, '/orders/9?x=1', 'the request as it is: the path goes to that Service in the place of its own');
    assert.equal(got.headers['x-code'], '503', "the client's X-Code never passes");
    assert.equal(got.headers['x-format'], 'text/html');
    assert.equal(got.headers['x-namespace'], 'default');
    assert.equal(got.headers['x-ingress-name'], 'fallback');
    assert.equal(got.headers['x-service-name'], 'empty', "the path's own Service");
    assert.equal(got.headers['x-service-port'], '80');
    assert.ok(typeof got.headers['x-request-id'] === 'string' && got.headers['x-request-id'].length > 0);
    // The Ingress's spec.defaultBackend in the same situation.
    const { result: d, asked: dAsked } = await pagesAsked(() => plane.curl(t, 'fallback2.example.com', '/elsewhere'));
    assert.equal(d.status, 503);
    assert.equal(dAsked[0]?.headers['x-code'], '503');
    assert.equal(dAsked[0]?.headers['x-ingress-name'], 'fallback-default');
    assert.equal(dAsked[0]?.headers['x-service-name'], 'empty');
    // Its own path is served by its own Service, untouched.
    const own = await plane.curl(t, 'fallback2.example.com', '/only');
    assert.equal(own.status, 200);
    assert.equal((JSON.parse(own.body) as EchoReply).headers['x-code'], undefined);
  }
});

test("disable-proxy-intercept-errors: the backend's 404 is relayed, Gatehouse's own 502 still replaced", async () => {
  for (const t of TRANSPORTS) {
    let { result: r, asked } = await pagesAsked(() => plane.curl(t, 'own.example.com', '/x?echo-status=404'));
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-backend'], 'app');
    assert.equal(asked.length, 0);
    ({ result: r, asked } = await pagesAsked(() => plane.curl(t, 'own.example.com', '/gone')));
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-error-page'], 'yes');
    assert.equal(asked[0]?.headers['x-code'], '502');
  }
});

test('an error backend that never answers: the original answer after the read timeout, no hang', async () => {
  const r = await plane.curl('http1', 'slow.example.com', '/hang?echo-status=404');
  assert.equal(r.status, 404);
  assert.equal(r.headers['x-backend'], 'app', "the backend's own answer");
});

test('a client that leaves while the error backend is asked: the request is aborted, the next ones are served', async () => {
  for (const t of TRANSPORTS) {
    const from = pages.requests.length;
    await assert.rejects(plane.curl(t, 'pages.example.com', '/hang?echo-status=404', ['--max-time', '1']), /curl/);
    const r = await plane.curl(t, 'pages.example.com', '/after?echo-status=404');
    assert.equal(r.status, 404);
    assert.equal(page(r.body).page, 'custom');
    assert.equal(pages.requests.length, from + 1, 'the held request never counted as answered');
  }
  const from = plane.lines.length;
  await assert.rejects(plane.curl('http1', 'pages.example.com', '/hang-again?echo-status=404', ['--max-time', '1']), /curl/);
  await waitFor(() => plane.lines.slice(from).some((l) => l['msg'] === 'access' && l['path'] === '/hang-again'), 10_000, 'the access line of the abandoned request');
  const line = plane.lines.slice(from).find((l) => l['msg'] === 'access' && l['path'] === '/hang-again')!;
  assert.equal(line['status'], 499);
  assert.equal(line['aborted'], true);
});

test('the access log says when the error backend could not answer, and the status sent', async () => {
  const from = plane.lines.length;
  await plane.curl('http1', 'down.example.com', '/x?echo-status=404');
  await plane.curl('http1', 'pages.example.com', '/y?echo-status=404');
  const access = (host: string): Record<string, unknown> | undefined => plane.lines.slice(from).find((l) => l['msg'] === 'access' && l['host'] === host);
  await waitFor(() => access('down.example.com') !== undefined && access('pages.example.com') !== undefined, 10_000, 'access log lines');
  const down = access('down.example.com')!;
  assert.equal(down['status'], 404);
  assert.match(String(down['error']), /custom-http-errors: the error backend did not answer \(ECONNREFUSED\), the original answer was relayed/);
  const served = access('pages.example.com')!;
  assert.equal(served['status'], 404);
  assert.equal(served['error'], undefined);
});

test('a WebSocket upgrade refused with a listed status is relayed as it is (not intercepted)', async () => {
  const before = pages.requests.length;
  const head = (
    await rawExchange(plane.ports.http1, 'GET /ws-refuse HTTP/1.1\r\nHost: pages.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', {
      until: (received) => received.includes('refused'),
    })
  ).raw.toString('latin1');
  assert.match(head, /^HTTP\/1\.1 403 /);
  assert.match(head, /x-refused-by: app/i);
  assert.equal(pages.requests.length, before);
});
