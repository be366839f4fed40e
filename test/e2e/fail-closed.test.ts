// End to end through the built CLI (manifest mode, real echo backends, real HTTP): never weaker than
// asked, never elsewhere. An Ingress whose annotation asks for a protection Gatehouse does not enforce
// answers 503 on its host and paths — while another Ingress's `/` on the same host keeps serving and
// does NOT receive the refused path's traffic; the same for a missing Service and an invalid path.
// Removing the annotation serves the Ingress again.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { startGatehouseProcess, waitFor, type LogLine } from '../support/spawn-gatehouse.ts';

const SHOP = 'shop.example.com';

function service(name: string, b: EchoBackend): string {
  return [
    stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } }),
    stringify({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: b.port }],
      endpoints: [{ addresses: [b.address], conditions: { ready: true } }],
    }),
  ].join('---\n');
}

function ingress(name: string, host: string, paths: [string, string, string][], annotations: Record<string, string> = {}): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: { rules: [{ host, http: { paths: paths.map(([path, pathType, svc]) => ({ path, pathType, backend: { service: { name: svc, port: { number: 80 } } } })) } }] },
  });
}

function writeAtomically(dir: string, file: string, text: string): void {
  writeFileSync(join(dir, `.${file}.tmp`), text);
  renameSync(join(dir, `.${file}.tmp`), join(dir, file));
}

/** status and which backend answered ('' for Gatehouse itself). */
async function get(port: number, host: string, path: string): Promise<{ status: number; backend: string }> {
  const r = await httpRequest(port, { host, path });
  const backend = r.headers['x-backend'];
  return { status: r.status, backend: typeof backend === 'string' ? backend : '' };
}

function upgradeStatus(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, setHost: false, headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.setTimeout(10_000, () => req.destroy(new Error('upgrade timed out')));
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('a refused Ingress answers 503 on its paths; the other Ingress on the host keeps serving and never gets that traffic', async (t) => {
  const root = await startEchoBackend({ address: '127.0.0.2', name: 'root' });
  const admin = await startEchoBackend({ address: '127.0.0.3', name: 'admin' });
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-fail-closed-'));
  // auth-url is enforced; the auth-snippet next to it (an nginx snippet) is not, and refuses the Ingress.
  const authUrl = { 'nginx.ingress.kubernetes.io/auth-url': 'https://$host/oauth2/auth', 'nginx.ingress.kubernetes.io/auth-snippet': 'proxy_set_header X-Foo 42;' };
  writeFileSync(join(dir, 'services.yaml'), [service('root', root), service('admin', admin)].join('---\n'));
  writeFileSync(join(dir, 'root.yaml'), ingress('root', SHOP, [['/', 'Prefix', 'root']]));
  writeAtomically(dir, 'admin.yaml', ingress('admin', SHOP, [['/admin', 'Prefix', 'admin']], authUrl));
  writeFileSync(
    join(dir, 'broken.yaml'),
    [ingress('gone', SHOP, [['/gone', 'Prefix', 'no-such-service']]), ingress('regex', SHOP, [['/api/(v1|v2)/.*', 'ImplementationSpecific', 'admin']]), ingress('haproxy', 'other.example.com', [['/', 'Prefix', 'admin']], { 'haproxy.org/allow-list': '10.0.0.0/8' })].join('---\n'),
  );
  const gh = await startGatehouseProcess(['--manifests', dir, '--log-level', 'info']);
  t.after(async () => {
    await gh.stop('SIGKILL').catch(() => {});
    await Promise.all([root.close(), admin.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const port = gh.ports.http;
  await waitFor('the root route serves', async () => (await get(port, SHOP, '/')).backend === 'root');

  const before = { root: root.count(), admin: admin.count() };
  // The refused Ingress's path and everything under it: 503 from Gatehouse, not the root Ingress's Service.
  for (const path of ['/admin', '/admin/', '/admin/users?id=1', '/gone', '/gone/x', '/api', '/api/v1/users', '/api/v2/']) {
    assert.deepEqual(await get(port, SHOP, path), { status: 503, backend: '' }, path);
  }
  assert.equal(await upgradeStatus(port, SHOP, '/admin/socket'), 503, 'a WebSocket upgrade is refused the same way');
  assert.deepEqual(await get(port, 'other.example.com', '/'), { status: 503, backend: '' }, "another controller's allow list refuses too");
  assert.deepEqual({ root: root.count(), admin: admin.count() }, before, 'no backend received the refused traffic');
  // The rest of the host keeps serving from its own Ingress.
  for (const path of ['/', '/administrator', '/apis', '/gonex']) assert.deepEqual(await get(port, SHOP, path), { status: 200, backend: 'root' }, path);

  // The access log says why, with the diagnostic code; the diagnostics name the annotation.
  const access = (path: string): LogLine | undefined => gh.logs.find((l) => l.msg === 'access' && l['path'] === path && l['status'] === 503);
  await waitFor('access lines', () => access('/api/v1/users') !== undefined);
  assert.equal(access('/admin')?.['error'], 'AnnotationProtectionUnsupported');
  assert.equal(access('/gone/x')?.['error'], 'BackendServiceNotFound');
  assert.equal(access('/api/v1/users')?.['error'], 'PathInvalid');
  const diagnostic = gh.logs.find((l) => l.msg === 'diagnostic' && l['code'] === 'AnnotationProtectionUnsupported' && String(l['field']).includes('auth-snippet'));
  assert.ok(diagnostic, 'an error diagnostic names auth-snippet');
  assert.equal(diagnostic['severity'], 'error');

  // The annotation removed: the Ingress serves again, from its own Service.
  writeAtomically(dir, 'admin.yaml', ingress('admin', SHOP, [['/admin', 'Prefix', 'admin']]));
  await waitFor('the admin route serves once the annotation is gone', async () => (await get(port, SHOP, '/admin/users')).backend === 'admin', 15_000);
  assert.deepEqual(await get(port, SHOP, '/'), { status: 200, backend: 'root' });
});
