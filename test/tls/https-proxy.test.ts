// HTTPS through the real DataPlane: routing, HTTP/2 to HTTP/1.1 pods, X-Forwarded-Proto, HSTS,
// the plain-HTTP redirect, and certificate rotation under load without a failed request.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RouteTable } from '../../src/core/route-table.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import type { EchoBackend, EchoReply } from '../support/echo-backend.ts';
import { httpRequest } from '../support/http-client.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import type { TestCa, TestLeaf } from '../support/certs.ts';
import { routeTable } from '../support/route-tables.ts';
import { h2Get, h2Session, handshake, httpsGet } from './tls-client.ts';
import { startTlsFixture } from './tls-fixture.ts';
import type { TlsFixture } from './tls-fixture.ts';
import { tlsTable } from './tls-tables.ts';

const run = promisify(execFile);

describe('HTTPS through the data plane', () => {
  let ca: TestCa;
  let foo: TestLeaf;
  let bar: TestLeaf;
  let fooNext: TestLeaf;
  let backend: EchoBackend;
  let f: TlsFixture;

  function table(fooCert: TestLeaf = foo): RouteTable {
    const routes = routeTable({
      hosts: {
        'foo.example.com': { routes: [{ path: '/', backend: 'default/echo:80' }], tls: 'default/foo-tls' },
        'bar.example.com': { routes: [{ path: '/', backend: 'default/echo:80', policy: 'default/bar' }], tls: 'default/bar-tls' },
        'plain.example.com': { routes: [{ path: '/', backend: 'default/echo:80', policy: 'default/no-redirect' }], tls: 'default/bar-tls' },
        'http-only.example.com': { routes: [{ path: '/', backend: 'default/echo:80' }] },
      },
      backends: { 'default/echo:80': [`127.0.0.1:${backend.port}`] },
      policies: {
        'default/bar': { hsts: { maxAgeSeconds: 31536000, includeSubDomains: true, preload: false } },
        'default/no-redirect': { sslRedirect: false },
      },
    });
    return tlsTable(
      [
        { id: 'default/foo-tls', certPem: fooCert.chainPem, keyPem: fooCert.keyPem, hosts: ['foo.example.com'] },
        { id: 'default/bar-tls', certPem: bar.chainPem, keyPem: bar.keyPem, hosts: ['bar.example.com', 'plain.example.com'] },
      ],
      routes,
    );
  }

  before(async () => {
    ca = makeCa();
    foo = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'rsa' });
    fooNext = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'ec' });
    bar = makeLeaf(ca, { names: ['bar.example.com', 'plain.example.com'], keyType: 'ec' });
    backend = await startEchoBackend();
    f = await startTlsFixture(table(), { redirectPort: 8443 });
  });
  after(async () => {
    await f.stop();
    await backend.close();
    ca.dispose();
  });

  it('routes HTTPS/1.1 like HTTP, with X-Forwarded-Proto: https at the backend', async () => {
    const r = await httpsGet(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem, path: '/a/b?x=1' });
    assert.equal(r.status, 200);
    assert.equal(r.fingerprint, foo.fingerprint);
    assert.equal(r.alpn, 'http/1.1');
    const echo = JSON.parse(r.body.toString()) as EchoReply;
    assert.equal(echo.url, '/a/b?x=1');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.equal(echo.headers.host, 'foo.example.com');
    assert.equal(r.headers['strict-transport-security'], undefined, 'no HSTS unless the Ingress asks');
  });

  it('serves HTTP/2 clients (Node http2) and forwards to the pod over HTTP/1.1', async () => {
    const session = await h2Session(f.httpsPort, { servername: 'bar.example.com', ca: ca.certPem });
    try {
      const results = await Promise.all([1, 2, 3].map((i) => h2Get(session, { authority: 'bar.example.com', path: `/h2/${i}` })));
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 200);
        const echo = JSON.parse(r.body.toString()) as EchoReply;
        assert.equal(echo.url, `/h2/${i + 1}`);
        assert.equal(echo.httpVersion, '1.1');
        assert.equal(echo.headers['x-forwarded-proto'], 'https');
        assert.equal(echo.headers.host, 'bar.example.com');
        assert.equal(r.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
      }
      const missing = await h2Get(session, { authority: 'nowhere.example.com', path: '/' });
      assert.equal(missing.status, 404, 'same routing and errors as HTTP/1.1');
    } finally {
      session.close();
    }
  });

  it('curl --http2 with --resolve and the test CA: HTTP/2, right certificate, HSTS', async () => {
    const { stdout } = await run('curl', [
      '-sS', '--http2', '--resolve', `bar.example.com:${f.httpsPort}:127.0.0.1`, '--cacert', ca.certPath,
      '-D', '-', '-o', '/dev/null', '-w', 'version=%{http_version}\n', `https://bar.example.com:${f.httpsPort}/curl`,
    ]);
    assert.match(stdout, /^HTTP\/2 200/m);
    assert.match(stdout, /^strict-transport-security: max-age=31536000; includeSubDomains/m);
    assert.match(stdout, /^version=2$/m);
    const http1 = await run('curl', ['-sS', '--http1.1', '--resolve', `foo.example.com:${f.httpsPort}:127.0.0.1`, '--cacert', ca.certPath, '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `https://foo.example.com:${f.httpsPort}/`]);
    assert.equal(http1.stdout, '200 1.1');
  });

  it('redirects plain HTTP for TLS hosts with 308 (unless opted out); HSTS only over HTTPS', async () => {
    const r = await httpRequest(f.httpPort, { host: 'foo.example.com', path: '/x/y?q=1' });
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://foo.example.com:8443/x/y?q=1');
    const hsts = await httpRequest(f.httpPort, { host: 'bar.example.com', path: '/' });
    assert.equal(hsts.status, 308);
    assert.equal(hsts.headers['strict-transport-security'], undefined, 'HSTS is never sent over plain HTTP');
    const optOut = await httpRequest(f.httpPort, { host: 'plain.example.com', path: '/' });
    assert.equal(optOut.status, 200, 'gatehouse.dev/ssl-redirect: "false"');
    assert.equal((JSON.parse(optOut.body.toString()) as EchoReply).headers['x-forwarded-proto'], 'http');
    const noTls = await httpRequest(f.httpPort, { host: 'http-only.example.com', path: '/' });
    assert.equal(noTls.status, 200, 'a host without TLS is not redirected');
  });

  it('rotates a certificate for new handshakes and leaves open connections alone', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem });
    const session = await h2Session(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem });
    try {
      const before1 = await httpsGet(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem, agent });
      assert.equal(before1.fingerprint, foo.fingerprint);
      assert.equal((await h2Get(session, { authority: 'foo.example.com' })).status, 200);

      f.apply(table(fooNext));
      assert.equal((await handshake(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem })).fingerprint, fooNext.fingerprint);

      // The kept-alive HTTP/1.1 connection still shows (and uses) the old certificate: it was not broken.
      const after1 = await httpsGet(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem, agent });
      assert.equal(after1.status, 200);
      assert.equal(after1.fingerprint, foo.fingerprint, 'same connection as before the rotation');
      assert.equal((await h2Get(session, { authority: 'foo.example.com' })).status, 200, 'the HTTP/2 session lives on');
      assert.equal(f.https.status().contexts, 3, 'foo (new), bar, and the default; the old foo context is dropped');
    } finally {
      session.close();
      agent.destroy();
      f.apply(table());
    }
  });

  it('rotation under a bounded concurrent load fails no request', async () => {
    const workers = 6;
    const certs = [foo, fooNext];
    const seen = new Set<string>();
    const failures: string[] = [];
    let completed = 0;
    let stop = false;
    const worker = async (w: number): Promise<void> => {
      const session = w % 2 === 0 ? await h2Session(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem }) : undefined;
      try {
        while (!stop) {
          try {
            if (session !== undefined) {
              const r = await h2Get(session, { authority: 'foo.example.com', path: `/load/${w}` });
              if (r.status !== 200) failures.push(`h2 ${r.status}`);
            } else {
              // A new TLS connection each time: each one sees the certificate current at its handshake.
              const r = await httpsGet(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem, path: `/load/${w}` });
              if (r.status !== 200) failures.push(`h1 ${r.status}`);
              seen.add(r.fingerprint);
            }
            completed++;
          } catch (error) {
            failures.push(String(error));
          }
        }
      } finally {
        session?.close();
      }
    };
    const running = Array.from({ length: workers }, (_, w) => worker(w));
    for (let i = 0; i < 6; i++) {
      const target = completed + 20;
      while (completed < target && failures.length === 0) await new Promise((r) => setTimeout(r, 10));
      f.apply(table(certs[(i + 1) % 2]));
    }
    const target = completed + 20;
    while (completed < target && failures.length === 0) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    await Promise.all(running);
    assert.deepEqual(failures, []);
    assert.ok(seen.has(foo.fingerprint) && seen.has(fooNext.fingerprint), 'both certificates were served during the run');
    f.apply(table());
  });

  it('never writes key material to the log', () => {
    const text = f.lines.join('\n');
    assert.ok(f.lines.length > 0);
    for (const leaf of [foo, fooNext, bar]) {
      for (const line of leaf.keyPem.split('\n').slice(1, -2)) assert.ok(!text.includes(line), 'a key line appeared in the log');
    }
    assert.doesNotMatch(text, /PRIVATE KEY/);
  });
});
