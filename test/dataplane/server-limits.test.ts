// The listener limits a DataPlane sets on every server it serves, and the counters it exposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { httpServerOptions } from '../../src/dataplane/http/server-limits.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { startDataPlane, waitFor } from '../support/data-plane-fixture.ts';
import { rawExchange } from '../support/raw-http.ts';
import { routeTable } from '../support/route-tables.ts';

const limits = { maxHeaderSize: 8192, maxHeadersCount: 50, headersTimeoutMs: 7000, requestTimeoutMs: 90_000, keepAliveTimeoutMs: 12_000, connectionsCheckingIntervalMs: 500, maxConnections: 300 };

test('attach() sets explicit limits on HTTP/2 servers, never an insecure parser', () => {
  const dp = new DataPlane({ limits });
  for (const server of [createH2Server()]) {
    dp.attach(server, 'http');
    const s = server as unknown as Record<string, unknown>;
    assert.equal(s.maxHeaderSize, 8192);
    assert.equal(s.maxHeadersCount, 50);
    assert.equal(s.headersTimeout, 7000);
    assert.equal(s.requestTimeout, 90_000);
    assert.equal(s.keepAliveTimeout, 12_000);
    assert.equal(s.connectionsCheckingInterval, 500);
    assert.equal(s.maxRequestsPerSocket, 0);
    assert.equal(s.maxConnections, 300);
    assert.equal(s.insecureHTTPParser, false);
    assert.throws(() => dp.attach(server, 'http'), /already attached/);
  }
  const options = httpServerOptions(dp.options.limits);
  assert.equal(options.insecureHTTPParser, false);
  assert.equal(options.maxHeaderSize, 8192);
});

test('connection and request counters', async () => {
  const backend = await startEchoBackend({ address: '127.0.0.2' });
  const dp = new DataPlane();
  dp.apply(routeTable({ hosts: { 'c.test': { routes: [{ path: '/', backend: 'default/c:80' }] } }, backends: { 'default/c:80': [`127.0.0.2:${backend.port}`] } }));
  const { port } = await dp.listenHttp('127.0.0.1', 0);
  const agent = new Agent({ keepAlive: true, maxSockets: 3 });
  try {
    await Promise.all([1, 2, 3].map(() => httpRequest(port, { host: 'c.test', path: '/?echo-delay-ms=50', agent })));
    assert.equal(dp.connectionCount, 3);
    const stats = dp.stats();
    assert.equal(stats.requestsTotal, 3);
    assert.equal(stats.inFlightRequests, 0);
    assert.equal(stats.upstreamPools, 1);
    assert.equal(stats.tablesApplied, 1);
    agent.destroy();
    await waitFor(() => dp.connectionCount === 0, 5000, 'connections to close');
  } finally {
    agent.destroy();
    await dp.stop(1000);
    await backend.close();
  }
});

test('Node’s timeouts fire on time and the access log says which one: headers-timeout, request-timeout', async () => {
  const backend = await startEchoBackend({ address: '127.0.0.2' });
  const fx = await startDataPlane(
    routeTable({ hosts: { 't.test': { routes: [{ path: '/', backend: 'default/t:80' }] } }, backends: { 'default/t:80': [`127.0.0.2:${backend.port}`] } }),
    { limits: { headersTimeoutMs: 600, requestTimeoutMs: 900, connectionsCheckingIntervalMs: 100 } },
  );
  try {
    // A head that never completes.
    const slowHead = await rawExchange(fx.port, 'GET / HTTP/1.1\r\nHost: t.test\r\nX-Slow: ', { timeoutMs: 5000 });
    assert.match(slowHead.raw.toString('latin1'), /^HTTP\/1\.1 408 /);
    assert.ok(slowHead.closed);
    await waitFor(() => fx.accessLogs().some((l) => l.limit === 'headers-timeout'), 2000, 'headers-timeout line');
    assert.equal(fx.accessLogs().find((l) => l.limit === 'headers-timeout')?.status, 408);

    // A body that never completes: routed and forwarded, then cut by the request timeout.
    const slowBody = await rawExchange(fx.port, 'POST /upload HTTP/1.1\r\nHost: t.test\r\nContent-Length: 100\r\n\r\nonly-some', { timeoutMs: 5000 });
    assert.match(slowBody.raw.toString('latin1'), /^HTTP\/1\.1 408 /);
    await waitFor(() => fx.accessLogs().some((l) => l.path === '/upload'), 2000, 'the exchange’s line');
    const line = fx.accessLogs().find((l) => l.path === '/upload')!;
    assert.equal(line.limit, 'request-timeout');
    assert.equal(line.status, 408);
  } finally {
    await fx.stop();
    await backend.close();
  }
});
