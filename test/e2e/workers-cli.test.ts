// `gatehouse serve --workers 2`, the built CLI as a user runs it: two data-plane threads accept on
// the same port and both get connections; /debug/workers shows each one's requests (never a
// response header); /metrics, /debug/dataplane and /debug/traffic add up both workers; the access
// log file gets every line whole from both; a session-affinity cookie issued by one worker is
// honoured by the other (one key for the process); a manifest change reaches both workers; SIGTERM
// drains requests in flight on both before the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest, json, type HttpResult } from '../support/http-client.ts';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';

interface WorkerRow {
  id: number;
  state: string;
  requestsTotal?: number;
  inFlightRequests?: number;
  tablesApplied?: number;
  generation: number;
}

function service(name: string, backends: EchoBackend[]): unknown[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } },
    ...backends.map((b, i) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-${i}`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: b.port }],
      endpoints: [{ addresses: [b.address], conditions: { ready: true } }],
    })),
  ];
}

function ingress(name: string, host: string, svc: string, annotations: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: svc, port: { name: 'http' } } } }] } }] },
  };
}

const write = (file: string, docs: unknown[]): void => writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));

test('--workers 2: one port, two threads, one table, one key, one log, one /metrics, one drain', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'));
  const backends = await Promise.all(['127.0.0.2', '127.0.0.3'].map((address) => startEchoBackend({ address, name: `pod-${address}` })));
  let g: StartedGatehouse | undefined;
  t.after(async () => {
    await g?.stop();
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const manifests = join(dir, 'manifests');
  await import('node:fs/promises').then((fs) => fs.mkdir(manifests));
  const base = [...service('web', backends), ingress('plain', 'plain.example.com', 'web'), ingress('sticky', 'sticky.example.com', 'web', { 'gatehouse.dev/affinity': 'cookie' })];
  write(join(manifests, 'app.yaml'), base);
  const accessLog = join(dir, 'access.log');
  g = await startGatehouseProcess(['--manifests', manifests, '--workers', '2', '--access-log-file', accessLog, '--drain-seconds', '20']);
  const gh = g;
  const admin = async <T>(path: string): Promise<T> => json<T>(await httpRequest(gh.ports.admin, { path }));
  const workers = async (): Promise<WorkerRow[]> => (await admin<{ list: WorkerRow[] }>('/debug/workers')).list;
  await waitFor('readiness', async () => (await httpRequest(gh.ports.admin, { path: '/readyz' })).status === 200, 30_000);

  let sent = 0;
  // A new connection per request: SO_REUSEPORT picks the worker per connection.
  const get = async (host: string, headers: Record<string, string> = {}, path = '/'): Promise<HttpResult> => {
    const r = await httpRequest(gh.ports.http, { host, path, headers: { connection: 'close', ...headers } });
    sent++;
    return r;
  };
  /** Sends requests until every worker served at least one more; returns their replies. */
  const untilBothServe = async (send: () => Promise<HttpResult>): Promise<HttpResult[]> => {
    const before = new Map((await workers()).map((w) => [w.id, w.requestsTotal ?? 0]));
    const replies: HttpResult[] = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 10; i++) replies.push(await send());
      const now = await workers();
      if (now.length === 2 && now.every((w) => (w.requestsTotal ?? 0) > before.get(w.id)!)) return replies;
    }
    assert.fail(`400 connections did not reach both workers: ${JSON.stringify(await workers())}`);
  };

  await t.test('both workers accept on the one port and serve', async () => {
    const rows = await workers();
    assert.deepEqual(rows.map((w) => [w.id, w.state]), [[1, 'serving'], [2, 'serving']]);
    const replies = await untilBothServe(() => get('plain.example.com'));
    for (const r of replies) assert.equal(r.status, 200, r.body.toString());
    // The worker is told by the admin listener, never in responses.
    for (const r of replies) assert.equal(Object.keys(r.headers).some((h) => h.includes('worker')), false);
  });

  await t.test('/metrics, /debug/dataplane and /debug/traffic add up both workers', async () => {
    const text = (await httpRequest(gh.ports.admin, { path: '/metrics' })).body.toString();
    let total = 0;
    for (const line of text.split('\n')) if (line.startsWith('gatehouse_http_requests_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    assert.equal(total, sent);
    assert.match(text, /^gatehouse_workers 2$/m);
    assert.match(text, /^gatehouse_worker_restarts_total 0$/m);
    // One HELP/TYPE per family, even though three registries rendered it.
    assert.equal(text.match(/^# TYPE gatehouse_http_requests_total /gm)?.length, 1);
    const histogramCount = text.split('\n').filter((l) => l.startsWith('gatehouse_http_request_duration_seconds_count{')).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    assert.equal(histogramCount, sent);
    const dp = await admin<{ requestsTotal: number; workers: { worker: number; requestsTotal: number }[] }>('/debug/dataplane');
    assert.equal(dp.requestsTotal, sent);
    assert.equal(dp.workers.length, 2);
    assert.ok(dp.workers.every((w) => w.requestsTotal > 0));
    const traffic = await admin<{ routes: { host: string; requests: number }[] }>('/debug/traffic');
    assert.equal(traffic.routes.find((r) => r.host === 'plain.example.com')?.requests, sent);
    const health = await admin<{ workers: { worker: number }[] }>('/debug/health');
    assert.deepEqual(health.workers.map((w) => w.worker), [1, 2]);
  });

  await t.test('an affinity cookie issued by one worker is honoured by the other', async () => {
    const first = await get('sticky.example.com');
    assert.equal(first.status, 200);
    const cookie = String(first.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
    assert.match(cookie, /=/, 'an affinity cookie');
    const pod = json<{ name: string }>(first).name;
    const replies = await untilBothServe(() => get('sticky.example.com', { cookie }));
    for (const r of replies) {
      assert.equal(r.status, 200);
      assert.equal(json<{ name: string }>(r).name, pod, 'every worker sends the session to the same pod');
      assert.equal(r.headers['set-cookie'], undefined, 'a valid cookie is not replaced');
    }
  });

  await t.test('a manifest change reaches every worker', async () => {
    const before = Math.min(...(await workers()).map((w) => w.generation));
    write(join(manifests, 'app.yaml'), [...base, ingress('added', 'added.example.com', 'web')]);
    await waitFor('both workers on a newer table', async () => (await workers()).every((w) => w.generation > before), 20_000);
    const replies = await untilBothServe(() => get('added.example.com'));
    for (const r of replies) assert.equal(r.status, 200, r.body.toString());
  });

  await t.test('the access log file has every request once, whole lines from both workers', async () => {
    await waitFor('the access log written', () => readFileSync(accessLog, 'utf8').split('\n').filter(Boolean).length >= sent, 10_000);
    const lines = readFileSync(accessLog, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, sent);
    const hosts = new Set(lines.map((l) => (JSON.parse(l) as { host: string }).host));
    assert.deepEqual([...hosts].sort(), ['added.example.com', 'plain.example.com', 'sticky.example.com']);
  });

  await t.test('SIGTERM drains the requests in flight on every worker, then exits 0', async () => {
    const slow: Promise<HttpResult>[] = [];
    const inFlight = async (): Promise<boolean> => {
      const rows = await workers();
      return rows.every((w) => (w.inFlightRequests ?? 0) > 0);
    };
    // Slow requests on new connections until both workers hold at least one.
    for (let i = 0; i < 40 && !(await inFlight()); i++) {
      for (let j = 0; j < 3; j++) slow.push(get('plain.example.com', {}, '/?echo-delay-ms=3000'));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await inFlight(), 'both workers have a request in flight');
    const code = gh.stop('SIGTERM', 60_000);
    const replies = await Promise.all(slow);
    for (const r of replies) assert.equal(r.status, 200, 'a request in flight at SIGTERM completes');
    assert.equal(await code, 0);
    const drained = gh.logs.find((l) => l.msg === 'drained');
    assert.equal(drained?.['requestsTotal'], sent);
  });
});
