// GET /debug/traffic on the built CLI: every route of the active table (idle ones at zero), totals,
// rates and latency quantiles that move under load, and the endpoints with their health.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoBackend } from '../support/echo-backend.ts';
import { json } from '../support/http-client.ts';
import { waitFor } from '../support/spawn-gatehouse.ts';
import { ingress, startObservedGatehouse } from './observed-gatehouse.ts';

interface RouteView {
  route: string;
  namespace: string;
  ingress: string;
  host: string;
  path: string;
  service: string;
  requests: number;
  ratePerSecond: number;
  errorRatePerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
}
interface TrafficView {
  at: number;
  windowSeconds: number;
  routes: RouteView[];
  endpoints: { backend: string; address: string; ejected: boolean; inFlight: number }[];
}

test('/debug/traffic: per-route totals, rates and quantiles move under load; idle routes at zero; endpoints', async (t) => {
  const a = await startEchoBackend({ address: '127.0.0.2', name: 'a' });
  const b = await startEchoBackend({ address: '127.0.0.3', name: 'b' });
  t.after(() => Promise.all([a.close(), b.close()]));
  const w = await startObservedGatehouse(t, {
    services: { 'shop/svc-a': { endpoints: [`127.0.0.2:${a.port}`] }, 'shop/svc-b': { endpoints: [`127.0.0.3:${b.port}`] } },
    objects: [ingress('shop', 'web', { 'a.example.com': { '/x': 'svc-a' }, 'b.example.com': { '/y': 'svc-b' } })],
  });
  const view = async (): Promise<TrafficView> => json<TrafficView>(await w.admin('/debug/traffic'));

  const idle = await view();
  assert.deepEqual(Object.keys(idle).sort(), ['at', 'endpoints', 'routes', 'windowSeconds']);
  assert.equal(idle.windowSeconds, 60);
  assert.ok(Math.abs(idle.at - Date.now()) < 60_000, 'at is Unix milliseconds');
  assert.deepEqual(
    idle.routes.map((r) => [r.route, r.namespace, r.ingress, r.host, r.path, r.service, r.requests, r.ratePerSecond, r.errorRatePerSecond, r.p50Ms, r.p99Ms]),
    [
      ['shop/web#r0.p0', 'shop', 'web', 'a.example.com', '/x', 'shop/svc-a:http', 0, 0, 0, null, null],
      ['shop/web#r1.p0', 'shop', 'web', 'b.example.com', '/y', 'shop/svc-b:http', 0, 0, 0, null, null],
    ],
  );
  assert.deepEqual(idle.endpoints, [
    { backend: 'shop/svc-a:http', address: `127.0.0.2:${a.port}`, ejected: false, inFlight: 0 },
    { backend: 'shop/svc-b:http', address: `127.0.0.3:${b.port}`, ejected: false, inFlight: 0 },
  ]);

  // A short load on route a: 40 answers, 10 of them 503 from the backend; b stays idle.
  for (let i = 0; i < 40; i++) {
    const r = await w.request('a.example.com', i % 4 === 0 ? '/x?echo-status=503' : '/x');
    assert.equal(r.status, i % 4 === 0 ? 503 : 200);
  }
  let loaded: TrafficView | undefined;
  await waitFor('40 requests counted', async () => {
    loaded = await view();
    return loaded.routes[0]!.requests === 40;
  });
  const ra = loaded!.routes[0]!;
  assert.ok(ra.ratePerSecond > 0, `rate ${ra.ratePerSecond}`);
  assert.ok(ra.errorRatePerSecond > 0 && ra.errorRatePerSecond < ra.ratePerSecond, `error rate ${ra.errorRatePerSecond}`);
  assert.ok(typeof ra.p50Ms === 'number' && ra.p50Ms > 0, `p50 ${ra.p50Ms}`);
  assert.ok(typeof ra.p99Ms === 'number' && ra.p99Ms >= ra.p50Ms, `p99 ${ra.p99Ms}`);
  const rb = loaded!.routes[1]!;
  assert.deepEqual([rb.requests, rb.ratePerSecond, rb.errorRatePerSecond, rb.p50Ms, rb.p99Ms], [0, 0, 0, null, null]);

  // Slow answers move p99: ten requests the backend holds for 300 ms.
  await Promise.all(Array.from({ length: 10 }, () => w.request('a.example.com', '/x?echo-delay-ms=300')));
  let slow: TrafficView | undefined;
  await waitFor('50 requests counted', async () => {
    slow = await view();
    return slow.routes[0]!.requests === 50;
  });
  assert.ok(slow!.routes[0]!.p99Ms! >= 250, `p99 after slow requests: ${slow!.routes[0]!.p99Ms}`);
  assert.ok(slow!.routes[0]!.ratePerSecond > 0);

  // A request that matches no route is not a route's.
  assert.equal((await w.request('nowhere.example.com', '/')).status, 404);
  const after = await view();
  assert.equal(after.routes.reduce((n, r) => n + r.requests, 0), 50);
});
