// force-ssl-redirect (ingress-nginx and gatehouse.dev spellings) through a real DataPlane: plain HTTP
// to a host without TLS in Gatehouse is redirected (308) to HTTPS, even with ssl-redirect off; a
// request that a trusted proxy received over HTTPS (X-Forwarded-Proto: https) is served, so a
// TLS-terminating load balancer does not loop; an untrusted peer's X-Forwarded-Proto changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import type { RoutePolicy } from '../../src/core/policy.ts';
import { createTrustedProxyMatcher } from '../../src/app/trusted-proxies.ts';
import { startDataPlane, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';

function policyOf(annotations: Record<string, string>): RoutePolicy {
  const { policy, diagnostics } = parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} });
  assert.deepEqual(diagnostics, []);
  return policy;
}

let echo: EchoBackend;
let fx: DataPlaneFixture;

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const backend = 'shop/web:80';
  fx = await startDataPlane(
    routeTable({
      hosts: {
        'forced.example.com': { routes: [{ path: '/', backend, policy: 'shop/nginx' }] },
        'forced-off.example.com': { routes: [{ path: '/', backend, policy: 'shop/gatehouse' }] },
        'plain.example.com': { routes: [{ path: '/', backend, policy: 'shop/plain' }] },
      },
      backends: { [backend]: [`127.0.0.2:${echo.port}`] },
      policies: {
        'shop/nginx': policyOf({ 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' }),
        'shop/gatehouse': policyOf({ 'gatehouse.dev/force-ssl-redirect': 'true', 'gatehouse.dev/ssl-redirect': 'false' }),
        'shop/plain': policyOf({}),
      },
    }),
    { httpsPort: 8443, isTrustedProxy: createTrustedProxyMatcher([{ address: '127.0.0.9', prefix: 32, family: 'ipv4' }])! },
  );
});

after(async () => {
  await fx.stop();
  await echo.close();
});

test('force-ssl-redirect redirects plain HTTP to HTTPS on a host without TLS, path and query kept', async () => {
  for (const host of ['forced.example.com', 'forced-off.example.com']) {
    const r = await httpRequest(fx.port, { host, path: '/cart/items?id=7' });
    assert.equal(r.status, 308, host);
    assert.equal(r.headers.location, `https://${host}:8443/cart/items?id=7`);
  }
  assert.equal((await httpRequest(fx.port, { host: 'plain.example.com', path: '/' })).status, 200, 'no TLS and no force: served');
  assert.equal(echo.count(), 1);
});

test('behind a TLS-terminating trusted proxy (X-Forwarded-Proto: https) the request is served, not looped', async () => {
  const before = echo.count();
  const trusted = await httpRequest(fx.port, { host: 'forced.example.com', path: '/', localAddress: '127.0.0.9', headers: { 'x-forwarded-proto': 'https' } });
  assert.equal(trusted.status, 200);
  const chain = await httpRequest(fx.port, { host: 'forced.example.com', path: '/', localAddress: '127.0.0.9', headers: { 'x-forwarded-proto': 'http, https' } });
  assert.equal(chain.status, 200, 'the nearest proxy (the last value) decides');
  assert.equal(echo.count() - before, 2);
  const plainViaProxy = await httpRequest(fx.port, { host: 'forced.example.com', path: '/', localAddress: '127.0.0.9', headers: { 'x-forwarded-proto': 'http' } });
  assert.equal(plainViaProxy.status, 308, 'the proxy received plain HTTP: redirect');
  const untrusted = await httpRequest(fx.port, { host: 'forced.example.com', path: '/', localAddress: '127.0.0.3', headers: { 'x-forwarded-proto': 'https' } });
  assert.equal(untrusted.status, 308, "an untrusted peer's X-Forwarded-Proto is ignored");
  assert.equal(echo.count() - before, 2);
});
