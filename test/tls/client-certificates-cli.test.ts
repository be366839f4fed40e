// Client certificates through the built CLI in manifest mode: the CA Secret read from a manifest,
// checked by the real inspector, enforced by the real listener; a CA change on disk applies to new
// connections; a broken CA Secret refuses the Ingress (503) while another host keeps serving.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from '../support/certs.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';
import { sClient } from './openssl-client.ts';

const run = promisify(execFile);
const NS = 'shop';

function secretYaml(name: string, data: Record<string, string>, type: string): string {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: NS, name }, type, data: encoded });
}

function write(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

describe('client certificates through the CLI (manifest mode)', () => {
  let serverCa: TestCa;
  let clientCa: TestCa;
  let otherCa: TestCa;
  let alice: TestLeaf;
  let bob: TestLeaf;
  let backend: EchoBackend;
  let dir: string;
  let gh: StartedGatehouse;

  const curl = async (host: string, cert?: TestLeaf): Promise<{ status: number; body: string }> => {
    const args = ['-sS', '--max-time', '20', '--resolve', `${host}:${gh.ports.https}:127.0.0.1`, '--cacert', serverCa.certPath, '-w', '\n%{http_code}'];
    if (cert !== undefined) args.push('--cert', cert.certPath, '--key', cert.keyPath);
    const { stdout } = await run('curl', [...args, `https://${host}:${gh.ports.https}/`]);
    const nl = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(nl + 1)), body: stdout.slice(0, nl) };
  };

  before(async () => {
    serverCa = makeCa({ name: 'Server CA' });
    clientCa = makeCa({ name: 'Client CA' });
    otherCa = makeCa({ name: 'Other CA' });
    const server = makeLeaf(serverCa, { names: ['secure.example.com', 'open.example.com'], keyType: 'ec' });
    alice = makeLeaf(clientCa, { names: [], client: true, commonName: 'alice' });
    bob = makeLeaf(otherCa, { names: [], client: true, commonName: 'bob' });
    backend = await startEchoBackend();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-mtls-cli-'));
    write(dir, 'backend.yaml', [
      stringify({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: NS, name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } }),
      stringify({
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: { namespace: NS, name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4', ports: [{ name: 'http', port: backend.port }], endpoints: [{ addresses: [backend.address], conditions: { ready: true } }],
      }),
    ].join('---\n'));
    write(dir, 'server-tls.yaml', secretYaml('server-tls', { 'tls.crt': server.chainPem, 'tls.key': server.keyPem }, 'kubernetes.io/tls'));
    write(dir, 'client-ca.yaml', secretYaml('client-ca', { 'ca.crt': clientCa.certPem }, 'Opaque'));
    const ingress = (name: string, host: string, annotations: Record<string, string>): string => stringify({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { namespace: NS, name, annotations },
      spec: {
        tls: [{ hosts: [host], secretName: 'server-tls' }],
        rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }],
      },
    });
    write(dir, 'ingresses.yaml', ingress('secure', 'secure.example.com', { 'nginx.ingress.kubernetes.io/auth-tls-secret': 'client-ca' }) + '---\n' + ingress('open', 'open.example.com', {}));
    gh = await startGatehouseProcess(['--manifests', dir]);
    // "listening" comes before the first table is applied: until then no host is known to ask for
    // client certificates, and a handshake made then is not the mTLS one (a 421 later).
    await waitFor('the first table', async () => (await curl('open.example.com').catch(() => undefined))?.status === 200, 15_000, 100);
  });

  after(async () => {
    await gh?.stop();
    await backend?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    for (const ca of [serverCa, clientCa, otherCa]) ca?.dispose();
  });

  it('enforces the Secret\'s CA; the other host is never asked for a certificate', async () => {
    const ok = await curl('secure.example.com', alice);
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as EchoReply).headers['ssl-client-verify'], 'SUCCESS');
    assert.equal((await curl('secure.example.com')).status, 400);
    assert.equal((await curl('secure.example.com', bob)).status, 400);
    assert.equal((await curl('open.example.com')).status, 200);
    assert.match(await sClient({ port: gh.ports.https, args: ['-servername', 'open.example.com'] }), /No client certificate CA names sent/);
    assert.match(await sClient({ port: gh.ports.https, args: ['-servername', 'secure.example.com'] }), /Acceptable client certificate CA names\nCN = Client CA\n/);
  });

  it('a CA change on disk applies to new connections', async () => {
    write(dir, 'client-ca.yaml', secretYaml('client-ca', { 'ca.crt': otherCa.certPem }, 'Opaque'));
    await waitFor('the new CA', async () => (await curl('secure.example.com', bob)).status === 200, 15_000, 100);
    assert.equal((await curl('secure.example.com', alice)).status, 400);
  });

  it('a broken CA Secret refuses the Ingress (503); the other host keeps serving', async () => {
    write(dir, 'client-ca.yaml', secretYaml('client-ca', { 'ca.crt': alice.certPem }, 'Opaque'));
    await waitFor('the refusal', async () => (await curl('secure.example.com', bob)).status === 503, 15_000, 100);
    assert.equal((await curl('open.example.com')).status, 200);
    await gh.waitForLog((l) => JSON.stringify(l).includes('ClientCertSecretInvalid'), 'the ClientCertSecretInvalid diagnostic', 15_000);
  });
});
