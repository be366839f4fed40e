// End to end through the built CLI (manifest mode): --proxy-protocol and --enable-ssl-passthrough as
// a user turns them on. curl --haproxy-protocol (a real PROXY v1 sender) over HTTP and through SSL
// passthrough to a TLS backend whose certificate curl verifies; a raw PROXY header's address reaches
// the backend; a connection without a header is closed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { makeCa, makeLeaf } from '../support/certs.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import { parseResponse, rawExchange } from '../support/raw-http.ts';
import { startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

function serviceYaml(name: string, port: number, address: string, targetPort: number): string {
  return [
    stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'p', port }] } }),
    stringify({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'p', port: targetPort }],
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
    }),
  ].join('---\n');
}

function ingressYaml(name: string, host: string, service: string, port: number, annotations: Record<string, string> = {}): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] } }] },
  });
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

test('serve --proxy-protocol --enable-ssl-passthrough: PROXY headers on both listeners, passthrough to the TLS backend', async (t) => {
  const backendCa = makeCa({ name: 'backend-ca' });
  const leaf = makeLeaf(backendCa, { names: ['pass.example.com'] });
  const tlsBackend = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.end('from-tls-backend\n'));
  await new Promise<void>((resolve) => tlsBackend.listen(0, '127.0.0.1', () => resolve()));
  const echo = await startEchoBackend();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tlsedge-'));
  writeFileSync(
    join(dir, 'objects.yaml'),
    [
      serviceYaml('tls-app', 443, '127.0.0.1', (tlsBackend.address() as AddressInfo).port),
      serviceYaml('web', 80, echo.address, echo.port),
      ingressYaml('pass', 'pass.example.com', 'tls-app', 443, { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'true' }),
      ingressYaml('web', 'web.example.com', 'web', 80),
    ].join('---\n'),
  );
  const gh = await startGatehouseProcess(['--manifests', dir, '--proxy-protocol', '--enable-ssl-passthrough']);
  t.after(async () => {
    await gh.stop('SIGKILL').catch(() => {});
    tlsBackend.closeAllConnections();
    tlsBackend.close();
    await echo.close();
  });
  const { http, https } = gh.ports;

  // curl sends a PROXY v1 header of its own connection, then the request.
  await waitFor('the web Ingress serves', async () => (await curl(['--haproxy-protocol', '-H', 'Host: web.example.com', `http://127.0.0.1:${http}/`])).stdout.includes('"url":"/"'), 20_000);
  const viaCurl = await curl(['--haproxy-protocol', '-H', 'Host: web.example.com', `http://127.0.0.1:${http}/hello`]);
  assert.equal(JSON.parse(viaCurl.stdout).headers['x-forwarded-for'], '127.0.0.1');

  // A header naming another client: that address is the one the backend gets.
  const raw = await rawExchange(http, ['PROXY TCP4 198.51.100.20 10.0.0.1 40000 80\r\n', 'GET /raw HTTP/1.1\r\nHost: web.example.com\r\nConnection: close\r\n\r\n'], { timeoutMs: 15_000 });
  assert.equal(JSON.parse(parseResponse(raw.raw)!.body.toString()).headers['x-forwarded-for'], '198.51.100.20');

  // Without a header: closed, nothing answered.
  const plain = await curl(['-H', 'Host: web.example.com', `http://127.0.0.1:${http}/`]);
  assert.notEqual(plain.code, 0);
  assert.equal(plain.stdout, '');

  // Passthrough through the HTTPS listener, behind the PROXY header: curl verifies the backend's certificate.
  const pass = await curl(['--haproxy-protocol', '--cacert', backendCa.certPath, '--resolve', `pass.example.com:${https}:127.0.0.1`, `https://pass.example.com:${https}/`]);
  assert.equal(pass.code, 0, pass.stderr);
  assert.equal(pass.stdout, 'from-tls-backend\n');
});
