// ingress-nginx redirects (permanent-redirect, temporal-redirect, their codes, app-root): the
// documentation's examples as a table through the real parser, then through a real DataPlane with
// curl over HTTP/1.1 and cleartext HTTP/2. Redirected requests never reach the backend; a target
// that does not parse refuses the Ingress (503); precedence is ingress-nginx's rewrite phase:
// app-root, then the Ingress's redirect, then the HTTPS redirect, and access control after.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import type { RedirectPolicy } from '../../src/core/policy.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { routeTable } from '../support/route-tables.ts';
import { policyOf, startPlane, TRANSPORTS, type Plane } from './redirects-cors-plane.ts';

const N = 'nginx.ingress.kubernetes.io/';

function parse(annotations: Record<string, string>) {
  const { policy, diagnostics } = parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} });
  return { policy, codes: diagnostics.map((d) => `${d.code} ${d.field}`) };
}

test('the documented annotations give the documented redirect (table)', () => {
  const text = (t: string) => [{ kind: 'text', text: t }];
  const cases: [Record<string, string>, RedirectPolicy | undefined, string[]][] = [
    // docs "Permanent Redirect": 301 to the URL as written, nothing appended.
    [{ [`${N}permanent-redirect`]: 'https://www.google.com' }, { kind: 'permanent', code: 301, location: text('https://www.google.com') } as RedirectPolicy, []],
    [{ [`${N}permanent-redirect`]: 'https://www.google.com', [`${N}permanent-redirect-code`]: '308' }, { kind: 'permanent', code: 308, location: text('https://www.google.com') } as RedirectPolicy, []],
    // A code outside 300..308 falls back to 301, as ingress-nginx does.
    [{ [`${N}permanent-redirect`]: 'https://a.example.com/', [`${N}permanent-redirect-code`]: '200' }, { kind: 'permanent', code: 301, location: text('https://a.example.com/') } as RedirectPolicy, [`AnnotationInvalid metadata.annotations["${N}permanent-redirect-code"]`]],
    [{ [`${N}permanent-redirect`]: 'https://a.example.com/', [`${N}permanent-redirect-code`]: '309' }, { kind: 'permanent', code: 301, location: text('https://a.example.com/') } as RedirectPolicy, [`AnnotationInvalid metadata.annotations["${N}permanent-redirect-code"]`]],
    // docs "Temporal Redirect": 302, code within 300..307.
    [{ [`${N}temporal-redirect`]: 'https://www.google.com' }, { kind: 'temporal', code: 302, location: text('https://www.google.com') } as RedirectPolicy, []],
    [{ [`${N}temporal-redirect`]: 'http://x.example.com', [`${N}temporal-redirect-code`]: '307' }, { kind: 'temporal', code: 307, location: text('http://x.example.com') } as RedirectPolicy, []],
    [{ [`${N}temporal-redirect`]: 'http://x.example.com', [`${N}temporal-redirect-code`]: '308' }, { kind: 'temporal', code: 302, location: text('http://x.example.com') } as RedirectPolicy, [`AnnotationInvalid metadata.annotations["${N}temporal-redirect-code"]`]],
    // Both: temporal is read first and wins.
    [
      { [`${N}temporal-redirect`]: 'https://t.example.com', [`${N}permanent-redirect`]: 'https://p.example.com' },
      { kind: 'temporal', code: 302, location: text('https://t.example.com') } as RedirectPolicy,
      [`AnnotationNoEffect metadata.annotations["${N}permanent-redirect"]`],
    ],
    // Variables are typed parts; the scheme and host are lower-cased.
    [
      { 'gatehouse.dev/permanent-redirect': 'HTTPS://New.Example.COM:8443$request_uri' },
      { kind: 'permanent', code: 301, location: [{ kind: 'text', text: 'https://new.example.com:8443' }, { kind: 'var', name: 'request_uri' }] },
      [],
    ],
    [
      { 'gatehouse.dev/temporal-redirect': '$scheme://$host/moved$uri$is_args$args#top' },
      {
        kind: 'temporal', code: 302,
        location: [{ kind: 'var', name: 'scheme' }, { kind: 'text', text: '://' }, { kind: 'var', name: 'host' }, { kind: 'text', text: '/moved' }, { kind: 'var', name: 'uri' }, { kind: 'var', name: 'is_args' }, { kind: 'var', name: 'args' }, { kind: 'text', text: '#top' }],
      },
      [],
    ],
    [{ [`${N}permanent-redirect-code`]: '308' }, undefined, [`AnnotationNoEffect metadata.annotations["${N}permanent-redirect-code"]`]],
  ];
  for (const [annotations, redirect, codes] of cases) {
    const r = parse(annotations);
    assert.deepEqual(r.policy.redirect, redirect, JSON.stringify(annotations));
    assert.deepEqual(r.codes, codes, JSON.stringify(annotations));
    assert.equal(r.policy.refused, undefined);
  }
  assert.equal(parse({ [`${N}app-root`]: '/app1' }).policy.appRoot, '/app1');
});

test('a target that does not parse refuses the Ingress with AnnotationActionInvalid (never served instead)', () => {
  const bad = [
    'www.google.com', // no scheme
    'ftp://files.example.com/',
    'javascript:alert(1)',
    'https://evil.example.com\r\nSet-Cookie: a=b',
    'https://a.example.com/a b',
    'https://user:pass@a.example.com/',
    'https://a.example.com/$remote_addr',
    'https://a.example.com/${request_uri}',
    'https://a.example.com/;return 200',
    `https://a.example.com/${'x'.repeat(2100)}`,
  ];
  for (const value of bad) {
    for (const key of [`${N}permanent-redirect`, `${N}temporal-redirect`, 'gatehouse.dev/permanent-redirect']) {
      const r = parse({ [key]: value });
      assert.deepEqual(r.codes, [`AnnotationActionInvalid metadata.annotations["${key}"]`], `${key}: ${JSON.stringify(value).slice(0, 60)}`);
      assert.deepEqual(r.policy.refused, { code: 'AnnotationActionInvalid', annotation: key });
      assert.equal(r.policy.redirect, undefined);
    }
  }
  for (const value of ['app1', '//evil.example.com/', '/a b', '/$request_uri']) {
    assert.equal(parse({ [`${N}app-root`]: value }).policy.refused?.code, 'AnnotationActionInvalid', value);
  }
});

let echo: EchoBackend;
let plane: Plane;

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const backend = 'shop/web:80';
  const policies = {
    'shop/perm': policyOf({ [`${N}permanent-redirect`]: 'https://www.example.com$request_uri', [`${N}permanent-redirect-code`]: '308' }),
    'shop/google': policyOf({ [`${N}permanent-redirect`]: 'https://www.google.com' }),
    'shop/temp': policyOf({ [`${N}temporal-redirect`]: 'https://maintenance.example.com/' }),
    'shop/approot': policyOf({ [`${N}app-root`]: '/app1' }),
    'shop/both': policyOf({ [`${N}app-root`]: '/app1', [`${N}temporal-redirect`]: '$scheme://$host/new$uri$is_args$args', [`${N}force-ssl-redirect`]: 'true' }),
    'shop/forced': policyOf({ [`${N}force-ssl-redirect`]: 'true' }),
    'shop/guarded': policyOf({ [`${N}temporal-redirect`]: 'https://elsewhere.example.com/', [`${N}whitelist-source-range`]: '10.0.0.0/8' }),
    'shop/broken': policyOf({ [`${N}permanent-redirect`]: 'ftp://files.example.com/' }, false),
  };
  plane = await startPlane(
    routeTable({
      hosts: Object.fromEntries(Object.keys(policies).map((p) => [`${p.slice(5)}.example.com`, { routes: [{ path: '/', backend, policy: p }] }])),
      backends: { [backend]: [`127.0.0.2:${echo.port}`] },
      policies,
    }),
  );
});

after(async () => {
  await plane.stop();
  await echo.close();
});

for (const t of TRANSPORTS) {
  test(`${t}: permanent and temporal redirects answer the code and Location, never the backend`, async () => {
    const before = echo.count();
    let r = await plane.curl(t, 'perm.example.com', '/a/b?x=1&y=2');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://www.example.com/a/b?x=1&y=2', '$request_uri is the path and query');
    r = await plane.curl(t, 'google.example.com', '/search?q=1');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://www.google.com', 'nothing appended unless the target says so (ingress-nginx `return 301 URL`)');
    r = await plane.curl(t, 'temp.example.com', '/anything', ['-X', 'POST', '-d', 'x=1']);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'https://maintenance.example.com/');
    assert.equal(echo.count(), before, 'no redirected request reached the backend');
  });

  test(`${t}: app-root answers exactly / with 302 to scheme://Host/app-root; other paths are served`, async () => {
    const before = echo.count();
    let r = await plane.curl(t, 'approot.example.com', '/?utm=1');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `http://approot.example.com/app1`, 'the query is not kept, as ingress-nginx');
    r = await plane.curl(t, `approot.example.com:${plane.ports[t]}`, '/');
    assert.equal(r.headers.location, `http://approot.example.com:${plane.ports[t]}/app1`, 'the Host header as sent ($http_host)');
    r = await plane.curl(t, 'approot.example.com', '/app1');
    assert.equal(r.status, 200);
    assert.equal(echo.count(), before + 1);
  });

  test(`${t}: precedence as ingress-nginx's rewrite phase: app-root, the Ingress's redirect, HTTPS, then access control`, async () => {
    let r = await plane.curl(t, 'both.example.com', '/');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'http://both.example.com/app1', 'app-root first');
    r = await plane.curl(t, 'both.example.com', '/old/page?id=7');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'http://both.example.com/new/old/page?id=7', 'the redirect before force-ssl-redirect');
    r = await plane.curl(t, 'forced.example.com', '/');
    assert.equal(r.status, 308, 'force-ssl-redirect alone still redirects to HTTPS');
    r = await plane.curl(t, 'guarded.example.com', '/');
    assert.equal(r.status, 302, 'redirected before the source ranges are checked (rewrite phase before access phase)');
  });

  test(`${t}: a target that does not parse refuses the routes with 503`, async () => {
    const before = echo.count();
    const r = await plane.curl(t, 'broken.example.com', '/');
    assert.equal(r.status, 503);
    assert.equal(r.headers.location, undefined);
    assert.equal(echo.count(), before);
    assert.ok(plane.lines.some((l) => l.host === 'broken.example.com' && l.error === 'AnnotationActionInvalid'), 'the access log names the code');
  });
}
