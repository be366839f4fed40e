// The flow over the engine's own upstream client (plain HTTP/1.1 backends): what it must carry as
// undici did. A chunked response's trailers reach HTTP/1.1 and HTTP/2 clients; a request body of
// known length goes upstream with that Content-Length, streamed; a chunked request body stays
// chunked; a route's read timeout fires after the head as a body timeout (504 before the head).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { request as httpRequestRaw } from 'node:http';
import { createLogger } from '../../src/observability/logger.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { listenOnEveryTransport, type TransportListeners } from '../support/data-plane-fixture.ts';
import { startRawBackend, type RawBackend } from '../support/raw-backend.ts';
import { h2Get } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';

let backend: RawBackend;
let dataPlane: DataPlane;
let listeners: TransportListeners;
const logs: Record<string, unknown>[] = [];

before(async () => {
  backend = await startRawBackend((head) => {
    if (head.startsWith('GET /trailers ')) {
      return { bytes: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc123\r\n\r\n' };
    }
    if (head.startsWith('GET /two-types ')) {
      return { bytes: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' };
    }
    if (head.startsWith('GET /stall-body ')) return { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello' };
    if (head.startsWith('GET /stall-head ')) return { bytes: '' };
    // The raw backend skips Content-Length bodies only: after a chunked one the connection is closed.
    const close = /\r\ntransfer-encoding: chunked/i.test(head);
    return { bytes: `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(head)}\r\n\r\n${head}`, close };
  }, '127.0.0.2');
  const table = routeTable({
    hosts: {
      'h1.test': { routes: [{ path: '/', backend: 'default/raw:80' }] },
      'slow.test': { routes: [{ path: '/', backend: 'default/raw:80', policy: 'default/slow' }] },
    },
    backends: { 'default/raw:80': [`127.0.0.2:${backend.port}`] },
    policies: { 'default/slow': { readTimeoutMs: 300 } },
  });
  const logger = createLogger({ level: 'debug', write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  dataPlane = new DataPlane({ logger });
  dataPlane.apply(table);
  listeners = await listenOnEveryTransport(dataPlane, table, logger);
});

after(async () => {
  await listeners.close();
  await backend.close();
});

function get(path: string, host: string, headers: Record<string, string> = {}, body?: string | Buffer[]): Promise<{ status: number; body: string; trailers: NodeJS.Dict<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequestRaw({ host: '127.0.0.1', port: listeners.http, path, method: body === undefined ? 'GET' : 'POST', headers: { host, ...headers }, agent: false });
    req.setTimeout(20_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), trailers: res.trailers }));
    });
    if (Array.isArray(body)) {
      for (const b of body) req.write(b);
      req.end();
    } else {
      req.end(body);
    }
  });
}

test('an HTTP/1.1 backend\'s chunked trailers reach an HTTP/1.1 client', async () => {
  const r = await get('/trailers', 'h1.test', { te: 'trailers' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'hello');
  assert.equal(r.trailers['x-checksum'], 'abc123');
});

test('an HTTP/1.1 backend\'s chunked trailers reach an HTTP/2 client', async () => {
  const session = h2connect(`http://127.0.0.1:${listeners.h2c}`);
  try {
    const r = await h2Get(session, { ':path': '/trailers', ':authority': 'h1.test', te: 'trailers' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello');
    assert.equal(r.trailers['x-checksum'], 'abc123');
  } finally {
    session.close();
  }
});

test('a body of known length goes upstream with that Content-Length; a chunked one stays chunked', async () => {
  const sized = await get('/sized', 'h1.test', { 'content-length': '11' }, 'hello world');
  assert.equal(sized.status, 200);
  assert.match(sized.body, /\r\ncontent-length: 11(\r\n|$)/i);
  assert.doesNotMatch(sized.body, /transfer-encoding/i);
  const chunked = await get('/chunked', 'h1.test', {}, [Buffer.from('hello '), Buffer.from('world')]);
  assert.equal(chunked.status, 200);
  assert.match(chunked.body, /\r\ntransfer-encoding: chunked(\r\n|$)/i);
  assert.doesNotMatch(chunked.body, /content-length/i);
  assert.equal((await get('/after', 'h1.test')).status, 200);
});

test('the route\'s read timeout: 504 before the head, a cut body after it (logged as read-timeout)', async () => {
  const before = await get('/stall-head', 'slow.test');
  assert.equal(before.status, 504);
  await assert.rejects(get('/stall-body', 'slow.test'), /aborted|socket hang up|ECONNRESET/);
  const lines = logs.filter((l) => l.msg === 'access' && l.host === 'slow.test');
  assert.equal(lines.length, 2);
  assert.deepEqual(lines.map((l) => l.limit), ['read-timeout', 'read-timeout']);
  assert.equal(lines[1]!.aborted, true);
});

test('a head an HTTP/2 client cannot take (two Content-Types), its chunked body in the same read: 502, and the plane serves on', async () => {
  const session = h2connect(`http://127.0.0.1:${listeners.h2c}`);
  try {
    const refused = await h2Get(session, { ':path': '/two-types', ':authority': 'h1.test' });
    assert.equal(refused.status, 502);
    const next = await h2Get(session, { ':path': '/after-two-types', ':authority': 'h1.test' });
    assert.equal(next.status, 200);
  } finally {
    session.close();
  }
});
