// Client certificates (ingress-nginx auth-tls-*) through the real HTTPS listener and DataPlane, with
// certificates made by openssl at test time and curl / openssl s_client as clients: on, optional,
// optional_no_ca, verify depth, a CRL, the pass-certificate header, the error page, 421 both ways
// (another host over an mTLS connection, an mTLS host over another host's connection, HTTP/2
// included), no SNI, plain HTTP, and that other hosts never get a CertificateRequest.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientCertificatePolicy } from '../../src/core/policy.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import { makeCa, makeIntermediateCa, makeLeaf, revokeAndMakeCrl, type TestCa, type TestLeaf } from '../support/certs.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';
import { sClient } from './openssl-client.ts';
import { startTlsFixture, type TlsFixture } from './tls-fixture.ts';
import { tlsTable } from './tls-tables.ts';

const run = promisify(execFile);
const HOSTS = ['a.test', 'b.test', 'o.test', 'n.test', 'd1.test', 'd2.test', 'r.test', 'e.test', 'p.test'];

interface CurlResult {
  status: number;
  version: string;
  body: string;
  headers: string;
}

describe('client certificates (mTLS)', () => {
  let serverCa: TestCa;
  let clientRoot: TestCa;
  let int1: TestCa;
  let int2: TestCa;
  let otherCa: TestCa;
  let alice: TestLeaf;
  let bob: TestLeaf;
  let carol: TestLeaf;
  let mallory: TestLeaf;
  let revoked: TestLeaf;
  let crl: string;
  let backend: EchoBackend;
  let f: TlsFixture;

  function table(): RouteTable {
    const cc = (p: Partial<ClientCertificatePolicy>): ClientCertificatePolicy => ({ verify: 'on', depth: 1, secret: 'default/ca', caPem: clientRoot.certPem, passCertificate: false, ...p });
    const route = (policy: string) => ({ routes: [{ path: '/', backend: 'default/echo:80', policy }], tls: 'default/server-tls' });
    const routes = routeTable({
      hosts: Object.fromEntries(HOSTS.map((h) => [h, route(`default/${h}`)])),
      backends: { 'default/echo:80': [`127.0.0.1:${backend.port}`] },
      policies: {
        'default/a.test': { clientCertificate: cc({ caPem: clientRoot.certPem + int1.certPem, passCertificate: true }) },
        'default/b.test': {},
        'default/o.test': { clientCertificate: cc({ verify: 'optional' }) },
        'default/n.test': { clientCertificate: cc({ verify: 'optional_no_ca' }) },
        'default/d1.test': { clientCertificate: cc({ caPem: clientRoot.certPem + int1.certPem + int2.certPem, depth: 1 }) },
        'default/d2.test': { clientCertificate: cc({ caPem: clientRoot.certPem + int1.certPem + int2.certPem, depth: 2 }) },
        'default/r.test': { clientCertificate: cc({ crlPem: crl }) },
        'default/e.test': { clientCertificate: cc({ errorPage: 'https://errors.example/client-certificate' }) },
        'default/p.test': { sslRedirect: false, clientCertificate: cc({}) },
      },
    });
    return tlsTable([{ id: 'default/server-tls', certPem: serverLeaf.chainPem, keyPem: serverLeaf.keyPem, hosts: HOSTS }], routes);
  }
  let serverLeaf: TestLeaf;

  before(async () => {
    serverCa = makeCa({ name: 'Server CA', keyType: 'ec' });
    serverLeaf = makeLeaf(serverCa, { names: HOSTS, keyType: 'ec' });
    clientRoot = makeCa({ name: 'Client Root' });
    int1 = makeIntermediateCa(clientRoot, 'Client Intermediate 1');
    int2 = makeIntermediateCa(int1, 'Client Intermediate 2');
    otherCa = makeCa({ name: 'Other CA' });
    alice = makeLeaf(clientRoot, { names: [], client: true, subject: '/O=Acme, Inc./CN=alice' });
    bob = makeLeaf(int1, { names: [], client: true, commonName: 'bob' });
    carol = makeLeaf(int2, { names: [], client: true, commonName: 'carol' });
    mallory = makeLeaf(otherCa, { names: [], client: true, commonName: 'alice' });
    revoked = makeLeaf(clientRoot, { names: [], client: true, commonName: 'revoked' });
    crl = revokeAndMakeCrl(clientRoot, revoked);
    backend = await startEchoBackend();
    f = await startTlsFixture(table());
  });

  after(async () => {
    await f?.stop();
    await backend?.close();
    for (const ca of [serverCa, clientRoot, int1, int2, otherCa]) ca?.dispose();
  });

  /** curl over HTTPS; `sni` is the URL's host (resolved to 127.0.0.1), `host` an optional Host header. */
  async function curl(sni: string, o: { cert?: TestLeaf; chain?: boolean; http2?: boolean; host?: string; headers?: string[] } = {}): Promise<CurlResult> {
    const args = ['-sS', '--max-time', '20', '--cacert', serverCa.certPath, '--resolve', `${sni}:${f.httpsPort}:127.0.0.1`, o.http2 === true ? '--http2' : '--http1.1', '-D', '-'];
    if (o.cert !== undefined) args.push('--cert', o.cert.certPath, '--key', o.cert.keyPath);
    if (o.host !== undefined) args.push('-H', `Host: ${o.host}`);
    for (const h of o.headers ?? []) args.push('-H', h);
    args.push('-w', '\n%{http_code} %{http_version}', `https://${sni}:${f.httpsPort}/path?q=1`);
    const { stdout } = await run('curl', args);
    const lastNl = stdout.lastIndexOf('\n');
    const [status, version] = stdout.slice(lastNl + 1).split(' ') as [string, string];
    const rest = stdout.slice(0, lastNl);
    const split = rest.indexOf('\r\n\r\n');
    return { status: Number(status), version, headers: rest.slice(0, split), body: rest.slice(split + 4) };
  }
  const upstream = (r: CurlResult): EchoReply['headers'] => (JSON.parse(r.body) as EchoReply).headers;

  it('on: a valid certificate passes over HTTP/1.1 and h2, with the ssl-client-* headers (RFC 2253) and the URL-escaped PEM; forged copies are dropped', async () => {
    for (const http2 of [false, true]) {
      const r = await curl('a.test', { cert: alice, http2, headers: ['ssl-client-verify: SUCCESS-forged', 'ssl-client-subject-dn: CN=admin', 'ssl-client-cert: forged'] });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.version, http2 ? '2' : '1.1');
      const h = upstream(r);
      assert.equal(h['ssl-client-verify'], 'SUCCESS');
      assert.equal(h['ssl-client-subject-dn'], 'CN=alice,O=Acme\\, Inc.');
      assert.equal(h['ssl-client-issuer-dn'], 'CN=Client Root');
      assert.equal(h['ssl-client-cert'], encodeURIComponent(alice.certPem));
    }
  });

  it('on: no certificate, or one from another CA, answers 400 (HTTP/1.1 and h2)', async () => {
    for (const http2 of [false, true]) {
      assert.equal((await curl('a.test', { http2 })).status, 400);
      assert.equal((await curl('a.test', { http2, cert: mallory })).status, 400);
    }
    const before = backend.count();
    await curl('a.test', { cert: mallory });
    assert.equal(backend.count(), before, 'a refused request never reaches the backend');
  });

  it('verify depth: one intermediate passes at the default depth 1; two need depth 2', async () => {
    const viaOne = await curl('a.test', { cert: bob });
    assert.equal(viaOne.status, 200);
    assert.equal(upstream(viaOne)['ssl-client-issuer-dn'], 'CN=Client Intermediate 1');
    assert.equal((await curl('d1.test', { cert: carol })).status, 400);
    const deep = await curl('d2.test', { cert: carol });
    assert.equal(deep.status, 200);
    assert.equal(upstream(deep)['ssl-client-verify'], 'SUCCESS');
  });

  it('a CRL: the revoked certificate answers 400, a good one passes', async () => {
    assert.equal((await curl('r.test', { cert: revoked })).status, 400);
    assert.equal((await curl('r.test', { cert: alice })).status, 200);
  });

  it('optional: no certificate passes with NONE (no DN headers); a bad one answers 400', async () => {
    const none = await curl('o.test', { headers: ['ssl-client-subject-dn: CN=forged'] });
    assert.equal(none.status, 200);
    assert.equal(upstream(none)['ssl-client-verify'], 'NONE');
    assert.equal(upstream(none)['ssl-client-subject-dn'], undefined);
    assert.equal((await curl('o.test', { cert: mallory })).status, 400);
    assert.equal(upstream(await curl('o.test', { cert: alice }))['ssl-client-verify'], 'SUCCESS');
  });

  it('optional_no_ca: any certificate passes, the verification result in ssl-client-verify', async () => {
    const bad = await curl('n.test', { cert: mallory });
    assert.equal(bad.status, 200);
    assert.match(String(upstream(bad)['ssl-client-verify']), /^FAILED:/);
    assert.equal(upstream(bad)['ssl-client-subject-dn'], 'CN=alice');
    assert.equal(upstream(await curl('n.test'))['ssl-client-verify'], 'NONE');
    assert.equal(upstream(await curl('n.test', { cert: alice }))['ssl-client-verify'], 'SUCCESS');
  });

  it('auth-tls-error-page: a refused request is redirected there (302)', async () => {
    const r = await curl('e.test');
    assert.equal(r.status, 302);
    assert.match(r.headers, /^location: https:\/\/errors\.example\/client-certificate$/im);
  });

  it('421: another host over an mTLS connection, and an mTLS host over another host\'s connection (HTTP/2 coalescing too)', async () => {
    for (const http2 of [false, true]) {
      assert.equal((await curl('a.test', { cert: alice, http2, host: 'b.test' })).status, 421, 'b.test over a.test');
      assert.equal((await curl('b.test', { cert: alice, http2, host: 'a.test' })).status, 421, 'a.test over b.test');
      assert.equal((await curl('o.test', { cert: alice, http2, host: 'a.test' })).status, 421, 'a.test over another mTLS host');
    }
    assert.equal((await curl('b.test')).status, 200, 'the other host itself is served');
  });

  it('no SNI: an mTLS host answers 400', async () => {
    const { stdout } = await run('curl', ['-sS', '-k', '--max-time', '20', '-H', 'Host: a.test', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${f.httpsPort}/`]);
    assert.equal(stdout, '400');
  });

  it('plain HTTP: the HTTPS redirect first (308); without it, 400', async () => {
    const redirected = await httpRequest(f.httpPort, { path: '/x', headers: { host: 'a.test' } });
    assert.equal(redirected.status, 308);
    const refused = await httpRequest(f.httpPort, { path: '/x', headers: { host: 'p.test' } });
    assert.equal(refused.status, 400);
  });

  it('only mTLS names get a CertificateRequest, naming only their CA', async () => {
    const plain = await sClient({ port: f.httpsPort, args: ['-servername', 'b.test'] });
    assert.match(plain, /No client certificate CA names sent/);
    assert.doesNotMatch(plain, /Acceptable client certificate CA names/);
    const noSni = await sClient({ port: f.httpsPort, args: ['-noservername'] });
    assert.match(noSni, /No client certificate CA names sent/);
    const mtls = await sClient({ port: f.httpsPort, args: ['-servername', 'o.test'] });
    assert.match(mtls, /Acceptable client certificate CA names\nCN = Client Root\n(?!CN = )/, 'only this host\'s CA is named');
  });

  it('no session resumption on mTLS names: a session from a verified handshake is never reused (every connection is verified again)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mtls-sess-'));
    try {
      const sess = join(dir, 'a.sess');
      const first = await sClient({ port: f.httpsPort, args: ['-servername', 'a.test', '-cert', alice.certPath, '-key', alice.keyPath], sessOut: sess });
      assert.match(first, /^New, /m);
      const again = await sClient({ port: f.httpsPort, args: ['-servername', 'a.test', '-sess_in', sess] });
      assert.match(again, /^New, /m);
      assert.doesNotMatch(again, /^Reused, /m);
      // The main server still resumes (nothing changed for hosts without client certificates).
      const plainSess = join(dir, 'b.sess');
      await sClient({ port: f.httpsPort, args: ['-servername', 'b.test'], sessOut: plainSess });
      assert.match(await sClient({ port: f.httpsPort, args: ['-servername', 'b.test', '-sess_in', plainSess] }), /^Reused, /m);
      // ... but its sessions are no way into an mTLS name.
      const crossed = await sClient({ port: f.httpsPort, args: ['-servername', 'a.test', '-sess_in', plainSess] });
      assert.match(crossed, /^New, /m);
      assert.match(crossed, /Acceptable client certificate CA names/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('WebSocket upgrades over HTTPS are checked the same way (101 with a certificate, 400 without, 421 across hosts)', async () => {
    const upgrade = (servername: string, host: string, cert?: TestLeaf): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = tlsConnect({
          host: '127.0.0.1', port: f.httpsPort, servername, ca: serverCa.certPem, ALPNProtocols: ['http/1.1'],
          ...(cert === undefined ? {} : { cert: cert.certPem, key: cert.keyPem }),
        });
        let head = '';
        socket.setTimeout(15_000, () => socket.destroy(new Error('no answer')));
        socket.on('secureConnect', () => socket.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
        socket.on('data', (chunk: Buffer) => {
          head += chunk.toString('latin1');
          if (head.includes('\r\n')) {
            socket.destroy();
            resolve(head.slice(0, head.indexOf('\r\n')));
          }
        });
        socket.on('error', reject);
      });
    assert.match(await upgrade('a.test', 'a.test', alice), /^HTTP\/1\.1 101 /);
    assert.match(await upgrade('a.test', 'a.test'), /^HTTP\/1\.1 400 /);
    assert.match(await upgrade('b.test', 'a.test', alice), /^HTTP\/1\.1 421 /);
    assert.match(await upgrade('a.test', 'b.test', alice), /^HTTP\/1\.1 421 /);
  });
});
