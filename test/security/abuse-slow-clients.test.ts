// Slow clients are cut off by the configured timeouts (Node's connection-checking interval is set,
// so they fire near their value), the server keeps answering others meanwhile, and a connection
// cap refuses excess connections while the admin port keeps answering. Bounded in count and time,
// 127.0.0.1 only; no timing assertions: every wait is a bounded poll for a condition.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawConnection, waitUntil } from '../support/raw-http.ts';
import { assertHealthy, startProcessFixture, type ProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

const fixtures: ProcessFixture[] = [];
after(async () => {
  for (const f of fixtures) await f.close();
});

interface Slow {
  socket: net.Socket;
  got: string;
  closed: boolean;
}

function openSlow(port: number, first: string): Promise<Slow> {
  return new Promise((resolve, reject) => {
    const s: Slow = { socket: net.connect({ host: '127.0.0.1', port }), got: '', closed: false };
    s.socket.setEncoding('latin1');
    s.socket.on('data', (d: string) => (s.got += d));
    s.socket.on('error', () => {});
    s.socket.on('close', () => (s.closed = true));
    s.socket.once('connect', () => {
      s.socket.write(first);
      resolve(s);
    });
    s.socket.once('error', reject);
  });
}

async function probe(f: ProcessFixture): Promise<number | 'closed'> {
  const conn = await RawConnection.connect({ port: f.gh.ports.http });
  try {
    await conn.send(`GET /probe HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    const r = await conn.readResponse();
    return r === 'closed' ? r : r.status;
  } finally {
    conn.destroy();
  }
}

test('slowloris: 2,000 connections trickling header lines are all cut off by the header timeout; others are served meanwhile', async () => {
  const f = await startProcessFixture(['--header-timeout', '2s', '--request-timeout', '10s']);
  fixtures.push(f);
  const slow: Slow[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const opened = await Promise.all(Array.from({ length: 100 }, () => openSlow(f.gh.ports.http, `GET /slowloris HTTP/1.1\r\nHost: ${HOST}\r\n`)));
    slow.push(...opened);
  }
  assert.equal(slow.length, 2000);
  // Trickle one more header line every 500 ms to every connection still open.
  let n = 0;
  const trickle = setInterval(() => {
    n++;
    for (const s of slow) if (!s.closed) s.socket.write(`X-Trickle-${n}: ${'a'.repeat(8)}\r\n`);
  }, 500);
  try {
    // The server answers a normal client while the attack is on.
    assert.equal(await probe(f), 200);
    await waitUntil(() => slow.every((s) => s.closed), 'every slowloris connection to be closed by the server', 60_000, 100);
  } finally {
    clearInterval(trickle);
    for (const s of slow) s.socket.destroy();
  }
  // Each got a 408 or was simply closed; none was ever answered as a request or forwarded.
  for (const s of slow) assert.ok(s.got === '' || s.got.startsWith('HTTP/1.1 408 '), JSON.stringify(s.got.slice(0, 80)));
  assert.ok(slow.filter((s) => s.got.startsWith('HTTP/1.1 408 ')).length > 0, 'the timeout answers 408');
  assert.equal(f.publicBackend.requests.filter((r) => r.url === '/slowloris').length, 0);
  await assertHealthy(f, 'after slowloris');
});

test('slow body: a request whose body trickles in is cut off by the request timeout; the backend never gets it whole', async () => {
  const f = await startProcessFixture(['--header-timeout', '2s', '--request-timeout', '3s']);
  fixtures.push(f);
  const s = await openSlow(f.gh.ports.http, `POST /slow-body HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1000\r\n\r\n`);
  const drip = setInterval(() => {
    if (!s.closed) s.socket.write('x');
  }, 200);
  try {
    await waitUntil(() => s.closed, 'the slow-body connection to be closed', 30_000, 50);
  } finally {
    clearInterval(drip);
    s.socket.destroy();
  }
  assert.ok(s.got === '' || /^HTTP\/1\.1 (408|504) /.test(s.got), JSON.stringify(s.got.slice(0, 80)));
  assert.equal(f.publicBackend.requests.filter((r) => r.url === '/slow-body').length, 0, 'no complete request upstream');
  await assertHealthy(f, 'after slow body');
});

test('connection cap: excess connections are refused at once, the admitted ones keep working, the admin port answers', async () => {
  const f = await startProcessFixture(['--max-connections', '20']);
  fixtures.push(f);
  const admitted: RawConnection[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const c = await RawConnection.connect({ port: f.gh.ports.http });
      await c.send(`GET /kept-${i} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      const r = await c.readResponse();
      assert.ok(r !== 'closed' && r.status === 200, `connection ${i} admitted`);
      admitted.push(c);
    }
    // Over the cap: closed without an answer.
    for (let i = 0; i < 50; i++) {
      const c = await RawConnection.connect({ port: f.gh.ports.http });
      await c.send(`GET /excess-${i} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      const r = await c.readResponse();
      assert.equal(r, 'closed', `excess connection ${i} must be refused`);
      c.destroy();
    }
    assert.equal(f.publicBackend.requests.filter((r) => r.url.startsWith('/excess-')).length, 0);
    // The admin listener is not capped.
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${f.gh.adminUrl}/healthz`)).status, 200);
    // The admitted connections still work.
    for (const [i, c] of admitted.entries()) {
      await c.send(`GET /again-${i} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      const r = await c.readResponse();
      assert.ok(r !== 'closed' && r.status === 200);
    }
  } finally {
    for (const c of admitted) c.destroy();
  }
  // Once they are gone, new connections are admitted again.
  await waitUntil(async () => (await probe(f)) === 200, 'a new connection to be admitted after the others closed', 10_000, 100);
  await assertHealthy(f, 'after the cap');
});
