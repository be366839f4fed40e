// End to end through the built CLI in manifest mode: kubernetes.io/tls Secrets made per run with
// openssl, real curl / openssl s_client / Node clients. Two Ingresses with their own Secrets, a
// wildcard entry, every kind of bad Secret next to good ones, the default certificate (self-signed
// and --default-tls-secret), redirect and HSTS annotations, HTTP/2, rotation under load.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { makeCa, makeLeaf } from '../support/certs.ts';
import type { TestCa, TestLeaf } from '../support/certs.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import type { EchoBackend, EchoReply } from '../support/echo-backend.ts';
import { startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';
import type { StartedGatehouse } from '../support/spawn-gatehouse.ts';
import { sClient } from './openssl-client.ts';
import { h2Get, h2Session, handshake, httpsGet } from './tls-client.ts';

const run = promisify(execFile);

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function secretYaml(namespace: string, name: string, data: Record<string, string>, type = 'kubernetes.io/tls'): string {
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) encoded[k] = b64(v);
  return stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, type, data: encoded });
}

function tlsSecretYaml(namespace: string, name: string, leaf: { chainPem: string; keyPem: string }): string {
  return secretYaml(namespace, name, { 'tls.crt': leaf.chainPem, 'tls.key': leaf.keyPem });
}

function backendYaml(namespace: string, backend: EchoBackend): string {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace, name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backend.port }],
      endpoints: [{ addresses: [backend.address], conditions: { ready: true } }],
    },
  ]
    .map((o) => stringify(o))
    .join('---\n');
}

function ingressYaml(namespace: string, name: string, hosts: string[], tls: { hosts: string[]; secretName: string }[], annotations: Record<string, string> = {}): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace, name, annotations },
    spec: {
      tls,
      rules: hosts.map((host) => ({
        host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] },
      })),
    },
  });
}

/** Writes through a rename, as editors and kubectl-style tools do, so the watcher never reads half a file. */
function writeManifest(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (error) {
          reject(error as Error);
        }
      });
    })
      .on('error', reject)
      .end();
  });
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

interface DiagnosticJson {
  code: string;
  severity: string;
  object: { kind: string; namespace: string; name: string };
  field?: string;
  message: string;
}

interface TlsStatusJson {
  defaultCertificate: { id: string; source: string; fingerprint: string; problem?: { code: string } };
}

describe('TLS end to end through the CLI (manifest mode)', () => {
  let ca: TestCa;
  let dir: string;
  let backend: EchoBackend;
  let gh: StartedGatehouse;
  let shop: TestLeaf;
  let shopNext: TestLeaf;
  let blog: TestLeaf;
  let wild: TestLeaf;
  let expired: TestLeaf;
  let stray: TestLeaf;

  const curlArgs = (host: string, path = '/'): string[] => [
    '-sS', '--resolve', `${host}:${gh.ports.https}:127.0.0.1`, '--cacert', ca.certPath, `https://${host}:${gh.ports.https}${path}`,
  ];
  const fingerprintFor = async (servername: string): Promise<string> => (await handshake(gh.ports.https, { servername })).fingerprint;
  const tlsStatus = (): Promise<TlsStatusJson> => getJson<TlsStatusJson>(`${gh.adminUrl}/debug/tls`);

  before(async () => {
    ca = makeCa();
    shop = makeLeaf(ca, { names: ['shop.example.com'], keyType: 'rsa' });
    shopNext = makeLeaf(ca, { names: ['shop.example.com'], keyType: 'ec' });
    blog = makeLeaf(ca, { names: ['blog.example.com'], keyType: 'ec' });
    wild = makeLeaf(ca, { names: ['*.apps.example.com'], keyType: 'rsa' });
    expired = makeLeaf(ca, { names: ['old.example.com'], keyType: 'ec', expired: true });
    stray = makeLeaf(ca, { names: ['stray.example.com'], keyType: 'rsa' });
    backend = await startEchoBackend();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-e2e-'));

    for (const ns of ['team-a', 'team-b', 'team-c']) writeManifest(dir, `${ns}-backend.yaml`, backendYaml(ns, backend));
    // Two tenants, each with its Ingress and its Secrets.
    writeManifest(dir, 'shop-tls.yaml', tlsSecretYaml('team-a', 'shop-tls', shop));
    writeManifest(
      dir,
      'shop.yaml',
      ingressYaml('team-a', 'shop', ['shop.example.com'], [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }], {
        'gatehouse.dev/hsts': 'true',
        'gatehouse.dev/hsts-max-age': '600',
      }),
    );
    writeManifest(dir, 'blog-tls.yaml', tlsSecretYaml('team-b', 'blog-tls', blog) + '---\n' + tlsSecretYaml('team-b', 'wild-tls', wild));
    writeManifest(
      dir,
      'blog.yaml',
      ingressYaml(
        'team-b',
        'blog',
        ['blog.example.com', '*.apps.example.com'],
        [
          { hosts: ['blog.example.com'], secretName: 'blog-tls' },
          { hosts: ['*.apps.example.com'], secretName: 'wild-tls' },
        ],
        { 'gatehouse.dev/ssl-redirect': 'false' },
      ),
    );
    // Every kind of bad Secret, each on its own host in team-c; plus an expired certificate.
    writeManifest(
      dir,
      'bad-secrets.yaml',
      [
        secretYaml('team-c', 'no-key', { 'tls.crt': stray.chainPem }),
        secretYaml('team-c', 'no-crt', { 'tls.key': stray.keyPem }),
        secretYaml('team-c', 'bad-pem', { 'tls.crt': '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n', 'tls.key': stray.keyPem }),
        secretYaml('team-c', 'mismatch', { 'tls.crt': stray.chainPem, 'tls.key': shop.keyPem }),
        secretYaml('team-c', 'opaque', { 'tls.crt': stray.chainPem, 'tls.key': stray.keyPem }, 'Opaque'),
        tlsSecretYaml('team-c', 'expired', expired),
        // A perfectly good Secret, but in another tenant's namespace than the Ingress naming it.
        tlsSecretYaml('team-a', 'stray', stray),
      ].join('---\n'),
    );
    writeManifest(
      dir,
      'bad.yaml',
      [
        ingressYaml('team-c', 'no-key', ['no-key.example.com'], [{ hosts: ['no-key.example.com'], secretName: 'no-key' }]),
        ingressYaml('team-c', 'no-crt', ['no-crt.example.com'], [{ hosts: ['no-crt.example.com'], secretName: 'no-crt' }]),
        ingressYaml('team-c', 'bad-pem', ['bad-pem.example.com'], [{ hosts: ['bad-pem.example.com'], secretName: 'bad-pem' }]),
        ingressYaml('team-c', 'mismatch', ['mismatch.example.com'], [{ hosts: ['mismatch.example.com'], secretName: 'mismatch' }]),
        ingressYaml('team-c', 'opaque', ['opaque.example.com'], [{ hosts: ['opaque.example.com'], secretName: 'opaque' }]),
        ingressYaml('team-c', 'missing', ['missing.example.com'], [{ hosts: ['missing.example.com'], secretName: 'does-not-exist' }]),
        ingressYaml('team-c', 'stray', ['stray.example.com'], [{ hosts: ['stray.example.com'], secretName: 'stray' }]),
        ingressYaml('team-c', 'old', ['old.example.com'], [{ hosts: ['old.example.com'], secretName: 'expired' }]),
      ].join('---\n'),
    );
    gh = await startGatehouseProcess(['--manifests', dir]);
    await waitFor('readiness', async () => (await getText(`${gh.adminUrl}/readyz`)) === 'ok\n', 15_000);
  });

  after(async () => {
    if (gh !== undefined) await gh.stop();
    await backend?.close();
    ca?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('serves each host its own certificate, verified by curl with the test CA', async () => {
    for (const [host, leaf] of [['shop.example.com', shop], ['blog.example.com', blog], ['x.apps.example.com', wild]] as const) {
      const { stdout } = await run('curl', [...curlArgs(host, '/hello?x=1'), '-w', '\n%{http_code}']);
      const [body, code] = [stdout.slice(0, stdout.lastIndexOf('\n')), stdout.slice(stdout.lastIndexOf('\n') + 1)];
      assert.equal(code, '200', host);
      const echo = JSON.parse(body) as EchoReply;
      assert.equal(echo.url, '/hello?x=1');
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
      assert.equal(echo.headers.host, `${host}:${gh.ports.https}`);
      assert.equal(await fingerprintFor(host), leaf.fingerprint, host);
    }
  });

  it('gives unknown names and SNI-less clients the self-signed default, which curl refuses to trust', async () => {
    const status = await tlsStatus();
    assert.equal(status.defaultCertificate.source, 'self-signed');
    assert.equal(await fingerprintFor('unknown.example.net'), status.defaultCertificate.fingerprint);
    assert.equal(await fingerprintFor('deep.x.apps.example.com'), status.defaultCertificate.fingerprint, 'the wildcard covers one label');
    assert.equal((await handshake(gh.ports.https, {})).fingerprint, status.defaultCertificate.fingerprint);
    await assert.rejects(run('curl', curlArgs('unknown.example.net')), /SSL certificate problem|self-signed|self signed/i);
  });

  it('reports every bad Secret, serves those hosts with the default certificate, and keeps the others', async () => {
    const { diagnostics } = await getJson<{ diagnostics: DiagnosticJson[] }>(`${gh.adminUrl}/debug/diagnostics`);
    const byIngress = (name: string): DiagnosticJson[] => diagnostics.filter((d) => d.object.kind === 'Ingress' && d.object.namespace === 'team-c' && d.object.name === name);
    const expectations: [string, string, string][] = [
      ['no-key', 'TLSSecretMissingData', 'no-key'],
      ['no-crt', 'TLSSecretMissingData', 'no-crt'],
      ['bad-pem', 'TLSSecretInvalid', 'bad-pem'],
      ['mismatch', 'TLSSecretInvalid', 'mismatch'],
      ['opaque', 'TLSSecretWrongType', 'opaque'],
      ['missing', 'TLSSecretNotFound', 'does-not-exist'],
      ['stray', 'TLSSecretNotFound', 'stray'],
      ['old', 'TLSCertificateExpired', 'expired'],
    ];
    const defaultFp = (await tlsStatus()).defaultCertificate.fingerprint;
    for (const [ingress, code, secret] of expectations) {
      const found = byIngress(ingress).find((d) => d.code === code);
      assert.ok(found, `${code} for team-c/${ingress}: ${JSON.stringify(byIngress(ingress))}`);
      assert.ok(found.message.includes(secret), `the message names the Secret: ${found.message}`);
      const host = `${ingress}.example.com`;
      if (code === 'TLSCertificateExpired') {
        assert.equal(found.severity, 'warning');
        assert.equal(await fingerprintFor(host), expired.fingerprint, 'an expired certificate is still served');
      } else {
        assert.equal(found.severity, 'error');
        assert.equal(await fingerprintFor(host), defaultFp, `${host} falls back to the default certificate`);
        // And the host itself is still routed over HTTPS (with the default certificate).
        const r = await httpsGet(gh.ports.https, { servername: host });
        assert.equal(r.status, 200, host);
      }
    }
    assert.equal(await fingerprintFor('shop.example.com'), shop.fingerprint, 'other hosts keep their certificates');
    assert.equal(await fingerprintFor('blog.example.com'), blog.fingerprint);
  });

  it('redirects plain HTTP to HTTPS with 308 unless the Ingress opts out; HSTS from the annotation', async () => {
    const redirect = await run('curl', ['-sS', '-o', '/dev/null', '-D', '-', '-H', 'Host: shop.example.com', `http://127.0.0.1:${gh.ports.http}/cart?id=7`]);
    assert.match(redirect.stdout, /^HTTP\/1\.1 308/m);
    assert.match(redirect.stdout, new RegExp(`^location: https://shop\\.example\\.com:${gh.ports.https}/cart\\?id=7\\r?$`, 'im'));
    assert.doesNotMatch(redirect.stdout, /strict-transport-security/i);
    const optOut = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: blog.example.com', `http://127.0.0.1:${gh.ports.http}/`]);
    assert.equal(optOut.stdout, '200');
    const hsts = await run('curl', [...curlArgs('shop.example.com'), '-o', '/dev/null', '-D', '-']);
    assert.match(hsts.stdout, /^strict-transport-security: max-age=600\r?$/im);
    const noHsts = await run('curl', [...curlArgs('blog.example.com'), '-o', '/dev/null', '-D', '-']);
    assert.doesNotMatch(noHsts.stdout, /strict-transport-security/i);
  });

  it('speaks HTTP/2 by ALPN to curl --http2 and Node http2, and HTTP/1.1 to the pod', async () => {
    const { stdout } = await run('curl', [...curlArgs('blog.example.com', '/h2'), '--http2', '-w', '\n%{http_version}']);
    assert.equal(stdout.slice(stdout.lastIndexOf('\n') + 1), '2');
    const echo = JSON.parse(stdout.slice(0, stdout.lastIndexOf('\n'))) as EchoReply;
    assert.equal(echo.httpVersion, '1.1');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    const session = await h2Session(gh.ports.https, { servername: 'x.apps.example.com', ca: ca.certPem });
    try {
      const r = await h2Get(session, { authority: 'x.apps.example.com', path: '/node-h2' });
      assert.equal(r.status, 200);
      assert.equal((JSON.parse(r.body.toString()) as EchoReply).url, '/node-h2');
    } finally {
      session.close();
    }
  });

  it('refuses TLS 1.0 and 1.1', async () => {
    for (const flag of ['-tls1', '-tls1_1']) {
      const out = await sClient({ port: gh.ports.https, args: [flag, '-cipher', 'DEFAULT:@SECLEVEL=0', '-servername', 'shop.example.com'] });
      assert.match(out, /alert protocol version/, out);
    }
  });

  it('rotates a Secret changed on disk for new handshakes, with zero failed requests under load', async () => {
    let stop = false;
    let completed = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          const r = await httpsGet(gh.ports.https, { servername: 'shop.example.com', ca: ca.certPem, path: '/rotate' });
          if (r.status !== 200) failures.push(String(r.status));
          seen.add(r.fingerprint);
          completed++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    try {
      await waitFor('some load', () => completed >= 20 || failures.length > 0, 10_000);
      const writtenAt = Date.now();
      writeManifest(dir, 'shop-tls.yaml', tlsSecretYaml('team-a', 'shop-tls', shopNext));
      await waitFor('the new certificate', async () => (await fingerprintFor('shop.example.com')) === shopNext.fingerprint, 10_000, 20);
      const rotationMs = Date.now() - writtenAt;
      const target = completed + 20;
      await waitFor('load after the rotation', () => completed >= target || failures.length > 0, 10_000);
      // Reported, not asserted (the brief forbids timing assertions): the issue asks for < 1 s.
      console.log(`# rotation visible to new handshakes ${rotationMs} ms after the Secret file changed`);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    assert.deepEqual(failures, []);
    assert.ok(seen.has(shop.fingerprint) && seen.has(shopNext.fingerprint), 'load saw both certificates');
  });

  it('picks up a fixed Secret: the host gets its own certificate back', async () => {
    writeManifest(
      dir,
      'bad-secrets.yaml',
      [
        secretYaml('team-c', 'no-key', { 'tls.crt': stray.chainPem }),
        secretYaml('team-c', 'no-crt', { 'tls.key': stray.keyPem }),
        tlsSecretYaml('team-c', 'bad-pem', stray), // fixed
        secretYaml('team-c', 'mismatch', { 'tls.crt': stray.chainPem, 'tls.key': shop.keyPem }),
        secretYaml('team-c', 'opaque', { 'tls.crt': stray.chainPem, 'tls.key': stray.keyPem }, 'Opaque'),
        tlsSecretYaml('team-c', 'expired', expired),
        tlsSecretYaml('team-a', 'stray', stray),
      ].join('---\n'),
    );
    await waitFor('bad-pem fixed', async () => (await fingerprintFor('bad-pem.example.com')) === stray.fingerprint, 10_000, 20);
    const { diagnostics } = await getJson<{ diagnostics: DiagnosticJson[] }>(`${gh.adminUrl}/debug/diagnostics`);
    assert.ok(!diagnostics.some((d) => d.object.name === 'bad-pem' && d.code.startsWith('TLSSecret')));
  });

  it('never shows key material in logs or /debug output', async () => {
    const views = await Promise.all(['routes', 'diagnostics', 'tls'].map((v) => getText(`${gh.adminUrl}/debug/${v}`)));
    const text = [gh.stdout(), gh.stderr(), ...views].join('\n');
    assert.match(views[0]!, /<redacted>/, '/debug/routes lists certificates, redacted');
    assert.doesNotMatch(text, /PRIVATE KEY/);
    for (const leaf of [shop, shopNext, blog, wild, expired, stray]) {
      for (const line of leaf.keyPem.split('\n').slice(1, -2)) assert.ok(!text.includes(line), 'a line of a private key leaked');
      assert.ok(!text.includes(b64(leaf.keyPem).slice(0, 40)), 'the base64 Secret data leaked');
    }
  });
});

describe('TLS end to end: --default-tls-secret', () => {
  it('serves the operator default for unknown names, and reports it when the Secret goes bad', async () => {
    const ca = makeCa();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-default-'));
    const ops = makeLeaf(ca, { names: ['ingress.ops.example'], keyType: 'ec' });
    const backend = await startEchoBackend();
    let gh: StartedGatehouse | undefined;
    try {
      writeManifest(dir, 'backend.yaml', backendYaml('team-a', backend));
      writeManifest(dir, 'ops.yaml', tlsSecretYaml('ops', 'default-cert', ops));
      writeManifest(dir, 'ing.yaml', ingressYaml('team-a', 'site', ['site.example.com'], []));
      gh = await startGatehouseProcess(['--manifests', dir, '--default-tls-secret', 'ops/default-cert']);
      const started = gh;
      await waitFor('default from the Secret', async () => {
        try {
          return (await handshake(started.ports.https, { servername: 'anything.example' })).fingerprint === ops.fingerprint;
        } catch {
          return false;
        }
      }, 15_000);
      const noSni = await handshake(gh.ports.https, { ca: ca.certPem });
      assert.equal(noSni.fingerprint, ops.fingerprint);
      const { stdout } = await run('curl', ['-sS', '--resolve', `ingress.ops.example:${gh.ports.https}:127.0.0.1`, '--cacert', ca.certPath, '-o', '/dev/null', '-w', '%{http_code}', `https://ingress.ops.example:${gh.ports.https}/`]);
      assert.equal(stdout, '404', 'verified TLS with the operator certificate; no route for that host');

      writeManifest(dir, 'ops.yaml', secretYaml('ops', 'default-cert', { 'tls.crt': ops.chainPem }));
      await waitFor('the problem reported', async () => (await getJson<TlsStatusJson>(`${started.adminUrl}/debug/tls`)).defaultCertificate.problem?.code === 'TLSSecretMissingData', 10_000);
      assert.equal((await handshake(gh.ports.https, {})).fingerprint, ops.fingerprint, 'the last good default keeps serving');
      assert.doesNotMatch(gh.stdout(), /PRIVATE KEY/);
    } finally {
      await gh?.stop();
      await backend.close();
      ca.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
