// --session-affinity-key-file: replicas that share a key honour each other's affinity cookies;
// a replica with another key starts a new session instead; a short key is refused at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { spawnGatehouse, startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';

interface Reply {
  pod: string;
  setCookie: string | undefined;
}

function get(port: number, cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: 'sticky.example.com' };
    if (cookie !== undefined) headers.cookie = cookie;
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        assert.equal(res.statusCode, 200, body);
        const setCookie = res.headers['set-cookie']?.[0]?.split(';')[0];
        resolve({ pod: (JSON.parse(body) as { name: string }).name, setCookie });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function writeManifests(dir: string, backends: EchoBackend[]): void {
  const docs: unknown[] = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'sticky' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    ...backends.map((b, i) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `sticky-${i}`, labels: { 'kubernetes.io/service-name': 'sticky' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: b.port }],
      endpoints: [{ addresses: [b.address], conditions: { ready: true } }],
    })),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'sticky', annotations: { 'gatehouse.dev/affinity': 'cookie' } },
      spec: { rules: [{ host: 'sticky.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'sticky', port: { name: 'http' } } } }] } }] },
    },
  ];
  writeFileSync(join(dir, 'sticky.yaml'), docs.map((d) => stringify(d)).join('---\n'));
}

test('replicas sharing --session-affinity-key-file honour each other’s cookies; another key starts a new session', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-affinity-key-'));
  const backends = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((address) => startEchoBackend({ address, name: `pod-${address}` })));
  const running: StartedGatehouse[] = [];
  t.after(async () => {
    await Promise.all(running.map((g) => g.stop()));
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const manifestDir = join(dir, 'manifests');
  writeFileSync(join(dir, 'shared.key'), 'a-key-every-replica-shares-0123456789\n');
  writeFileSync(join(dir, 'other.key'), 'an-entirely-different-key-9876543210\n');
  await import('node:fs/promises').then((fs) => fs.mkdir(manifestDir));
  writeManifests(manifestDir, backends);

  const start = async (key: string): Promise<StartedGatehouse> => {
    const g = await startGatehouseProcess(['--manifests', manifestDir, '--session-affinity-key-file', join(dir, key)]);
    running.push(g);
    // "listening" comes before the first table is applied: traffic is for a ready replica.
    await waitFor('readiness', async () => (await httpRequest(g.ports.admin, { path: '/readyz' })).status === 200, 30_000);
    return g;
  };
  const [a, b, other] = await Promise.all([start('shared.key'), start('shared.key'), start('other.key')]);

  const pods = new Set<string>();
  for (let client = 0; client < 6; client++) {
    const first = await get(a.ports.http);
    assert.ok(first.setCookie?.startsWith('GATEHOUSE='), 'replica A issues the affinity cookie');
    pods.add(first.pod);
    for (let i = 0; i < 5; i++) {
      const onB = await get(b.ports.http, first.setCookie);
      assert.equal(onB.pod, first.pod, 'replica B sends the cookie to the endpoint replica A pinned');
      assert.equal(onB.setCookie, undefined, 'replica B recognises the cookie: no new one');
    }
    const onOther = await get(other.ports.http, first.setCookie);
    assert.ok(onOther.setCookie?.startsWith('GATEHOUSE='), 'a replica with another key does not recognise it and starts a session');
    assert.notEqual(onOther.setCookie, first.setCookie);
  }
  assert.ok(pods.size > 1, 'new sessions are still spread over endpoints');
});

test('a key shorter than 16 bytes, or a missing key file, is refused at start with exit code 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-affinity-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'short.key'), 'too-short\n');
  writeFileSync(join(dir, 'empty.yaml'), '');
  for (const key of ['short.key', 'missing.key']) {
    const g = spawnGatehouse(['serve', '--manifests', join(dir, 'empty.yaml'), '--session-affinity-key-file', join(dir, key)]);
    assert.equal(await g.exited, 2);
    assert.match(g.stderr(), /--session-affinity-key-file: /);
    assert.equal(g.stderr().trim().split('\n').length, 1, 'one line');
  }
});
