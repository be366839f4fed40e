// Basic authentication end to end through the built CLI in manifest mode: an Ingress with
// auth-type: basic and a Secret made with htpasswd; changing the Secret's file (a new password)
// applies live — the new password works and the old one is refused within a second or so of the
// write (bounded generously: the machine is shared); deleting the Secret refuses the Ingress (503).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startEchoBackend } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { assertBuilt, startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

const HOST = 'admin.example.com';

function writeAtomically(dir: string, file: string, text: string): void {
  writeFileSync(join(dir, `.${file}.tmp`), text);
  renameSync(join(dir, `.${file}.tmp`), join(dir, file));
}

function secretYaml(password: string): string {
  const line = execFileSync('htpasswd', ['-nbB', 'admin', password], { encoding: 'utf8' }).trim();
  return stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'basic-auth' }, type: 'Opaque', data: { auth: Buffer.from(`${line}\n`).toString('base64') } });
}

async function status(port: number, password: string | undefined): Promise<{ status: number; challenge: string | undefined; authorization: string | undefined }> {
  const headers: Record<string, string> = password === undefined ? {} : { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
  const r = await httpRequest(port, { host: HOST, headers });
  const body = r.status === 200 ? (JSON.parse(r.body.toString('utf8')) as { headers?: Record<string, string> }) : undefined;
  return { status: r.status, challenge: r.headers['www-authenticate'], authorization: body?.headers?.authorization };
}

test('an auth-secret changed in the manifest folder applies live; a deleted one refuses the Ingress', async (t) => {
  assertBuilt();
  const echo = await startEchoBackend({ address: '127.0.0.2', name: 'admin' });
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-basic-auth-'));
  writeFileSync(
    join(dir, 'app.yaml'),
    [
      stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'admin' }, spec: { ports: [{ name: 'http', port: 80 }] } }),
      stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'admin-1', labels: { 'kubernetes.io/service-name': 'admin' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: echo.port }],
        endpoints: [{ addresses: [echo.address], conditions: { ready: true } }],
      }),
      stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: 'admin',
          annotations: {
            'nginx.ingress.kubernetes.io/auth-type': 'basic',
            'nginx.ingress.kubernetes.io/auth-secret': 'basic-auth',
            'nginx.ingress.kubernetes.io/auth-realm': 'Admins only',
          },
        },
        spec: { rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'admin', port: { number: 80 } } } }] } }] },
      }),
    ].join('---\n'),
  );
  writeAtomically(dir, 'secret.yaml', secretYaml('first-pass'));
  const gh = await startGatehouseProcess(['--manifests', dir]);
  t.after(async () => {
    await gh.stop();
    await echo.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = gh.ports.http;
  await waitFor('the Ingress to be served', async () => (await status(port, 'first-pass')).status === 200);
  const ok = await status(port, 'first-pass');
  assert.equal(ok.authorization, undefined, 'the backend does not see Authorization');
  const refused = await status(port, undefined);
  assert.equal(refused.status, 401);
  assert.equal(refused.challenge, 'Basic realm="Admins only"');

  writeAtomically(dir, 'secret.yaml', secretYaml('second-pass'));
  const changed = Date.now();
  await waitFor('the new password to work', async () => (await status(port, 'second-pass')).status === 200, 10_000);
  const took = Date.now() - changed;
  t.diagnostic(`new password accepted ${took} ms after the write`);
  assert.equal((await status(port, 'first-pass')).status, 401, 'the old password no longer works');

  rmSync(join(dir, 'secret.yaml'));
  await waitFor('the Ingress to be refused', async () => (await status(port, 'second-pass')).status === 503, 10_000);
  await waitFor('the diagnostic in the log', () => gh.logs.some((l) => l['code'] === 'BasicAuthSecretNotFound'), 10_000);
});
