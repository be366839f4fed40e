// End to end through the built CLI (manifest mode) with curl, as a user trying oauth2-proxy's
// documented ingress-nginx annotations would: the Ingress's requests go through the auth service
// (test/support/auth-server.ts, answering as oauth2-proxy's /oauth2/auth); without a session curl
// is redirected to sign in, with one it reaches the backend with the user's identity; when the
// auth service goes away, 500 — never the backend. A variable Gatehouse does not know refuses the
// Ingress (503) with a diagnostic naming it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startAuthServer } from '../support/auth-server.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import { startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

const execFileAsync = promisify(execFile);

function ingress(name: string, host: string, annotations: Record<string, string>): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  });
}

test('curl through the CLI: signin redirect, a session reaches the backend with its identity, auth down → 500, unknown variable → 503', async (t) => {
  const echo = await startEchoBackend({ address: '127.0.0.2', name: 'web' });
  let auth = await startAuthServer({ address: '127.0.0.3' });
  const authPort = auth.port;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-extauth-'));
  const oauth = {
    'nginx.ingress.kubernetes.io/auth-url': `http://127.0.0.3:${authPort}/oauth2/auth`,
    'nginx.ingress.kubernetes.io/auth-signin': 'https://$host/oauth2/start?rd=$escaped_request_uri',
    'nginx.ingress.kubernetes.io/auth-response-headers': 'X-Auth-Request-User, X-Auth-Request-Email',
  };
  writeFileSync(
    join(dir, 'all.yaml'),
    [
      stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } }),
      stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: echo.port }],
        endpoints: [{ addresses: [echo.address], conditions: { ready: true } }],
      }),
      ingress('app', 'app.example.com', oauth),
      ingress('typo', 'typo.example.com', { 'nginx.ingress.kubernetes.io/auth-url': `http://127.0.0.3:${authPort}/oauth2/auth?u=$remote_usr` }),
    ].join('---\n'),
  );
  const gh = await startGatehouseProcess(['--manifests', dir, '--log-level', 'info']);
  t.after(async () => {
    await gh.stop('SIGKILL').catch(() => {});
    await Promise.all([echo.close(), auth.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const port = gh.ports.http;
  const curl = async (host: string, path: string, extra: string[] = []): Promise<{ head: string; body: string }> => {
    const r = await execFileAsync('curl', ['-sS', '--max-time', '20', '-D', '-', '-H', `Host: ${host}`, ...extra, `http://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
    const end = r.stdout.indexOf('\r\n\r\n');
    return { head: r.stdout.slice(0, end), body: r.stdout.slice(end + 4) };
  };
  await waitFor('the route is served', async () => /^HTTP\/1.1 302/.test((await curl('app.example.com', '/').catch(() => ({ head: '' }))).head));

  const redirected = await curl('app.example.com', '/reports?year=2026');
  assert.match(redirected.head, /^HTTP\/1.1 302/);
  assert.match(redirected.head, /\r\nlocation: https:\/\/app\.example\.com\/oauth2\/start\?rd=%2Freports%3Fyear%3D2026\r\n/i);
  const before = echo.count();
  const allowed = await curl('app.example.com', '/reports', ['-b', '_oauth2_proxy=alice-session', '-H', 'X-Auth-Request-User: mallory']);
  assert.match(allowed.head, /^HTTP\/1.1 200/);
  const seen = JSON.parse(allowed.body) as { headers: Record<string, string> };
  assert.equal(seen.headers['x-auth-request-user'], 'alice');
  assert.equal(seen.headers['x-auth-request-email'], 'alice@example.com');
  assert.equal(echo.count(), before + 1);

  const typo = await curl('typo.example.com', '/');
  assert.match(typo.head, /^HTTP\/1.1 503/);
  await waitFor('the diagnostic names the variable', () => gh.logs.some((l) => l.msg === 'diagnostic' && l['code'] === 'AnnotationProtectionInvalid' && String(l['detail']).includes('$remote_usr')));

  await auth.close();
  const down = await curl('app.example.com', '/reports', ['-b', '_oauth2_proxy=alice-session']);
  assert.match(down.head, /^HTTP\/1.1 500/, 'the auth service is unreachable: 500, never through');
  assert.equal(echo.count(), before + 1);
  // Back on the same port: served again.
  auth = await startAuthServer({ address: '127.0.0.3', port: authPort });
  assert.match((await curl('app.example.com', '/', ['-b', '_oauth2_proxy=alice-session'])).head, /^HTTP\/1.1 200/);
});
