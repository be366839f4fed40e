// Table swaps while serving: zero failed requests under a bounded concurrent load, in-flight
// requests finish on the table they started with, keep-alive upstream connections survive swaps,
// pools of endpoints that left are closed after the grace period, and stop() drains.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { startDataPlane, waitFor, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { routeTable } from '../support/route-tables.ts';
import type { RouteTable } from '../../src/core/route-table.ts';

let a: EchoBackend;
let b: EchoBackend;
let c: EchoBackend;

before(async () => {
  [a, b, c] = await Promise.all([
    startEchoBackend({ address: '127.0.0.2', name: 'a' }),
    startEchoBackend({ address: '127.0.0.3', name: 'b' }),
    startEchoBackend({ address: '127.0.0.4', name: 'c' }),
  ]);
});

after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});

function tableTo(...backends: EchoBackend[]): RouteTable {
  return routeTable({
    hosts: { 'live.test': { routes: [{ path: '/', backend: 'default/app:80' }, { path: '/pinned', backend: 'default/pinned:80' }] } },
    backends: { 'default/app:80': backends.map((x) => `${x.address}:${x.port}`), 'default/pinned:80': [`127.0.0.2:${a.port}`] },
  });
}

test('table swaps under a bounded concurrent load fail no request', async () => {
  const fx = await startDataPlane(tableTo(a));
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const tables = [tableTo(a), tableTo(b), tableTo(a, b, c), tableTo(c), tableTo(b, c)];
  const seen = new Set<string>();
  const failures: string[] = [];
  let completed = 0;
  let swaps = 0;
  let loadDone = false;
  try {
    const swapper = (async () => {
      while (!loadDone) {
        fx.dataPlane.apply(tables[swaps++ % tables.length]!);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    // 16 workers × 100 sequential requests each, over keep-alive connections.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = 0; i < 100; i++) {
          try {
            const r = await httpRequest(fx.port, { host: 'live.test', path: `/req/${i}`, agent });
            if (r.status !== 200) failures.push(`status ${r.status}`);
            else seen.add(json<EchoReply>(r).name);
          } catch (err) {
            failures.push(String(err));
          }
          completed++;
        }
      }),
    );
    loadDone = true;
    await swapper;
    assert.deepEqual(failures, []);
    assert.equal(completed, 1600);
    assert.ok(swaps >= 5, `only ${swaps} swaps happened during the load`);
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  } finally {
    agent.destroy();
    await fx.stop();
  }
});

test('a request in flight finishes on the table it started with', async () => {
  const fx = await startDataPlane(tableTo(a));
  try {
    const slow = httpRequest(fx.port, { host: 'live.test', path: '/?echo-delay-ms=400' });
    await waitFor(() => a.requests.some((r) => r.url === '/?echo-delay-ms=400'), 5000, 'the slow request to reach a');
    fx.dataPlane.apply(tableTo(b));
    const during = json<EchoReply>(await httpRequest(fx.port, { host: 'live.test', path: '/' }));
    assert.equal(during.name, 'b', 'new requests use the new table');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(json<EchoReply>(r).name, 'a');
  } finally {
    await fx.stop();
  }
});

test('keep-alive upstream connections survive swaps; pools of removed endpoints close after the grace period', async () => {
  const fx = await startDataPlane(tableTo(a, b), { upstream: { poolGraceMs: 200 } });
  try {
    for (let i = 0; i < 10; i++) await httpRequest(fx.port, { host: 'live.test', path: '/' });
    const acceptedA = a.connectionsAccepted();
    const acceptedB = b.connectionsAccepted();
    for (let s = 0; s < 5; s++) {
      fx.dataPlane.apply(tableTo(a, b)); // a new, equal table each time
      for (let i = 0; i < 4; i++) assert.equal((await httpRequest(fx.port, { host: 'live.test', path: '/' })).status, 200);
    }
    assert.equal(a.connectionsAccepted(), acceptedA, 'no new connection to a after swaps');
    assert.equal(b.connectionsAccepted(), acceptedB, 'no new connection to b after swaps');
    assert.equal(fx.dataPlane.stats().upstreamPools, 2);

    // b leaves the table: its pool closes after the grace period; a's stays.
    const openA = a.openConnections();
    assert.ok(b.openConnections() > 0);
    fx.dataPlane.apply(tableTo(a));
    await waitFor(() => b.openConnections() === 0, 5000, 'b’s pooled connections to close');
    assert.equal(fx.dataPlane.stats().upstreamPools, 1);
    assert.equal(a.openConnections(), openA);
  } finally {
    await fx.stop();
  }
});

test('stop() stops accepting, lets requests in flight finish, and is bounded', async () => {
  const fx = await startDataPlane(tableTo(a));
  const slow = httpRequest(fx.port, { host: 'live.test', path: '/?echo-delay-ms=300' });
  await waitFor(() => fx.dataPlane.inFlightRequests === 1, 5000, 'one request in flight');
  const stopped = fx.dataPlane.stop(5000);
  // The listener is closed at once, while the request in flight is still being served.
  const refused = await httpRequest(fx.port, { host: 'live.test', path: '/' }).then(
    () => false,
    () => true,
  );
  assert.ok(refused, 'new connections are refused while draining');
  assert.equal(fx.dataPlane.inFlightRequests, 1);
  const r = await slow;
  assert.equal(r.status, 200, 'the request in flight completed');
  await stopped;

  // A request that never ends does not hold stop() beyond its bound.
  const hung = await startDataPlane(tableTo(a));
  const never = httpRequest(hung.port, { host: 'live.test', path: '/?echo-delay-ms=60000' }).catch((e: Error) => e);
  await waitFor(() => hung.dataPlane.inFlightRequests === 1, 5000, 'one request in flight');
  await hung.dataPlane.stop(200);
  assert.ok((await never) instanceof Error, 'the hung request was cut at the drain deadline');
});
