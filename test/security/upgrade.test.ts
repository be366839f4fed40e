// Upgrades: only `Upgrade: websocket` takes the upgrade path; bytes the client sends right after
// its upgrade request are held until the backend's 101, and dropped with the connection when the
// backend refuses. The backend here is raw, so it sees exactly what arrived and when.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, waitUntil } from '../support/raw-http.ts';
import type { RecordedConnection } from '../support/recording-backend.ts';
import { HOST, MARKER, startFixture, type Fixture } from './harness.ts';

let f: Fixture;
/** What the backend had received on the connection just before it answered the upgrade. */
const seenAtHead = new Map<string, string>();

before(async () => {
  f = await startFixture();
  f.publicBackend.respondRaw((head, socket, conn: RecordedConnection) => {
    const path = head.split(' ')[1] ?? '';
    seenAtHead.set(path, conn.data.toString('latin1'));
    if (path === '/ws-accept') {
      // Answer a little later and record what arrived meanwhile: leaked early bytes would show.
      setTimeout(() => {
        seenAtHead.set(path, conn.data.toString('latin1'));
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
        // Echo whatever arrives after the 101, so the test sees the early bytes got through.
        socket.on('data', (d: Buffer) => socket.write(d));
      }, 200);
    } else if (path === '/ws-refuse') {
      setTimeout(() => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused'), 200);
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    }
  });
});
after(() => f.close());

function upgradeRequest(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
}

/** Early bytes that look like a smuggled HTTP request, to make a leak obvious. */
const EARLY = `GET /${MARKER} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

test('bytes sent right after the upgrade request are held until the 101, then delivered', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(upgradeRequest('/ws-accept') + EARLY);
    const head = await conn.readBytes('HTTP/1.1 101'.length);
    assert.equal(head.toString('latin1'), 'HTTP/1.1 101');
    // The backend echoes: the early bytes arrive back, after the 101 head.
    await waitUntil(() => conn.pending.toString('latin1').includes(EARLY), 'the early bytes to be echoed back');
  } finally {
    conn.destroy();
  }
  const atHead = seenAtHead.get('/ws-accept') ?? '';
  assert.ok(!atHead.includes(MARKER), `the backend had the early bytes before its 101: ${JSON.stringify(atHead)}`);
  assert.ok(atHead.endsWith('\r\n\r\n'));
});

test('a refused upgrade: the client gets the refusal, the early bytes never reach the backend, the connection closes', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(upgradeRequest('/ws-refuse') + EARLY);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 403);
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  const upstream = f.publicBackend.connections.find((c) => c.data.toString('latin1').includes('/ws-refuse'));
  assert.ok(upstream !== undefined);
  await waitUntil(() => upstream.closed, 'the upstream connection of the refused upgrade to close');
  assert.ok(!upstream.data.toString('latin1').includes(MARKER), 'early bytes reached a backend that refused the upgrade');
  for (const c of f.publicBackend.connections) assert.ok(!c.data.toString('latin1').includes(MARKER));
});

test('Upgrade other than websocket (h2c, TLS/1.0, websocket2) is served as plain HTTP/1.1, the upgrade headers dropped', async () => {
  for (const proto of ['h2c', 'TLS/1.0', 'websocketx', 'h2c, websocket']) {
    f.reset();
    const conn = await RawConnection.connect({ port: f.port });
    try {
      await conn.send(`GET /plain HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade\r\nUpgrade: ${proto}\r\n\r\n`);
      const r = await conn.readResponse();
      assert.ok(r !== 'closed');
      assert.equal(r.status, 200, proto);
    } finally {
      conn.destroy();
    }
    const bytes = f.publicBackend.allBytes().toString('latin1').toLowerCase();
    assert.ok(bytes.includes('get /plain http/1.1'));
    assert.ok(!bytes.includes('upgrade'), `${proto}: ${bytes}`);
  }
});
