// GET /metrics on the built CLI after real requests through the proxy: request counts by route
// labels (host from the route table), duration histograms, bytes, upstream errors by kind, a retry,
// an ejection, affinity hits, the expiry of a real TLS Secret, build, process and runtime metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect as connectHttp2 } from 'node:http2';
import { closedPort } from '../support/data-plane-fixture.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import { connectWebSocket } from '../support/websocket.ts';
import { waitFor } from '../support/spawn-gatehouse.ts';
import { parseExposition, sampleValue, type ParsedSample } from './metrics-exposition.ts';
import { ingress, startObservedGatehouse } from './observed-gatehouse.ts';

test('/metrics: per-route request series, histograms, bytes, upstream errors, retries, ejections, affinity, certificate expiry, process', async (t) => {
  const a = await startEchoBackend({ address: '127.0.0.2', name: 'a' });
  const b = await startEchoBackend({ address: '127.0.0.3', name: 'b' });
  t.after(() => Promise.all([a.close(), b.close()]));
  const down = await closedPort();
  const flakyDown = await closedPort();
  const ca = makeCa();
  t.after(() => ca.dispose());
  const leaf = makeLeaf(ca, { names: ['secure.example.com'], days: 45 });
  const w = await startObservedGatehouse(t, {
    services: {
      'shop/svc-a': { endpoints: [`127.0.0.2:${a.port}`] },
      'shop/svc-down': { endpoints: [`127.0.0.1:${down}`] },
      'shop/svc-flaky': { endpoints: [`127.0.0.1:${flakyDown}`, `127.0.0.3:${b.port}`] },
      'shop/svc-sticky': { endpoints: [`127.0.0.3:${b.port}`] },
    },
    objects: [
      ingress(
        'shop',
        'web',
        {
          'a.example.com': { '/x': 'svc-a' },
          '*.wild.example.com': { '/': 'svc-a' },
          'down.example.com': { '/': 'svc-down' },
          'flaky.example.com': { '/': 'svc-flaky' },
          'secure.example.com': { '/': 'svc-a' },
        },
        { tls: [{ hosts: ['secure.example.com'], secretName: 'secure-tls' }] },
      ),
      ingress('shop', 'sticky', { 'sticky.example.com': { '/': 'svc-sticky' } }, { annotations: { 'gatehouse.dev/affinity': 'cookie' } }),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'secure-tls', namespace: 'shop' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': Buffer.from(leaf.chainPem).toString('base64'), 'tls.key': Buffer.from(leaf.keyPem).toString('base64') },
      },
    ],
  });

  let responseBytesA = 0;
  const toA = async (host: string, path: string, options: { method?: string; body?: string } = {}): Promise<number> => {
    const r = await w.request(host, path, options);
    responseBytesA += r.body.length;
    return r.status;
  };
  for (let i = 0; i < 3; i++) assert.equal(await toA('a.example.com', '/x'), 200);
  assert.equal(await toA('a.example.com', '/x?echo-status=201', { method: 'POST', body: 'p'.repeat(1000) }), 201);
  assert.equal(await toA('a.example.com', '/x', { method: 'HEAD' }), 200);
  assert.equal(await toA('a.example.com', '/x', { method: 'PURGE' }), 200);
  assert.equal(await toA('a.example.com', '/x?echo-bytes=5000'), 200);
  assert.equal(await toA('x.wild.example.com', '/'), 200);
  // A WebSocket upgrade is counted when its tunnel opens (101).
  const ws = await connectWebSocket(w.gh.ports.http, { host: 'a.example.com', path: '/x/ws' });
  assert.equal(ws.status, 101);
  ws.close();
  // HTTP/2 over TLS to the Secret's host: the same exchange, the same series.
  const h2 = connectHttp2(`https://127.0.0.1:${w.gh.ports.https}`, { servername: 'secure.example.com', ca: ca.certPem });
  t.after(() => h2.close());
  const h2Status = await new Promise<number>((resolve, reject) => {
    const req = h2.request({ ':authority': 'secure.example.com', ':path': '/' });
    let status = 0;
    req.on('response', (headers) => (status = Number(headers[':status'])));
    req.on('data', (c: Buffer) => (responseBytesA += c.length));
    req.on('end', () => resolve(status));
    req.on('error', reject);
    req.end();
  });
  assert.equal(h2Status, 200);
  assert.equal((await w.request('nowhere.example.com', '/')).status, 404);
  // Five connection failures in a row: a connect error each, and passive health ejects the endpoint.
  for (let i = 0; i < 5; i++) assert.equal((await w.request('down.example.com', '/')).status, 502);
  // Round robin over a dead and a live endpoint: the requests that start on the dead one are retried.
  for (let i = 0; i < 4; i++) assert.equal((await w.request('flaky.example.com', '/')).status, 200);
  const first = await w.request('sticky.example.com', '/');
  const cookie = String(first.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  assert.match(cookie, /=/, 'an affinity cookie is set');
  for (let i = 0; i < 2; i++) assert.equal((await w.request('sticky.example.com', '/', { headers: { cookie } })).status, 200);

  const web = { namespace: 'shop', ingress: 'web' };
  const svcA = 'shop/svc-a:http';
  const route = (host: string, service: string, method: string, statusClass: string): Record<string, string> => ({ ...web, host, service, method, status_class: statusClass });
  let samples: ParsedSample[] = [];
  let text = '';
  // Requests are counted when their exchange ends, just after the client has the response.
  await waitFor('every request counted', async () => {
    text = (await w.admin('/metrics')).body.toString('utf8');
    samples = parseExposition(text);
    const total = samples.filter((s) => s.name === 'gatehouse_http_requests_total').reduce((n, s) => n + s.value, 0);
    return total === 3 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 5 + 4 + 3;
  });
  const value = (name: string, labels: Record<string, string>): number => sampleValue(samples, name, labels);

  // Counts by route labels, method class and status class; the host is the route table's.
  assert.equal(value('gatehouse_http_requests_total', route('a.example.com', svcA, 'GET', '2xx')), 4);
  assert.equal(value('gatehouse_http_requests_total', route('a.example.com', svcA, 'POST', '2xx')), 1);
  assert.equal(value('gatehouse_http_requests_total', route('a.example.com', svcA, 'HEAD', '2xx')), 1);
  assert.equal(value('gatehouse_http_requests_total', route('a.example.com', svcA, 'other', '2xx')), 1);
  assert.equal(value('gatehouse_http_requests_total', route('*.wild.example.com', svcA, 'GET', '2xx')), 1);
  assert.equal(value('gatehouse_http_requests_total', route('a.example.com', svcA, 'GET', '1xx')), 1, 'the upgrade');
  assert.equal(value('gatehouse_http_requests_total', route('secure.example.com', svcA, 'GET', '2xx')), 1, 'HTTP/2 over TLS');
  assert.equal(value('gatehouse_http_requests_total', route('down.example.com', 'shop/svc-down:http', 'GET', '5xx')), 5);
  assert.equal(value('gatehouse_http_requests_total', route('flaky.example.com', 'shop/svc-flaky:http', 'GET', '2xx')), 4);
  assert.equal(value('gatehouse_http_requests_total', { namespace: 'shop', ingress: 'sticky', host: 'sticky.example.com', service: 'shop/svc-sticky:http', method: 'GET', status_class: '2xx' }), 3);
  assert.equal(value('gatehouse_http_requests_total', { namespace: '', ingress: '', host: '', service: '', method: 'GET', status_class: '4xx' }), 1);
  assert.ok(!samples.some((s) => s.name === 'gatehouse_http_requests_total' && ('listener' in s.labels || s.labels['host'] === 'x.wild.example.com')));

  // The duration histogram: cumulative buckets ending at the count, a positive sum.
  const getA = route('a.example.com', svcA, 'GET', '2xx');
  const buckets = samples.filter((s) => s.name === 'gatehouse_http_request_duration_seconds_bucket' && Object.entries(getA).every(([k, v]) => s.labels[k] === v));
  assert.equal(buckets.length, 16);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative');
  assert.equal(buckets.at(-1)!.labels['le'], '+Inf');
  assert.equal(buckets.at(-1)!.value, 4);
  assert.equal(value('gatehouse_http_request_duration_seconds_count', getA), 4);
  assert.ok(value('gatehouse_http_request_duration_seconds_sum', getA) > 0);
  assert.match(text, /^# TYPE gatehouse_http_request_duration_seconds histogram$/m);

  // Upstream time, bytes, errors and retries by Ingress and Service (hosts summed).
  const byA = { ...web, service: svcA };
  assert.equal(value('gatehouse_upstream_response_duration_seconds_count', byA), 10);
  assert.equal(value('gatehouse_upstream_response_duration_seconds_bucket', { ...byA, le: '+Inf' }), 10);
  assert.equal(value('gatehouse_http_request_bytes_total', byA), 1000);
  assert.equal(value('gatehouse_http_response_bytes_total', byA), responseBytesA);
  assert.ok(responseBytesA > 5000);
  const byDown = { ...web, service: 'shop/svc-down:http' };
  assert.equal(value('gatehouse_upstream_errors_total', { ...byDown, kind: 'connect' }), 5);
  assert.equal(value('gatehouse_upstream_errors_total', { ...byDown, kind: 'reset' }), 0);
  assert.equal(value('gatehouse_upstream_retries_total', byDown), 0, 'no other endpoint: nothing to retry on');
  const byFlaky = { ...web, service: 'shop/svc-flaky:http' };
  const retries = value('gatehouse_upstream_retries_total', byFlaky);
  assert.ok(retries >= 1, `retries ${retries}`);
  assert.equal(value('gatehouse_upstream_errors_total', { ...byFlaky, kind: 'connect' }), retries, 'each retry follows one connect error');

  assert.equal(value('gatehouse_endpoint_ejections_total', { service: 'shop/svc-down:http' }), 1);
  assert.equal(value('gatehouse_affinity_hits_total', { service: 'shop/svc-sticky:http' }), 2);

  const notAfter = Math.floor(new X509Certificate(leaf.certPem).validToDate.getTime() / 1000);
  assert.equal(value('gatehouse_certificate_expiry_timestamp_seconds', { namespace: 'shop', secret: 'secure-tls' }), notAfter);

  assert.equal(value('gatehouse_build_info', { version: '0.1.0', nodejs_version: process.version }), 1);
  assert.ok(value('process_cpu_seconds_total', {}) > 0);
  assert.ok(value('process_resident_memory_bytes', {}) > 10_000_000);
  assert.ok(Math.abs(value('process_start_time_seconds', {}) - Date.now() / 1000) < 3600);
  assert.ok(value('nodejs_heap_used_bytes', {}) > 0);
  assert.ok(value('nodejs_heap_total_bytes', {}) >= value('nodejs_heap_used_bytes', {}));
  assert.ok(value('nodejs_heap_space_size_total_bytes', { space: 'new' }) > 0);
  assert.ok(value('nodejs_heap_space_size_total_bytes', { space: 'old' }) > 0);
  assert.ok(value('nodejs_external_memory_bytes', {}) > 0);
  assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  // Every family is declared once.
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  assert.equal(new Set(types).size, types.length);
});

test('--no-metrics: no per-request series and no live route numbers; process metrics stay', async (t) => {
  const a = await startEchoBackend({ address: '127.0.0.2', name: 'a' });
  t.after(() => a.close());
  const w = await startObservedGatehouse(t, {
    services: { 'shop/svc-a': { endpoints: [`127.0.0.2:${a.port}`] } },
    objects: [ingress('shop', 'web', { 'a.example.com': { '/x': 'svc-a' } })],
    args: ['--no-metrics'],
  });
  for (let i = 0; i < 3; i++) assert.equal((await w.request('a.example.com', '/x')).status, 200);
  // The access log line is written when the exchange ends, where it would have been counted.
  await w.gh.waitForLog((l) => l.msg === 'access' && w.gh.logs.filter((x) => x.msg === 'access').length === 3, 'three access lines');
  const text = (await w.admin('/metrics')).body.toString('utf8');
  assert.match(text, /^# TYPE gatehouse_http_requests_total counter$/m);
  assert.doesNotMatch(text, /^gatehouse_http_requests_total\{/m);
  assert.doesNotMatch(text, /^gatehouse_http_request_duration_seconds_bucket\{/m);
  assert.match(text, /^process_resident_memory_bytes \d+/m);
  const traffic = JSON.parse((await w.admin('/debug/traffic')).body.toString('utf8')) as { routes: { route: string; requests: number }[] };
  assert.deepEqual(traffic.routes.map((r) => [r.route, r.requests]), [['shop/web#r0.p0', 0]]);
});
