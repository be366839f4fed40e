// End to end: the built CLI in manifest mode, real echo backends on 127.0.0.x, real HTTP clients.
// Readiness, the debug views, live reload under load with zero failed requests, and the drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(url: string, host: string, options: { agent?: Agent; path?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: options.path ?? u.pathname + u.search, headers: { host }, agent: options.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function status(url: string): Promise<number> {
  try {
    return (await get(url, '127.0.0.1')).status;
  } catch {
    return 0;
  }
}

function manifests(backends: Record<string, EchoBackend>, ingressService: string): { services: string; slices: string; ingress: string } {
  const services = Object.keys(backends).map((name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }));
  const slices = Object.entries(backends).map(([name, b]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-abcde`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: b.port }],
    endpoints: [{ addresses: [b.address], conditions: { ready: true } }],
  }));
  return {
    services: services.map((s) => stringify(s)).join('---\n'),
    slices: slices.map((s) => stringify(s)).join('---\n'),
    ingress: ingressYaml(ingressService),
  };
}

function ingressYaml(service: string): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'app' },
    spec: { rules: [{ host: 'app.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { name: 'http' } } } }] } }] },
  });
}

interface World {
  dir: string;
  a: EchoBackend;
  b: EchoBackend;
  gh: StartedGatehouse;
}

async function world(t: { after(fn: () => Promise<void> | void): void }, extraArgs: string[] = []): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
  const a = await startEchoBackend({ address: '127.0.0.2', name: 'a' });
  const b = await startEchoBackend({ address: '127.0.0.3', name: 'b' });
  const m = manifests({ 'svc-a': a, 'svc-b': b }, 'svc-a');
  writeFileSync(join(dir, 'services.yaml'), m.services);
  writeFileSync(join(dir, 'slices.yaml'), m.slices);
  writeFileSync(join(dir, 'ingress.yaml'), m.ingress);
  const gh = await startGatehouseProcess(['--manifests', dir, '--log-level', 'info', ...extraArgs]);
  t.after(async () => {
    if (gh.child.exitCode === null && gh.child.signalCode === null) await gh.stop('SIGKILL').catch(() => {});
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('/readyz 200', async () => (await status(`${gh.adminUrl}/readyz`)) === 200);
  return { dir, a, b, gh };
}

test('serve: ready after the first table; routes by host; debug views and metrics', async (t) => {
  const { gh } = await world(t);
  assert.equal(await status(`${gh.adminUrl}/healthz`), 200);
  const hit = await get(gh.httpUrl, 'app.example.com', { path: '/some/path?q=1' });
  assert.equal(hit.status, 200);
  const echoed = JSON.parse(hit.body) as { name: string; url: string; headers: Record<string, string> };
  assert.equal(echoed.name, 'a');
  assert.equal(echoed.url, '/some/path?q=1');
  assert.equal(echoed.headers['host'], 'app.example.com');
  assert.equal((await get(gh.httpUrl, 'APP.example.com:8080')).status, 200, 'host match ignores case and port');
  assert.equal((await get(gh.httpUrl, 'other.example.com')).status, 404);

  const routes = JSON.parse((await get(`${gh.adminUrl}/debug/routes`, '127.0.0.1')).body);
  assert.equal(routes.applied, true);
  assert.deepEqual(routes.table.virtualHosts.map((v: { host: string }) => v.host), ['app.example.com']);
  assert.equal(routes.table.virtualHosts[0].routes[0].backend, 'default/svc-a:http');
  const diagnostics = JSON.parse((await get(`${gh.adminUrl}/debug/diagnostics`, '127.0.0.1')).body);
  assert.deepEqual(diagnostics, { counts: { error: 0, warning: 0, info: 0 }, diagnostics: [] });
  const metrics = (await get(`${gh.adminUrl}/metrics`, '127.0.0.1')).body;
  assert.match(metrics, /^gatehouse_builds_total [1-9]/m);
  assert.match(metrics, /^gatehouse_http_requests_total\{namespace="default",ingress="app",host="app\.example\.com",service="default\/svc-a:http",method="GET",status_class="2xx"\} [1-9]/m);
  assert.match(metrics, /^gatehouse_http_requests_total\{namespace="",ingress="",host="",service="",method="GET",status_class="4xx"\} 1$/m);
  assert.match(metrics, /^gatehouse_ready 1$/m);
  assert.match(metrics, /^gatehouse_endpoints_ejected 0$/m);
  const health = JSON.parse((await get(`${gh.adminUrl}/debug/health`, '127.0.0.1')).body) as { ejectedEndpoints: number };
  assert.equal(health.ejectedEndpoints, 0);
  const tls = JSON.parse((await get(`${gh.adminUrl}/debug/tls`, '127.0.0.1')).body) as { defaultCertificate: { source: string } };
  assert.equal(tls.defaultCertificate.source, 'self-signed');

  // An access log line per request, with the fields the issue names.
  await gh.waitForLog((l) => l.msg === 'access' && l['host'] === 'app.example.com' && l['status'] === 200, 'an access log line');
  const access = gh.logs.find((l) => l.msg === 'access' && l['status'] === 200)!;
  for (const field of ['method', 'host', 'path', 'status', 'upstream']) assert.ok(field in access, `access log has ${field}`);
  assert.equal(await gh.stop('SIGINT'), 0);
});

test('a broken manifest is reported with file and line, and the last good routes keep serving', async (t) => {
  const { dir, gh } = await world(t);
  writeFileSync(join(dir, 'ingress.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\nspec: [unclosed\n');
  await waitFor('the parse error', async () => {
    const d = JSON.parse((await get(`${gh.adminUrl}/debug/diagnostics`, '127.0.0.1')).body) as { diagnostics: { code: string; message: string }[] };
    return d.diagnostics.some((x) => x.code === 'ManifestParseError' && /ingress\.yaml:\d+/.test(x.message));
  });
  const hit = await get(gh.httpUrl, 'app.example.com');
  assert.equal(hit.status, 200);
  await gh.waitForLog((l) => l.msg === 'diagnostic' && l['code'] === 'ManifestParseError', 'the diagnostic logged');
  assert.equal(await gh.stop(), 0);
});

test('live reload under bounded concurrent load: zero failed requests', async (t) => {
  const { dir, a, b, gh } = await world(t);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());
  const seen: Record<string, number> = {};
  const failures: string[] = [];
  let total = 0;
  let running = true;
  const MAX_REQUESTS = 20_000; // a bound even if something never converges
  const worker = async (): Promise<void> => {
    while (running && total < MAX_REQUESTS) {
      total++;
      try {
        const r = await get(gh.httpUrl, 'app.example.com', { agent, path: '/load' });
        if (r.status !== 200) failures.push(`status ${r.status}: ${r.body.slice(0, 100)}`);
        else {
          const name = (JSON.parse(r.body) as { name: string }).name;
          seen[name] = (seen[name] ?? 0) + 1;
        }
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  try {
    await waitFor('load on a', () => (seen['a'] ?? 0) > 50, 20_000);
    // 1. An editor's save: a temporary file renamed over the original.
    writeFileSync(join(dir, '.ingress.yaml.tmp'), ingressYaml('svc-b'));
    renameSync(join(dir, '.ingress.yaml.tmp'), join(dir, 'ingress.yaml'));
    await waitFor('traffic on b', () => (seen['b'] ?? 0) > 50, 20_000);
    const beforeBack = seen['a'] ?? 0;
    // 2. An in-place rewrite (truncate + write).
    writeFileSync(join(dir, 'ingress.yaml'), ingressYaml('svc-a'));
    await waitFor('traffic back on a', () => (seen['a'] ?? 0) > beforeBack + 50, 20_000);
    // 3. New endpoints for the same Service: both backends now serve svc-a.
    const m = manifests({ 'svc-a': a, 'svc-b': b }, 'svc-a');
    writeFileSync(join(dir, 'slices.yaml'), `${m.slices}---\n${stringify({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'svc-a-second', labels: { 'kubernetes.io/service-name': 'svc-a' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: b.port }],
      endpoints: [{ addresses: [b.address], conditions: { ready: true } }],
    })}`);
    const bBefore = seen['b'] ?? 0;
    await waitFor('round robin across both', () => (seen['b'] ?? 0) > bBefore + 50, 20_000);
  } finally {
    running = false;
    await Promise.all(workers);
  }
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${total} requests failed`);
  assert.ok(total > 200, `only ${total} requests`);
  t.diagnostic(`live reload: ${total} requests, 0 failed, by backend ${JSON.stringify(seen)}`);
  const applied = gh.logs.filter((l) => l.msg === 'route table applied').length;
  assert.ok(applied >= 3, `${applied} rebuilds applied`);
  assert.equal(await gh.stop(), 0);
});

test('SIGTERM: readiness off, no new connections, the in-flight slow request finishes, exit 0', async (t) => {
  const { a, gh } = await world(t, ['--drain-seconds', '20']);
  const before = a.count();
  const slow = get(gh.httpUrl, 'app.example.com', { path: '/slow?echo-delay-ms=1500' });
  await waitFor('the slow request at the backend', () => a.count() > before);
  gh.child.kill('SIGTERM');
  await waitFor('/readyz 503 while draining', async () => (await status(`${gh.adminUrl}/readyz`)) === 503, 10_000, 10);
  await waitFor('new connections refused', () => refused(gh.ports.http), 10_000, 10);
  const reply = await slow;
  assert.equal(reply.status, 200);
  assert.equal((JSON.parse(reply.body) as { name: string }).name, 'a');
  assert.equal(await gh.exited, 0);
  assert.ok(gh.logs.some((l) => l.msg === 'drained'));
});

test('the drain is bounded by --drain-seconds: a request slower than that is cut, and the exit is still 0', async (t) => {
  const { a, gh } = await world(t, ['--drain-seconds', '1']);
  const before = a.count();
  const slow = get(gh.httpUrl, 'app.example.com', { path: '/slow?echo-delay-ms=60000' }).then(
    (r) => `answered ${r.status}`,
    (err: Error) => `cut: ${err.message}`,
  );
  await waitFor('the slow request at the backend', () => a.count() > before);
  gh.child.kill('SIGTERM');
  assert.equal(await gh.exited, 0);
  // The backend would have answered after a minute; the process is gone well before that.
  assert.match(await slow, /^cut: /);
});

test('readiness waits for the source: Kubernetes mode with an unreachable API server stays 503', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-kube-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Port 1 on loopback: nothing listens, every list fails at once.
  writeFileSync(join(dir, 'kubeconfig'), stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
    users: [{ name: 'u', user: { token: 'test' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  }));
  const gh = await startGatehouseProcess(['--kubeconfig', join(dir, 'kubeconfig'), '--no-leader-elect']);
  t.after(() => gh.stop('SIGKILL').catch(() => {}));
  assert.equal(await status(`${gh.adminUrl}/healthz`), 200);
  // Several probes over a while: never ready, and the reason says why.
  for (let i = 0; i < 5; i++) {
    const r = await get(`${gh.adminUrl}/readyz`, '127.0.0.1');
    assert.equal(r.status, 503);
    assert.match(r.body, /^not ready: waiting for the first list/);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(await gh.stop('SIGTERM'), 0);
});

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}
