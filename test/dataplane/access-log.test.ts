// The access log as written, through a real data plane: nginx's combined format byte for byte
// (what GoAccess and friends parse), nginx's escaping of what clients send, the JSON record, and
// the bytes of the bodies Gatehouse writes itself (404/503) counted in bytesOut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createAccessLog, type AccessLogFormat } from '../../src/dataplane/http/access-log.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import { startDataPlane, waitFor } from '../support/data-plane-fixture.ts';
import { oneResponse, rawExchange } from '../support/raw-http.ts';
import { routeTable } from '../support/route-tables.ts';

const sh = promisify(execFile);
// 2026-12-07T16:48:22.250Z: every line of a test carries this instant.
const NOW = Date.UTC(2026, 11, 7, 16, 48, 22, 250);

async function plane(format: AccessLogFormat, backends: Record<string, string[]> = {}, hosts = {}) {
  const lines: string[] = [];
  const accessLog = createAccessLog({ format, write: (l) => void lines.push(l), now: () => NOW });
  const fx = await startDataPlane(routeTable({ hosts, backends }), { accessLog });
  return { fx, lines };
}

test("combined: nginx's format byte for byte, for a request curl makes; Gatehouse's own 404 body counted", async (t) => {
  const { fx, lines } = await plane('combined');
  t.after(() => fx.stop());
  const out = await sh('curl', ['--silent', '--max-time', '10', '-A', 'curl-test/1.0', '-e', 'https://ref.example/from?q=1', '-H', 'Host: nobody.example.com', `http://127.0.0.1:${fx.port}/missing/page?token=secret`]);
  assert.equal(out.stdout, '404 Not Found\n');
  await waitFor(() => lines.length === 1, 5000, 'the access line');
  assert.equal(lines[0], '127.0.0.1 - - [07/Dec/2026:16:48:22 +0000] "GET /missing/page HTTP/1.1" 404 14 "https://ref.example/from?q=1" "curl-test/1.0"\n');
});

test('combined: quotes, backslashes, control and non-ASCII bytes are escaped as \\xHH, as nginx does; absent headers are "-"', async (t) => {
  const { fx, lines } = await plane('combined');
  t.after(() => fx.stop());
  const head = Buffer.concat([
    Buffer.from('HEAD /x HTTP/1.1\r\nHost: a.example.com\r\nUser-Agent: say "hi" \\ to\tcaf'),
    Buffer.from([0xe9]),
    Buffer.from('\r\nConnection: close\r\n\r\n'),
  ]);
  await rawExchange(fx.port, head, { until: oneResponse(true) });
  await waitFor(() => lines.length === 1, 5000, 'the access line');
  // HEAD: no body went out, so 0 bytes.
  assert.equal(lines[0], '127.0.0.1 - - [07/Dec/2026:16:48:22 +0000] "HEAD /x HTTP/1.1" 404 0 "-" "say \\x22hi\\x22 \\x5C to\\x09caf\\xE9"\n');
});

test('combined: a request refused before it was read logs "-" as its request', async (t) => {
  const { fx, lines } = await plane('combined');
  t.after(() => fx.stop());
  await rawExchange(fx.port, 'GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n');
  await waitFor(() => lines.length === 1, 5000, 'the access line');
  assert.equal(lines[0], '127.0.0.1 - - [07/Dec/2026:16:48:22 +0000] "-" 400 0 "-" "-"\n');
});

test('json: the application log frame with "msg":"access" and the request fields; a 503 body counted', async (t) => {
  const backend = await startEchoBackend({ address: '127.0.0.2' });
  t.after(() => backend.close());
  const { fx, lines } = await plane('json', { 'default/web:80': [`127.0.0.2:${backend.port}`], 'default/empty:80': [] }, {
    'web.example.com': { routes: [{ path: '/', backend: 'default/web:80' }, { path: '/empty', backend: 'default/empty:80' }] },
  });
  t.after(() => fx.stop());
  await sh('curl', ['--silent', '--max-time', '10', '-A', 'ua', '-H', 'Host: web.example.com', `http://127.0.0.1:${fx.port}/hello?x=1`]);
  await sh('curl', ['--silent', '--max-time', '10', '-H', 'Host: web.example.com', `http://127.0.0.1:${fx.port}/empty`]);
  await waitFor(() => lines.length === 2, 5000, 'two access lines');
  for (const line of lines) assert.ok(line.startsWith('{"time":"2026-12-07T16:48:22.250Z","level":"info","msg":"access","service":"gatehouse","method":"GET",'), line);
  const [ok, empty] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(ok!.path, '/hello');
  assert.equal(ok!.status, 200);
  assert.equal(ok!.upstream, `127.0.0.2:${backend.port}`);
  assert.equal(ok!.userAgent, 'ua');
  assert.equal(ok!.protocol, 'HTTP/1.1');
  assert.ok((ok!.bytesOut as number) > 0);
  assert.equal(empty!.status, 503);
  assert.equal(empty!.bytesOut, '503 Service Unavailable\n'.length);
});

test("an Upgrade (WebSocket) refused by Gatehouse itself counts its 404 body too", async (t) => {
  const { fx, lines } = await plane('json');
  t.after(() => fx.stop());
  const upgrade = 'GET /chat HTTP/1.1\r\nHost: nobody.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
  const r = await rawExchange(fx.port, upgrade);
  assert.match(r.raw.toString('latin1'), /^HTTP\/1\.1 404 /);
  await waitFor(() => lines.length === 1, 5000, 'the access line');
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual([line.status, line.bytesOut, line.upgrade, line.path], [404, 14, true, '/chat']);
});
