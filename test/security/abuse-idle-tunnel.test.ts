// Issue 9: an upgraded (WebSocket) connection idle in both directions for the route's read timeout
// is closed; one with traffic either way is not; a route whose policy raises the read timeout keeps
// its tunnels that much longer. Plain HTTP on another route is served throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { connectWebSocket } from '../support/websocket.ts';
import { startDataPlane, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { httpRequest } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';
import { waitUntil } from '../support/raw-http.ts';

let backend: EchoBackend;
let fx: DataPlaneFixture;

before(async () => {
  backend = await startEchoBackend({ address: '127.0.0.2', name: 'ws' });
  fx = await startDataPlane(
    routeTable({
      hosts: {
        'ws.test': { routes: [{ path: '/', backend: 'default/ws:80' }, { path: '/patient', backend: 'default/ws:80', policy: 'default/patient' }] },
      },
      backends: { 'default/ws:80': [`127.0.0.2:${backend.port}`] },
      // gatehouse.dev/read-timeout (or ingress-nginx proxy-read-timeout) on the Ingress of /patient.
      policies: { 'default/patient': { readTimeoutMs: 6_000 } },
    }),
    { accessLog: false, timeouts: { readTimeoutMs: 1_500 } },
  );
});

after(async () => {
  await fx.stop();
  await backend.close();
});

function closed(socket: { destroyed: boolean; readableEnded: boolean }): boolean {
  return socket.destroyed || socket.readableEnded;
}

test('a tunnel idle both ways for the read timeout is closed; one with client pings every 500 ms is not; a raised read timeout keeps it longer', { timeout: 60_000 }, async () => {
  const idle = await connectWebSocket(fx.port, { host: 'ws.test', path: '/idle' });
  const busy = await connectWebSocket(fx.port, { host: 'ws.test', path: '/busy' });
  const patient = await connectWebSocket(fx.port, { host: 'ws.test', path: '/patient/idle' });
  const opened = Date.now();
  try {
    for (const ws of [idle, busy, patient]) assert.equal(ws.status, 101, ws.responseHead);
    assert.equal(fx.dataPlane.stats().upgradedConnections, 3);
    // The client alone talks on `busy` (the echo answers, but one direction is enough).
    const pinger = setInterval(() => busy.send('ping'), 500);
    try {
      await waitUntil(() => closed(idle.socket), 'the idle tunnel to be closed', 20_000, 50);
      const idleClosedAfter = Date.now() - opened;
      assert.ok(idleClosedAfter >= 1_000, `closed after ${idleClosedAfter} ms, before the read timeout`);
      await new Promise((r) => setTimeout(r, 2_500));
      assert.ok(!closed(busy.socket), 'a tunnel with traffic was closed');
      assert.ok(!closed(patient.socket), 'the tunnel of a route with a 6 s read timeout was closed after ~4 s');
      // Served meanwhile, on another route: plain HTTP to the same backend.
      assert.equal((await httpRequest(fx.port, { host: 'ws.test', path: '/plain' })).status, 200);
      await waitUntil(() => closed(patient.socket), 'the patient tunnel to be closed after its own timeout', 20_000, 50);
      console.log(`idle tunnel closed ${idleClosedAfter} ms after opening (read timeout 1.5 s); patient one after ${Date.now() - opened} ms (6 s)`);
      busy.send('still here');
      assert.equal((await busy.next()).payload.toString(), 'ping');
    } finally {
      clearInterval(pinger);
    }
    await waitUntil(() => fx.dataPlane.stats().upgradedConnections === 1, 'the closed tunnels to be released', 5_000, 50);
  } finally {
    idle.close();
    busy.close();
    patient.close();
  }
});
