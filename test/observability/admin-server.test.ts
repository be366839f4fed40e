// The admin listener over real sockets, and the metrics text it serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { createAdminServer } from '../../src/observability/admin-server.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { createGatehouseMetrics } from '../../src/observability/gatehouse-metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { emptyRouteTable, type RouteTable } from '../../src/core/route-table.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('probes, debug views and metrics', async (t) => {
  let reason: string | undefined = 'loading manifests';
  let table: RouteTable | undefined;
  const diagnostics: Diagnostic[] = [
    { code: 'BackendServiceNotFound', severity: 'error', object: { kind: 'Ingress', namespace: 'default', name: 'a' }, field: 'spec.rules[0]', message: 'no Service' },
  ];
  const metrics = createGatehouseMetrics();
  const server = createAdminServer({
    metrics: metrics.registry,
    logger: silentLogger,
    state: { notReadyReason: () => reason, table: () => table, diagnostics: () => diagnostics },
    debug: { traffic: () => ({ ejectedEndpoints: 2 }) },
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;

  assert.equal((await get(port, '/healthz')).status, 200);
  const notReady = await get(port, '/readyz');
  assert.equal(notReady.status, 503);
  assert.equal(notReady.body, 'not ready: loading manifests\n');
  assert.deepEqual(JSON.parse((await get(port, '/debug/routes')).body), { applied: false });

  table = emptyRouteTable();
  table.certificates['default/tls'] = { id: 'default/tls', certPem: '-----BEGIN CERTIFICATE-----', keyPem: '-----BEGIN PRIVATE KEY-----secret', fingerprint: 'ab', dnsNames: ['a.example.com'] };
  reason = undefined;
  assert.equal((await get(port, '/readyz')).status, 200);
  const routes = await get(port, '/debug/routes');
  assert.equal(routes.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(routes.headers['cache-control'], 'no-store');
  assert.ok(!routes.body.includes('secret'), 'key material is redacted');
  assert.equal(JSON.parse(routes.body).table.certificates['default/tls'].keyPem, '<redacted>');
  const diag = JSON.parse((await get(port, '/debug/diagnostics')).body);
  assert.deepEqual(diag.counts, { error: 1, warning: 0, info: 0 });
  assert.equal(diag.diagnostics[0].code, 'BackendServiceNotFound');

  metrics.diagnostics.set({ code: 'BackendServiceNotFound', severity: 'error' }, 2);
  metrics.builds.inc();
  const text = (await get(port, '/metrics')).body;
  assert.match(text, /^# HELP gatehouse_builds_total /m);
  assert.match(text, /^# TYPE gatehouse_builds_total counter$/m);
  assert.match(text, /^gatehouse_builds_total 1$/m);
  assert.match(text, /^gatehouse_diagnostics\{code="BackendServiceNotFound",severity="error"\} 2$/m);
  assert.match(text, /^# TYPE gatehouse_ready gauge$/m);

  reason = 'shutting down';
  assert.equal((await get(port, '/readyz')).status, 503);
  assert.equal((await get(port, '/healthz', 'POST')).status, 405);
  assert.equal((await get(port, '/nope')).status, 404);
  assert.deepEqual(JSON.parse((await get(port, '/debug/traffic')).body), { ejectedEndpoints: 2 });
  assert.equal((await get(port, '/debug/constructor')).status, 404);
  assert.equal((await get(port, '/debug/')).status, 404);
  const head = await get(port, '/healthz', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('metrics registry: labels escaped, series sorted, counters never go down, names checked', () => {
  const r = createMetricsRegistry();
  const c = r.counter({ name: 'x_total', help: 'with\nnewline', labelNames: ['code'] });
  c.inc({ code: 'b' });
  c.inc({ code: 'a"\\\n' }, 2);
  c.inc({ code: 'b' }, -5);
  const g = r.gauge({ name: 'g', help: 'a gauge' });
  g.set(undefined, 1.5);
  assert.equal(
    r.render(),
    ['# HELP x_total with\\nnewline', '# TYPE x_total counter', 'x_total{code="a\\"\\\\\\n"} 2', 'x_total{code="b"} 1', '# HELP g a gauge', '# TYPE g gauge', 'g 1.5', ''].join('\n'),
  );
  assert.throws(() => r.counter({ name: 'bad name', help: '' }));
  assert.throws(() => r.counter({ name: 'x_total', help: '' }), /twice/);
  assert.throws(() => r.gauge({ name: 'ok', help: '', labelNames: ['bad-label'] }));
  let live = 0;
  const collected = r.gauge({ name: 'live', help: 'read at scrape time' });
  r.onCollect(() => collected.set(undefined, ++live));
  r.onCollect(() => {
    throw new Error('a broken collector does not break the scrape');
  });
  assert.match(r.render(), /^live 1$/m);
  assert.match(r.render(), /^live 2$/m);
  const d = r.gauge({ name: 'd', help: 'resettable', labelNames: ['k'] });
  d.inc({ k: 'one' });
  d.reset();
  assert.ok(!r.render().includes('d{'));
});

test('metrics registry: histograms and scrape-time families render cumulative buckets, sums and counts, sorted', () => {
  const r = createMetricsRegistry();
  const h = r.histogram({ name: 'h_seconds', help: 'a histogram', labelNames: ['kind'], buckets: [0.1, 1] });
  h.observe({ kind: 'b' }, 0.05);
  h.observe({ kind: 'b' }, 0.5);
  h.observe({ kind: 'b' }, 7);
  h.observe({ kind: 'a' }, 1);
  h.observe({ kind: 'a' }, Number.NaN); // ignored
  r.collected({
    type: 'histogram',
    name: 'c_seconds',
    help: 'collected',
    labelNames: ['route'],
    buckets: [0.5],
    // [count, sum, bucket 0]: 3 observations, one of them ≤ 0.5.
    samples: () => [{ labels: ['z'], cells: new Float64Array([3, 2.25, 1]) }],
  });
  r.collected({ type: 'counter', name: 'n_total', help: 'collected counter', labelNames: ['k'], samples: () => [{ labels: ['y'], value: 2 }, { labels: ['x'], value: 1 }] });
  assert.equal(
    r.render(),
    [
      '# HELP h_seconds a histogram',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{kind="a",le="0.1"} 0',
      'h_seconds_bucket{kind="a",le="1"} 1',
      'h_seconds_bucket{kind="a",le="+Inf"} 1',
      'h_seconds_sum{kind="a"} 1',
      'h_seconds_count{kind="a"} 1',
      'h_seconds_bucket{kind="b",le="0.1"} 1',
      'h_seconds_bucket{kind="b",le="1"} 2',
      'h_seconds_bucket{kind="b",le="+Inf"} 3',
      'h_seconds_sum{kind="b"} 7.55',
      'h_seconds_count{kind="b"} 3',
      '# HELP c_seconds collected',
      '# TYPE c_seconds histogram',
      'c_seconds_bucket{route="z",le="0.5"} 1',
      'c_seconds_bucket{route="z",le="+Inf"} 3',
      'c_seconds_sum{route="z"} 2.25',
      'c_seconds_count{route="z"} 3',
      '# HELP n_total collected counter',
      '# TYPE n_total counter',
      'n_total{k="x"} 1',
      'n_total{k="y"} 2',
      '',
    ].join('\n'),
  );
  assert.throws(() => r.histogram({ name: 'bad_buckets', help: '', buckets: [1, 0.5] }), /ascending/);
  assert.throws(() => r.histogram({ name: 'le_label', help: '', labelNames: ['le'], buckets: [1] }), /label/);
  assert.throws(() => r.collected({ type: 'gauge', name: 'n_total', help: '', samples: () => [] }), /twice/);
});
