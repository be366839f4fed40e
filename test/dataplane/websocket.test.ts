// WebSocket through the proxy: the handshake is relayed only after the backend's 101, frames are
// echoed both ways, bytes sent early are held until the 101, a refusal is relayed as it is.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { connectWebSocket, encodeFrame, OPCODE_TEXT, websocketAccept } from '../support/websocket.ts';
import { rawExchange } from '../support/raw-http.ts';
import { closedPort, startDataPlane, waitFor, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { routeTable } from '../support/route-tables.ts';

let a: EchoBackend;
let b: EchoBackend;
let fx: DataPlaneFixture;

before(async () => {
  a = await startEchoBackend({ address: '127.0.0.2', name: 'a' });
  b = await startEchoBackend({ address: '127.0.0.3', name: 'b' });
  const dead = await closedPort('127.0.0.4');
  fx = await startDataPlane(
    routeTable({
      hosts: {
        'ws.test': { routes: [{ path: '/', backend: 'default/ws:80' }, { path: '/dead', backend: 'default/dead:80' }] },
        'secure.test': { tls: 'default/cert', routes: [{ path: '/', backend: 'default/ws:80' }] },
      },
      backends: { 'default/ws:80': [`127.0.0.2:${a.port}`, `127.0.0.3:${b.port}`], 'default/dead:80': [`127.0.0.4:${dead}`] },
    }),
  );
});

after(async () => {
  await fx.stop();
  await a.close();
  await b.close();
});

test('WebSocket echo through the proxy, text and binary, large and small frames', async () => {
  const ws = await connectWebSocket(fx.port, { host: 'ws.test', path: '/chat?room=1' });
  try {
    assert.equal(ws.status, 101, ws.responseHead);
    assert.match(ws.responseHead, /^upgrade: websocket$/im);
    assert.match(ws.responseHead, /^connection: upgrade$/im);
    assert.match(ws.responseHead, /^sec-websocket-accept: /im);
    for (const message of ['hello', 'x'.repeat(70_000), '']) {
      ws.send(message);
      const frame = await ws.next();
      assert.equal(frame.opcode, OPCODE_TEXT);
      assert.equal(frame.payload.toString(), message);
    }
    const binary = Buffer.from([0, 1, 2, 255, 254]);
    ws.send(binary);
    assert.deepEqual((await ws.next()).payload, binary);
  } finally {
    ws.close();
  }
  const recorded = [...a.requests, ...b.requests].find((r) => r.url === '/chat?room=1');
  assert.ok(recorded, 'the backend saw the upgrade request');
  assert.equal(recorded.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(recorded.headers.upgrade, 'websocket');
  assert.ok(recorded.headers['sec-websocket-key']);
});

test('the Sec-WebSocket-Accept the client gets is the backend’s answer to the client’s key', async () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const res = await rawExchange(
    fx.port,
    `GET /k HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
    { until: (buf) => buf.includes('\r\n\r\n') },
  );
  assert.match(res.raw.toString('latin1'), new RegExp(`sec-websocket-accept: ${websocketAccept(key).replace(/[+/=]/g, '\\$&')}`, 'i'));
});

test('bytes sent right after the upgrade request reach the backend only as part of the new protocol', async () => {
  const early = encodeFrame(OPCODE_TEXT, Buffer.from('sent before the 101'), true);
  const ws = await connectWebSocket(fx.port, { host: 'ws.test', path: '/early', early });
  try {
    assert.equal(ws.status, 101);
    assert.equal((await ws.next()).payload.toString(), 'sent before the 101');
  } finally {
    ws.close();
  }
});

test('a backend that refuses the upgrade has its response relayed, and the connection closes', async () => {
  const ws = await connectWebSocket(fx.port, { host: 'ws.test', path: '/ws-refuse' });
  assert.equal(ws.status, 403);
  assert.match(ws.responseHead, /^x-refused-by: [ab]$/im);
  assert.match(ws.responseHead, /^connection: close$/im);
  await waitFor(() => ws.socket.destroyed || ws.socket.readableEnded, 5000, 'the connection to close');
  ws.close();
});

test('upgrade errors: unknown host 404, dead endpoint 502, plain HTTP to a TLS host 308', async () => {
  const unknown = await connectWebSocket(fx.port, { host: 'nowhere.test' });
  assert.equal(unknown.status, 404);
  unknown.close();
  const dead = await connectWebSocket(fx.port, { host: 'ws.test', path: '/dead' });
  assert.equal(dead.status, 502);
  dead.close();
  const secure = await connectWebSocket(fx.port, { host: 'secure.test', path: '/x?y' });
  assert.equal(secure.status, 308);
  assert.match(secure.responseHead, /^location: https:\/\/secure\.test:8443\/x\?y$/im);
  secure.close();
});

test('closing the client side closes the backend side of the tunnel, and stop() ends open tunnels', async () => {
  const ws = await connectWebSocket(fx.port, { host: 'ws.test', path: '/bye' });
  assert.equal(ws.status, 101);
  await waitFor(() => a.openSockets() + b.openSockets() === 1, 5000, 'one open backend socket');
  ws.socket.destroy();
  await waitFor(() => a.openSockets() + b.openSockets() === 0, 5000, 'the backend socket to close');

  const extra = await startDataPlane(fx.dataPlane.table!);
  const ws2 = await connectWebSocket(extra.port, { host: 'ws.test', path: '/stop' });
  assert.equal(ws2.status, 101);
  assert.equal(extra.dataPlane.stats().upgradedConnections, 1);
  await extra.dataPlane.stop(200);
  await waitFor(() => ws2.socket.destroyed || ws2.socket.readableEnded, 5000, 'tunnel closed by stop');
  ws2.close();
});
