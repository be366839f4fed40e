// Pins what Node's strict parser (llhttp, as shipped in the pinned Node 24) does with each framing
// case, on a bare http.Server configured exactly as the data plane configures its listeners:
//   - cases marked by: 'node' never reach a request handler (or, with bodyError, fail on the body
//     after the head was accepted), and raise the llhttp error code recorded in the table;
//   - cases marked by: 'gatehouse' DO reach the handler: Node accepts them, so Gatehouse's own
//     checks are what refuse them (tested through the proxy in request-framing.test.ts).
// If a Node upgrade changes any of this, this test says exactly which case moved.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyServerLimits, httpServerOptions } from '../../src/dataplane/http/server-limits.ts';
import { DEFAULT_LIMITS } from '../../src/dataplane/data-plane-options.ts';
import { assertStrictParser, currentParserEnvironment } from '../../src/dataplane/http/assert-strict-parser.ts';
import { rawExchange } from '../support/raw-http.ts';
import { FRAMING_CASES } from './framing-cases.ts';

let server: http.Server;
let port = 0;
let reached: string[] = [];
let codes: string[] = [];

before(async () => {
  const options = httpServerOptions(DEFAULT_LIMITS);
  assertStrictParser(currentParserEnvironment(), options);
  server = http.createServer(options, (req, res) => {
    reached.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('error', () => {});
    res.end('reached');
  });
  applyServerLimits(server, DEFAULT_LIMITS);
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    codes.push(err.code ?? 'none');
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('Node is running without any lenient-parser flag', () => {
  assert.ok(!process.execArgv.some((a) => a.startsWith('--insecure-http-parser')));
  assert.equal(typeof http.maxHeaderSize, 'number');
});

for (const c of FRAMING_CASES) {
  test(`llhttp pin [${c.cls}] ${c.name}: ${c.by === 'node' ? (c.nodeCode ?? '') : 'accepted by Node, refused by Gatehouse'}`, async () => {
    reached = [];
    codes = [];
    const result = await rawExchange(port, c.bytes, { timeoutMs: 2000, until: () => reached.length > 0 && c.by === 'gatehouse' });
    if (c.by === 'gatehouse') {
      assert.ok(reached.length >= 1, `Node refused it before the handler (${codes.join(',')}): it could be marked by: 'node'`);
      return;
    }
    assert.ok(result.closed, 'the connection must end');
    if (c.bodyError) assert.equal(reached.length, 1, 'the head is accepted, the body fails');
    else assert.deepEqual(reached, [], 'Node must refuse this before any handler runs');
    assert.deepEqual(codes, [c.nodeCode]);
  });
}

test('llhttp pin: the parser stops at the first error, later bytes are never parsed', async () => {
  reached = [];
  codes = [];
  await rawExchange(port, `GET /a HTTP/1.1\r\nHost: h\r\nX: a\x00\r\n\r\nGET /never HTTP/1.1\r\nHost: h\r\n\r\n`, { timeoutMs: 2000 });
  assert.deepEqual(reached, []);
  assert.deepEqual(codes, ['HPE_INVALID_HEADER_TOKEN']);
});

test('llhttp pin: bytes after a request that asked to close raise HPE_CLOSED_CONNECTION', async () => {
  reached = [];
  codes = [];
  await rawExchange(port, `GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: h\r\n\r\n`, { timeoutMs: 2000 });
  assert.deepEqual(reached, ['GET /a']);
  assert.deepEqual(codes, ['HPE_CLOSED_CONNECTION']);
});

test('llhttp pin: obs-text (0x80-0xFF) in a header value is accepted', async () => {
  reached = [];
  codes = [];
  const r = await rawExchange(port, `GET /a HTTP/1.1\r\nHost: h\r\nX: caf\xe9\r\nConnection: close\r\n\r\n`, { timeoutMs: 2000 });
  assert.deepEqual(reached, ['GET /a']);
  assert.match(r.raw.toString('latin1'), /^HTTP\/1\.1 200 /);
});

test('llhttp pin: several spaces between request-line parts are accepted (we regenerate the line upstream)', async () => {
  reached = [];
  codes = [];
  await rawExchange(port, `GET  /a  HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`, { timeoutMs: 2000 });
  assert.deepEqual(reached, ['GET /a']);
});

test('llhttp pin: one empty line before the request line is tolerated (RFC 9112 §2.2)', async () => {
  reached = [];
  codes = [];
  await rawExchange(port, `\r\nGET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`, { timeoutMs: 2000 });
  assert.deepEqual(reached, ['GET /a']);
});

test('llhttp pin: more header fields than maxHeadersCount are refused with HPE_HEADER_OVERFLOW, never truncated', async () => {
  reached = [];
  codes = [];
  let head = 'GET /a HTTP/1.1\r\nHost: h\r\n';
  for (let i = 0; i < DEFAULT_LIMITS.maxHeadersCount; i++) head += `X-${i}: 1\r\n`;
  await rawExchange(port, head + '\r\n', { timeoutMs: 2000 });
  assert.deepEqual(reached, []);
  assert.deepEqual(codes, ['HPE_HEADER_OVERFLOW']);
});

test('llhttp pin: a head above maxHeaderSize is refused with HPE_HEADER_OVERFLOW', async () => {
  reached = [];
  codes = [];
  await rawExchange(port, `GET /a HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(DEFAULT_LIMITS.maxHeaderSize)}\r\n\r\n`, { timeoutMs: 2000 });
  assert.deepEqual(reached, []);
  assert.deepEqual(codes, ['HPE_HEADER_OVERFLOW']);
});

test('Node pin: requireHostHeader answers 400 yet still hands the next pipelined request to the handler (why it is off)', async () => {
  const seen: string[] = [];
  const strict = http.createServer({ requireHostHeader: true }, (req, res) => {
    seen.push(req.url ?? '');
    res.end('reached');
  });
  await new Promise<void>((resolve) => strict.listen(0, '127.0.0.1', resolve));
  try {
    const p = (strict.address() as AddressInfo).port;
    const r = await rawExchange(p, `GET /no-host HTTP/1.1\r\n\r\nGET /behind HTTP/1.1\r\nHost: h\r\n\r\n`, { timeoutMs: 2000 });
    assert.match(r.raw.toString('latin1'), /^HTTP\/1\.1 400 /);
    assert.deepEqual(seen, ['/behind'], 'the request behind the rejected one reaches the handler');
  } finally {
    strict.close();
  }
  assert.equal(httpServerOptions(DEFAULT_LIMITS).requireHostHeader, false, 'the data plane leaves the Host check to checkRequestHead');
});
