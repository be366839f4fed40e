// ingress-nginx from-to-www-redirect: the core adds the other name's virtual host (www. added or
// removed) answering 308 to the Ingress's host, skipped when the other name is an Ingress's host;
// the certificate check ingress-nginx makes (the host's certificate serves the other name only when
// it covers it). Then through a real DataPlane and HTTPS listener with curl: plain HTTP/1.1, and
// HTTPS over HTTP/1.1 and HTTP/2 with the certificate verified against the test CA.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { RouteTable } from '../../src/core/route-table.ts';
import { addWwwRedirects } from '../../src/core/www-redirects.ts';
import { makeCa, makeLeaf, type TestCa } from '../support/certs.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { routeTable } from '../support/route-tables.ts';
import { startTlsFixture, type TlsFixture } from '../tls/tls-fixture.ts';
import { tlsTable } from '../tls/tls-tables.ts';
import { policyOf } from './redirects-cors-plane.ts';

const run = promisify(execFile);
const WWW = { 'nginx.ingress.kubernetes.io/from-to-www-redirect': 'true' };

function baseTable(backendAddress: string): RouteTable {
  const backend = 'shop/web:80';
  return routeTable({
    hosts: {
      'shop.example.com': { routes: [{ path: '/', backend, policy: 'shop/www' }], tls: 'shop/covers' },
      'www.blog.example.com': { routes: [{ path: '/', backend, policy: 'shop/www' }], tls: 'shop/narrow' },
      'taken.example.com': { routes: [{ path: '/', backend, policy: 'shop/www' }] },
      'www.taken.example.com': { routes: [{ path: '/', backend, policy: 'shop/plain' }] },
      '*.wild.example.com': { routes: [{ path: '/', backend, policy: 'shop/www' }] },
      'plain.example.com': { routes: [{ path: '/', backend, policy: 'shop/plain' }] },
    },
    backends: { [backend]: [backendAddress] },
    policies: { 'shop/www': policyOf(WWW), 'shop/plain': policyOf({}) },
  });
}

let ca: TestCa;
let echo: EchoBackend;
let f: TlsFixture;
let table: RouteTable;

before(async () => {
  ca = makeCa();
  const covers = makeLeaf(ca, { names: ['shop.example.com', 'www.shop.example.com'] });
  const narrow = makeLeaf(ca, { names: ['www.blog.example.com'] });
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const withCerts = tlsTable(
    [
      { id: 'shop/covers', certPem: covers.chainPem, keyPem: covers.keyPem, hosts: ['shop.example.com'] },
      { id: 'shop/narrow', certPem: narrow.chainPem, keyPem: narrow.keyPem, hosts: ['www.blog.example.com'] },
    ],
    baseTable(`127.0.0.2:${echo.port}`),
  );
  const built = addWwwRedirects(withCerts);
  table = built.table;
  assert.deepEqual(
    built.diagnostics.map((d) => `${d.code}: ${d.message}`),
    [
      'AnnotationNoEffect: no redirect from "www.taken.example.com" to "taken.example.com": "www.taken.example.com" is already a host of an Ingress, which wins (as in ingress-nginx)',
      'AnnotationNoEffect: HTTPS requests for "blog.example.com" are not redirected cleanly: the certificate "shop/narrow" of "www.blog.example.com" does not cover "blog.example.com", so they get the default certificate (as in ingress-nginx); plain HTTP is redirected',
    ],
  );
  f = await startTlsFixture(table);
});

after(async () => {
  await f?.stop();
  await echo?.close();
  ca?.dispose();
});

test('the other name gets a redirect host; taken names, wildcards and hosts without the annotation get none', () => {
  const hosts = table.virtualHosts.map((vh) => vh.host);
  assert.deepEqual(hosts, ['*.wild.example.com', 'blog.example.com', 'plain.example.com', 'shop.example.com', 'taken.example.com', 'www.blog.example.com', 'www.shop.example.com', 'www.taken.example.com']);
  const www = table.virtualHosts.find((vh) => vh.host === 'www.shop.example.com')!;
  assert.deepEqual(table.policies[www.routes[0]!.policy]!.redirect, {
    kind: 'permanent', code: 308, location: [{ kind: 'var', name: 'scheme' }, { kind: 'text', text: '://shop.example.com' }, { kind: 'var', name: 'request_uri' }],
  });
  assert.deepEqual(www.tls, { certificate: 'shop/covers', ingress: 'default/ing' }, 'the certificate covers www.: it serves the redirect host');
  assert.ok(table.sni.some((s) => s.host === 'www.shop.example.com' && s.certificate === 'shop/covers'));
  assert.equal(table.virtualHosts.find((vh) => vh.host === 'blog.example.com')!.tls, undefined, 'the certificate does not cover it');
  assert.ok(!table.sni.some((s) => s.host === 'blog.example.com'));
  assert.deepEqual(addWwwRedirects(table).table, table, 'idempotent: the added hosts are taken names');
});

async function curl(args: string[]): Promise<{ status: number; location: string | undefined; version: string }> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '30', '-o', '/dev/null', '-w', '%{http_code} %{http_version} %{redirect_url}', ...args]);
  const [status = '', version = '', location] = stdout.split(' ');
  return { status: Number(status), version, location: location === '' ? undefined : location };
}

test('plain HTTP/1.1: www. added and removed both redirect with 308, path and query kept; the backend is not reached', async () => {
  const before = echo.count();
  let r = await curl(['--http1.1', '-H', 'Host: www.shop.example.com', `http://127.0.0.1:${f.httpPort}/cart?id=7`]);
  assert.deepEqual([r.status, r.location], [308, 'http://shop.example.com/cart?id=7']);
  r = await curl(['--http1.1', '-H', 'Host: blog.example.com', `http://127.0.0.1:${f.httpPort}/post/1`]);
  assert.deepEqual([r.status, r.location], [308, 'http://www.blog.example.com/post/1']);
  r = await curl(['--http1.1', '-H', 'Host: www.taken.example.com', `http://127.0.0.1:${f.httpPort}/`]);
  assert.equal(r.status, 200, 'the Ingress that owns the name serves it');
  assert.equal(echo.count(), before + 1);
});

for (const version of ['--http1.1', '--http2'] as const) {
  test(`HTTPS ${version}: the covering certificate is verified for the www. name and the redirect keeps https`, async () => {
    const r = await curl([version, '--cacert', ca.certPath, '--resolve', `www.shop.example.com:${f.httpsPort}:127.0.0.1`, `https://www.shop.example.com:${f.httpsPort}/a?b=1`]);
    assert.equal(r.status, 308);
    assert.equal(r.version, version === '--http2' ? '2' : '1.1');
    assert.equal(r.location, 'https://shop.example.com/a?b=1');
  });
}

test('HTTPS to a name the certificate does not cover: no verified handshake (the default certificate), as in ingress-nginx', async () => {
  await assert.rejects(run('curl', ['-sS', '--max-time', '30', '--cacert', ca.certPath, '--resolve', `blog.example.com:${f.httpsPort}:127.0.0.1`, `https://blog.example.com:${f.httpsPort}/`]));
});
