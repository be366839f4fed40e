// ingress-nginx CORS (enable-cors and the cors-* settings): its defaults and the documentation's
// examples as tables through the real parser, the origin matching table, then a real DataPlane with
// curl over HTTP/1.1 and cleartext HTTP/2: preflights (OPTIONS with Origin and
// Access-Control-Request-Method) answered 204 by Gatehouse and never forwarded, the headers on the
// backend's responses (replacing its own) and on Gatehouse's own error answers, an origin that is
// not allowed getting nothing, and a bad value refusing the Ingress.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import type { CorsPolicy } from '../../src/core/policy.ts';
import { originAllowed } from '../../src/dataplane/steps/cors.ts';
import { parseCorsOrigins } from '../../src/core/annotations/cors-values.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { routeTable } from '../support/route-tables.ts';
import { policyOf, startPlane, TRANSPORTS, type Plane } from './redirects-cors-plane.ts';

const N = 'nginx.ingress.kubernetes.io/';

function parse(annotations: Record<string, string>) {
  const { policy, diagnostics } = parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} });
  return { policy, codes: diagnostics.map((d) => `${d.code} ${d.field}`) };
}

const DEFAULTS: CorsPolicy = {
  origins: '*',
  allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
  allowHeaders: ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'],
  exposeHeaders: [],
  allowCredentials: true,
  maxAgeSeconds: 1728000,
};

test("enable-cors alone gives ingress-nginx's documented defaults", () => {
  assert.deepEqual(parse({ [`${N}enable-cors`]: 'true' }), { policy: { ...parse({}).policy, cors: DEFAULTS }, codes: [] });
  assert.equal(parse({ [`${N}enable-cors`]: 'false' }).policy.cors, undefined);
});

test('the documented settings (table)', () => {
  const cases: [Record<string, string>, Partial<CorsPolicy>][] = [
    // The documentation's examples.
    [{ [`${N}cors-allow-methods`]: 'PUT, GET, POST, OPTIONS' }, { allowMethods: ['PUT', 'GET', 'POST', 'OPTIONS'] }],
    [{ [`${N}cors-allow-headers`]: 'X-Forwarded-For, X-app123-XPTO' }, { allowHeaders: ['X-Forwarded-For', 'X-app123-XPTO'] }],
    [{ [`${N}cors-expose-headers`]: '*, X-CustomResponseHeader' }, { exposeHeaders: ['*', 'X-CustomResponseHeader'] }],
    [{ [`${N}cors-allow-origin`]: 'https://origin-site.com:4443, http://origin-site.com, myprotocol://example.org:1199' }, {}],
    [{ [`${N}cors-allow-origin`]: 'https://*.origin-site.com:4443, http://*.origin-site.com' }, { origins: [{ scheme: 'https', host: '*.origin-site.com:4443' }, { scheme: 'http', host: '*.origin-site.com' }] }],
    [{ [`${N}cors-allow-credentials`]: 'false' }, { allowCredentials: false }],
    [{ [`${N}cors-max-age`]: '600' }, { maxAgeSeconds: 600 }],
    [{ [`${N}cors-allow-origin`]: '*' }, { origins: '*' }],
  ];
  for (const [extra, expected] of cases) {
    const r = parse({ [`${N}enable-cors`]: 'true', ...extra });
    if (Object.keys(expected).length === 0) {
      // The documentation's own example with a custom scheme: Gatehouse allows only http and https origins.
      assert.deepEqual(r.policy.refused, { code: 'AnnotationActionInvalid', annotation: `${N}cors-allow-origin` });
      continue;
    }
    assert.deepEqual(r.codes, [], JSON.stringify(extra));
    assert.deepEqual(r.policy.cors, { ...DEFAULTS, ...expected }, JSON.stringify(extra));
  }
});

test('a bad value refuses the Ingress (never falls back to allowing every origin); settings without enable-cors have no effect', () => {
  for (const [key, value] of [
    ['cors-allow-origin', 'example.com'],
    ['cors-allow-origin', 'https://a.example.com/path'],
    ['cors-allow-origin', 'https://a.*.example.com'],
    ['cors-allow-origin', '*, https://a.example.com'],
    ['cors-allow-methods', 'GET;POST'],
    ['cors-allow-methods', 'GET POST'],
    ['cors-allow-headers', 'X-A, X:B'],
    ['cors-expose-headers', 'X-A,,X-B'],
  ] as const) {
    const r = parse({ [`${N}enable-cors`]: 'true', [`${N}${key}`]: value });
    assert.deepEqual(r.policy.refused, { code: 'AnnotationActionInvalid', annotation: `${N}${key}` }, `${key}: ${value}`);
  }
  assert.deepEqual(parse({ [`${N}cors-allow-origin`]: 'https://a.example.com' }).codes, [`AnnotationNoEffect metadata.annotations["${N}cors-allow-origin"]`]);
});

test('origin matching: exact scheme, host and port, case-insensitive; "*." is one DNS label', () => {
  const patterns = (parseCorsOrigins('https://app.example.com, https://*.example.org, http://localhost:3000') as { ok: true; value: Exclude<CorsPolicy['origins'], '*'> }).value;
  const cases: [string, boolean][] = [
    ['https://app.example.com', true],
    ['HTTPS://APP.EXAMPLE.COM', true],
    ['http://app.example.com', false],
    ['https://app.example.com:443', false],
    ['https://app.example.com.evil.net', false],
    ['https://evilapp.example.com', false],
    ['https://x-app.example.com', false],
    ['https://a.example.org', true],
    ['https://a-b-9.example.org', true],
    ['https://a.b.example.org', false],
    ['https://example.org', false],
    ['https://.example.org', false],
    ['https://a.example.org:8443', false],
    ['http://localhost:3000', true],
    ['http://localhost', false],
    ['null', false],
    ['', false],
  ];
  for (const [origin, allowed] of cases) assert.equal(originAllowed(origin, patterns), allowed, origin);
});

let echo: EchoBackend;
let plane: Plane;

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const backend = 'shop/web:80';
  const empty = 'shop/empty:80';
  const policies = {
    'shop/star': policyOf({ [`${N}enable-cors`]: 'true' }),
    'shop/list': policyOf({
      [`${N}enable-cors`]: 'true',
      [`${N}cors-allow-origin`]: 'https://app.example.com, https://*.example.org',
      [`${N}cors-allow-methods`]: 'GET, POST',
      [`${N}cors-allow-headers`]: 'X-App-Token, Content-Type',
      [`${N}cors-expose-headers`]: 'X-Total-Count',
      [`${N}cors-allow-credentials`]: 'false',
      [`${N}cors-max-age`]: '600',
    }),
    'shop/broken': policyOf({ [`${N}enable-cors`]: 'true', [`${N}cors-allow-origin`]: 'example.com' }, false),
  };
  plane = await startPlane(
    routeTable({
      hosts: {
        ...Object.fromEntries(Object.keys(policies).map((p) => [`${p.slice(5)}.example.com`, { routes: [{ path: '/', backend, policy: p }] }])),
        'down.example.com': { routes: [{ path: '/', backend: empty, policy: 'shop/star' }] },
        // A host with TLS: plain HTTP is redirected to HTTPS, after the CORS step (ingress-nginx's order).
        'secure.example.com': { routes: [{ path: '/', backend, policy: 'shop/star' }], tls: 'shop/cert' },
      },
      backends: { [backend]: [`127.0.0.2:${echo.port}`], [empty]: [] },
      policies,
    }),
  );
});

after(async () => {
  await plane.stop();
  await echo.close();
});

const PREFLIGHT = ['-X', 'OPTIONS', '-H', 'Access-Control-Request-Method: POST'];

for (const t of TRANSPORTS) {
  test(`${t}: "*": every response gets Access-Control-Allow-Origin: * and the defaults; a preflight is 204 from Gatehouse`, async () => {
    const before = echo.count();
    let r = await plane.curl(t, 'star.example.com', '/api', ['-H', 'Origin: https://anything.example.net']);
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
    assert.equal(r.headers['access-control-allow-headers'], 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization');
    assert.equal(r.headers['access-control-max-age'], '1728000');
    assert.equal(r.headers['access-control-expose-headers'], undefined);
    assert.equal(echo.count(), before + 1);
    r = await plane.curl(t, 'star.example.com', '/api', [...PREFLIGHT, '-H', 'Origin: https://anything.example.net']);
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-max-age'], '1728000');
    assert.equal(r.headers['content-type'], 'text/plain charset=UTF-8');
    assert.equal(r.body, '');
    assert.equal(echo.count(), before + 1, 'the preflight never reached the backend');
  });

  test(`${t}: an allowed origin is echoed with the configured headers; the backend's own are replaced`, async () => {
    const before = echo.count();
    const origin = 'https://shop.example.org';
    let r = await plane.curl(t, 'list.example.com', '/api?echo-header=access-control-allow-origin:*', ['-H', `Origin: ${origin}`]);
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], origin, 'only ours, not the backend\'s "*"');
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
    assert.equal(r.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(r.headers['access-control-allow-headers'], 'X-App-Token,Content-Type');
    assert.equal(r.headers['access-control-expose-headers'], 'X-Total-Count');
    assert.equal(r.headers['access-control-max-age'], '600');
    r = await plane.curl(t, 'list.example.com', '/api', [...PREFLIGHT, '-H', 'Origin: https://app.example.com', '-H', 'Access-Control-Request-Headers: X-App-Token']);
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(echo.count(), before + 1);
  });

  test(`${t}: an origin that is not allowed gets no CORS headers, and its OPTIONS reaches the backend`, async () => {
    const before = echo.count();
    for (const origin of ['https://evil.example.net', 'https://a.b.example.org', 'http://app.example.com']) {
      const r = await plane.curl(t, 'list.example.com', '/api', [...PREFLIGHT, '-H', `Origin: ${origin}`]);
      assert.equal(r.status, 200, origin);
      assert.equal(r.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(r.headers['access-control-allow-methods'], undefined, origin);
    }
    const r = await plane.curl(t, 'list.example.com', '/api');
    assert.equal(r.headers['access-control-allow-origin'], undefined, 'no Origin, no CORS');
    assert.equal(echo.count(), before + 4);
  });

  test(`${t}: on a TLS host over plain HTTP, a preflight is answered 204 before the HTTPS redirect, which carries the headers`, async () => {
    let r = await plane.curl(t, 'secure.example.com', '/api', [...PREFLIGHT, '-H', 'Origin: https://app.example.com']);
    assert.equal(r.status, 204);
    r = await plane.curl(t, 'secure.example.com', '/api', ['-H', 'Origin: https://app.example.com']);
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://secure.example.com:8443/api');
    assert.equal(r.headers['access-control-allow-origin'], '*');
  });

  test(`${t}: Gatehouse's own error answers carry the CORS headers; a bad CORS value answers 503`, async () => {
    let r = await plane.curl(t, 'down.example.com', '/', ['-H', 'Origin: https://app.example.com']);
    assert.equal(r.status, 503, 'no endpoint');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    r = await plane.curl(t, 'broken.example.com', '/', [...PREFLIGHT, '-H', 'Origin: https://app.example.com']);
    assert.equal(r.status, 503);
    assert.ok(plane.lines.some((l) => l.host === 'broken.example.com' && l.error === 'AnnotationActionInvalid'));
  });
}
