// The engine's deadlines, enforced by its one shared sweep: a head that does not arrive in time
// (408), a body that does not (408, the exchange aborted), an idle keep-alive connection (closed
// quietly), a client that accepts no response bytes (destroyed, the exchange aborted). Short
// limits so the test is quick; the waits are generous bounds, never measurements.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { ExchangeListener, Http1Exchange } from '../../src/dataplane/http1/http1-exchange.ts';
import { HOST } from '../security/harness.ts';
import { RawConnection, waitUntil } from '../support/raw-http.ts';
import { startEngineFixture, type EngineFixture } from './engine-fixture.ts';

let f: EngineFixture;
before(async () => {
  f = await startEngineFixture({ headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300, sendTimeoutMs: 400, checkIntervalMs: 50 });
});
after(() => f.close());

test('headers timeout: a head that stops half-way gets 408 and the connection closes', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: `);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 408);
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  assert.deepEqual(f.seen, []);
  assert.equal(f.rejections[0]?.code, 'headers-timeout');
});

test('headers timeout also bounds a connection that never sends anything', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    const r = await conn.readResponse();
    assert.ok(r === 'closed' || r.status === 408);
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
});

test('request timeout: a body that does not arrive in time gets 408; the handler sees the exchange aborted', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`POST /slow-body HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 100\r\n\r\nonly some`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 408);
    await conn.waitClosed();
  } finally {
    conn.destroy();
  }
  assert.equal(f.seen.length, 1);
  assert.equal(f.seen[0]?.complete, false);
  assert.equal(f.seen[0]?.aborted, 'request-timeout');
});

test('keep-alive timeout: an idle connection after a response is closed without a byte', async () => {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`GET /once HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200);
    const rest = await conn.waitClosed();
    assert.equal(rest.length, 0);
  } finally {
    conn.destroy();
  }
});

test('a request in flight is not cut by the keep-alive or headers timeouts (only its body is timed)', async () => {
  f.reset();
  let held: Http1Exchange | undefined;
  f.intercept = (ex) => {
    held = ex;
    return true;
  };
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(`GET /long HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    await waitUntil(() => held !== undefined, 'the request');
    await new Promise((r) => setTimeout(r, 900)); // longer than every timeout above
    assert.equal(held!.aborted, false);
    held!.respond(200, [], 'late but fine');
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.body.toString(), 'late but fine');
  } finally {
    conn.destroy();
  }
});

test('send timeout: a client that accepts no response bytes is cut; the exchange is aborted', async () => {
  f.reset();
  let ex: Http1Exchange | undefined;
  let writes = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  class Pump implements ExchangeListener {
    onWritable(e: Http1Exchange): void {
      pump(e);
    }
  }
  const pump = (e: Http1Exchange): void => {
    // Writes until the socket says stop; a client that reads would bring onWritable back.
    while (!e.finished && writes < 4096) {
      writes++;
      if (!e.write(chunk)) return;
    }
  };
  f.intercept = (e) => {
    ex = e;
    e.listener = new Pump();
    e.writeHead(200, ['content-type', 'application/octet-stream'], -1);
    pump(e);
    return true;
  };
  const client: Socket = connect({ host: '127.0.0.1', port: f.port });
  try {
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.on('error', () => {});
    client.write(`GET /big HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    client.pause(); // never reads
    await waitUntil(() => ex?.aborted === true, 'the send timeout to cut the exchange');
    assert.equal(ex!.abortReason, 'send-timeout');
    assert.ok(writes < 4096, 'back-pressure stopped the writer long before its bound');
    await waitUntil(() => f.engine.connectionCount === 0, 'the connection to be gone');
    assert.ok(f.rejections.some((r) => r.code === 'send-timeout'));
  } finally {
    client.destroy();
  }
});
