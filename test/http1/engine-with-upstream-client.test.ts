// The two new pieces composed as a streaming proxy, the shape the wired data plane will take: the
// engine's exchange on the client side, the upstream client on the backend side, one per-attempt
// object listening to both (no closures per request). Bodies stream both ways with back-pressure:
// a 16 MiB chunked upload reaches the backend byte for byte, a 16 MiB download reaches a client
// that stops reading for a while, and upstream connections are reused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Http1Engine } from '../../src/dataplane/http1/http1-engine.ts';
import type { ExchangeListener, Http1Exchange } from '../../src/dataplane/http1/http1-exchange.ts';
import { UpstreamPool } from '../../src/dataplane/upstream/upstream-pool.ts';
import type { UpstreamCall, UpstreamHandler } from '../../src/dataplane/upstream/upstream-connection.ts';
import type { ResponseHead } from '../../src/dataplane/upstream/response-head-parser.ts';
import type { UpstreamError } from '../../src/dataplane/upstream/upstream-error.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';

/** One proxied request: the exchange's listener and the upstream call's handler. */
class Attempt implements ExchangeListener, UpstreamHandler {
  readonly ex: Http1Exchange;
  readonly call: UpstreamCall;
  constructor(ex: Http1Exchange, pool: UpstreamPool) {
    this.ex = ex;
    ex.listener = this;
    const h = ex.head;
    const headers: string[] = ['host', h.host ?? ''];
    for (let i = 0; i < h.rawHeaders.length; i += 2) {
      const n = h.rawHeaders[i]!.toLowerCase();
      if (n === 'content-type') headers.push('content-type', h.rawHeaders[i + 1]!);
    }
    this.call = pool.request({ method: h.method, path: h.target, headers, contentLength: ex.hasBody ? -1 : 0 }, this);
    if (ex.hasBody) ex.readBody();
  }
  // client → backend
  onBodyData(_ex: Http1Exchange, chunk: Buffer): boolean {
    return this.call.write(chunk);
  }
  onBodyEnd(): void {
    this.call.end();
  }
  onRequestWritable(): void {
    this.ex.resumeBody();
  }
  // backend → client
  onResponseStart(_c: UpstreamCall, head: ResponseHead): void {
    this.ex.writeHead(head.status, ['content-type', 'application/octet-stream'], head.chunked || head.toClose ? -1 : head.contentLength);
  }
  onResponseData(_c: UpstreamCall, chunk: Buffer): boolean {
    return this.ex.write(chunk);
  }
  onWritable(): void {
    this.call.resume();
  }
  onResponseEnd(): void {
    this.ex.end();
  }
  onResponseError(_c: UpstreamCall, err: UpstreamError): void {
    if (!this.ex.headersSent) this.ex.respond(err.status, [], `${err.status}\n`);
    else this.ex.destroy(err.code);
  }
  onAbort(): void {
    this.call.abort();
  }
}

let backend: EchoBackend;
let pool: UpstreamPool;
let engine: Http1Engine;
let server: Server;
let port = 0;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

before(async () => {
  backend = await startEchoBackend({ address: '127.0.0.2' });
  pool = new UpstreamPool('127.0.0.2', backend.port, {});
  engine = new Http1Engine({
    onRequest(ex) {
      new Attempt(ex, pool);
    },
  });
  server = createServer((s) => engine.serve(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  agent.destroy();
  engine.close();
  pool.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => backend.server.close(() => resolve()));
});

function get(path: string, pauseMs = 0): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { host: 'app.example' } }, (res) => {
      let bytes = 0;
      let paused = false;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        if (pauseMs > 0 && !paused && bytes > 1024 * 1024) {
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('a 16 MiB chunked upload streams through engine and upstream client, byte for byte', async () => {
  const size = 16 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024);
  const hash = createHash('sha256');
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/upload', method: 'POST', agent, headers: { host: 'app.example', 'content-type': 'application/octet-stream' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        chunk.fill(sent % 251);
        hash.update(chunk);
        sent += chunk.length;
        if (!req.write(Buffer.from(chunk))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  const reply = JSON.parse(body) as { bodyBytes: number; bodySha256: string; method: string };
  assert.equal(reply.method, 'POST');
  assert.equal(reply.bodyBytes, size);
  assert.equal(reply.bodySha256, hash.digest('hex'));
});

test('a 16 MiB download (length and chunked) reaches a client that stops reading for a while', async () => {
  const size = 16 * 1024 * 1024;
  for (const path of [`/d?echo-bytes=${size}`, `/d?echo-bytes=${size}&echo-chunked=1`]) {
    const r = await get(path, 300);
    assert.equal(r.status, 200);
    assert.equal(r.bytes, size, path);
  }
});

test('upstream connections are reused across client requests', async () => {
  const before = backend.connectionsAccepted();
  for (let i = 0; i < 5; i++) assert.equal((await get(`/r${i}`)).status, 200);
  assert.ok(backend.connectionsAccepted() - before <= 1, `${backend.connectionsAccepted() - before} new upstream connections for 5 sequential requests`);
});
