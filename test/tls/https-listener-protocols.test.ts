// Protocol versions, ciphers, ALPN, session resumption, HTTP/2 limits, and hostile bytes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../support/data-plane-fixture.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import type { EchoBackend } from '../support/echo-backend.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import type { TestCa, TestLeaf } from '../support/certs.ts';
import { routeTable } from '../support/route-tables.ts';
import { sClient } from './openssl-client.ts';
import { h2Get, h2Session, handshake, httpsGet } from './tls-client.ts';
import { startTlsFixture, tlsSecret } from './tls-fixture.ts';
import type { TlsFixture } from './tls-fixture.ts';
import { tlsTable } from './tls-tables.ts';

describe('HTTPS listener: protocols and resilience', () => {
  let ca: TestCa;
  let foo: TestLeaf;
  let backend: EchoBackend;
  let f: TlsFixture;
  let dir: string;
  before(async () => {
    ca = makeCa();
    foo = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'ec' });
    backend = await startEchoBackend();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
    const table = routeTable({
      hosts: { 'foo.example.com': { routes: [{ path: '/', backend: 'default/echo:80' }], tls: 'default/foo-tls' } },
      backends: { 'default/echo:80': [`127.0.0.1:${backend.port}`] },
    });
    f = await startTlsFixture(tlsTable([{ id: 'default/foo-tls', certPem: foo.chainPem, keyPem: foo.keyPem, hosts: ['foo.example.com'] }], table), {
      listener: { ticketKeyRotationMs: 60_000 },
    });
  });
  after(async () => {
    await f.stop();
    await backend.close();
    ca.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function stillServes(): Promise<void> {
    const r = await httpsGet(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem, path: '/alive' });
    assert.equal(r.status, 200);
  }

  it('refuses TLS 1.0 and 1.1 (openssl s_client), accepts 1.2 and 1.3', async () => {
    // Control: the same client offer does complete against a server that allows old versions, so
    // the refusal below is Gatehouse's, not the client's.
    const legacy = createTlsServer({ cert: foo.certPem, key: foo.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', () => resolve()));
    try {
      const control = await sClient({ port: (legacy.address() as AddressInfo).port, args: ['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-servername', 'foo.example.com'] });
      assert.match(control, /New, TLSv1(\.0)?, Cipher is ECDHE/, control);
    } finally {
      legacy.close();
    }
    for (const flag of ['-tls1', '-tls1_1']) {
      const out = await sClient({ port: f.httpsPort, args: [flag, '-cipher', 'DEFAULT:@SECLEVEL=0', '-servername', 'foo.example.com'] });
      assert.match(out, /alert protocol version/, `${flag}: ${out}`);
      assert.match(out, /Cipher is \(NONE\)/);
    }
    for (const [flag, version] of [['-tls1_2', 'TLSv1.2'], ['-tls1_3', 'TLSv1.3']] as const) {
      const out = await sClient({ port: f.httpsPort, args: [flag, '-servername', 'foo.example.com', '-CAfile', ca.certPath] });
      assert.match(out, new RegExp(`New, ${version.replace('.', '\\.')}, Cipher is `), out);
      assert.match(out, /Verify return code: 0 \(ok\)/);
    }
    // Node's client agrees, with the versions pinned.
    await assert.rejects(
      handshake(f.httpsPort, { servername: 'foo.example.com', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      /protocol version|unsupported protocol/i,
    );
  });

  it('offers only the Mozilla intermediate TLS 1.2 suites', async () => {
    for (const weak of ['AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384']) {
      await assert.rejects(
        handshake(f.httpsPort, { servername: 'foo.example.com', maxVersion: 'TLSv1.2', ciphers: weak }),
        /handshake failure|no shared cipher|alert/i,
        weak,
      );
    }
    for (const good of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      const r = await handshake(f.httpsPort, { servername: 'foo.example.com', maxVersion: 'TLSv1.2', ciphers: good });
      assert.equal(r.cipher, good);
    }
    await stillServes();
  });

  it('negotiates h2 and http/1.1 by ALPN, and serves a client that offers no ALPN', async () => {
    assert.equal((await handshake(f.httpsPort, { servername: 'foo.example.com', ALPNProtocols: ['h2', 'http/1.1'] })).alpnProtocol, 'h2');
    assert.equal((await handshake(f.httpsPort, { servername: 'foo.example.com', ALPNProtocols: ['http/1.1'] })).alpnProtocol, 'http/1.1');
    assert.equal((await handshake(f.httpsPort, { ALPNProtocols: ['h2'] })).alpnProtocol, 'h2', 'ALPN with the default certificate too');
    const out = await sClient({ port: f.httpsPort, args: ['-alpn', 'h2,http/1.1', '-servername', 'foo.example.com'] });
    assert.match(out, /ALPN protocol: h2/);
    // No ALPN at all (old clients, curl --no-alpn): served as HTTP/1.1.
    const r = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: f.httpsPort, servername: 'foo.example.com', ca: ca.certPem }, () => {
        s.write('GET /no-alpn HTTP/1.1\r\nHost: foo.example.com\r\nConnection: close\r\n\r\n');
      });
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    assert.match(r, /^HTTP\/1\.1 200 /);
  });

  it('advertises bounded HTTP/2 settings', async () => {
    const session = await h2Session(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem });
    try {
      let settingsSeen = false;
      session.once('remoteSettings', () => (settingsSeen = true));
      await h2Get(session, { authority: 'foo.example.com', path: '/settings' });
      await waitFor(() => settingsSeen, 5000, 'server SETTINGS');
      assert.equal(session.remoteSettings.maxConcurrentStreams, 128);
      assert.equal(session.remoteSettings.maxHeaderListSize, 16 * 1024);
      assert.equal(session.remoteSettings.enablePush, false);
      const r = await h2Get(session, { authority: 'foo.example.com', path: '/h2' });
      assert.equal(r.status, 200);
    } finally {
      session.close();
    }
  });

  it('resumes sessions: Node TLS 1.2 and 1.3, openssl -sess_out/-sess_in', async () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const first = await handshake(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem, maxVersion });
      assert.equal(first.reused, false);
      assert.ok(first.session !== undefined, `${maxVersion} session`);
      const second = await handshake(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem, maxVersion, session: first.session });
      assert.equal(second.reused, true, `${maxVersion} resumption`);
    }
    for (const flag of ['-tls1_2', '-tls1_3']) {
      const sess = join(dir, `sess${flag}.pem`);
      const first = await sClient({ port: f.httpsPort, args: [flag, '-servername', 'foo.example.com'], sessOut: sess });
      assert.match(first, /New, TLSv1\.[23]/, first);
      const second = await sClient({ port: f.httpsPort, args: [flag, '-servername', 'foo.example.com', '-sess_in', sess] });
      assert.match(second, /Reused, TLSv1\.[23]/, `${flag}: ${second}`);
    }
  });

  it('survives garbage, plaintext, resets and broken HTTP/2, and keeps serving', async () => {
    const raw = (bytes: Buffer | string): Promise<void> =>
      new Promise((resolve) => {
        const s = netConnect(f.httpsPort, '127.0.0.1', () => s.end(bytes));
        s.resume(); // read the server's alert, and so its FIN
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.setTimeout(5000, () => s.destroy());
      });
    await raw(Buffer.from('this is not TLS at all\r\n\r\n'));
    await raw('GET / HTTP/1.1\r\nHost: foo.example.com\r\n\r\n');
    await raw(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00])); // a ClientHello that claims 64 KiB and stops
    // A handshake cut by a reset half way.
    await new Promise<void>((resolve) => {
      const tcp = netConnect(f.httpsPort, '127.0.0.1');
      const s = tlsConnect({ socket: tcp, servername: 'foo.example.com', rejectUnauthorized: false });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      // The ClientHello is written on connect; reset before the server's answer is read.
      tcp.once('connect', () => setImmediate(() => tcp.resetAndDestroy()));
    });
    // Negotiate h2, then send garbage instead of the connection preface; and a TLS socket reset mid-request.
    for (const payload of ['NOT A PREFACE AT ALL, NOT EVEN CLOSE\r\n\r\n', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x01\x00\x00\x00\x00\x00garbage']) {
      await new Promise<void>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port: f.httpsPort, servername: 'foo.example.com', ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
          s.write(payload);
        });
        s.on('data', () => {});
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.setTimeout(5000, () => s.destroy());
      });
    }
    await new Promise<void>((resolve) => {
      const tcp = netConnect(f.httpsPort, '127.0.0.1');
      const s = tlsConnect({ socket: tcp, servername: 'foo.example.com', rejectUnauthorized: false }, () => {
        s.write('GET /?echo-delay-ms=200 HTTP/1.1\r\nHost: foo.example.com\r\n\r\n');
        setTimeout(() => tcp.resetAndDestroy(), 20);
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    // An HTTP/2 client that resets a stream at once, many times (rapid reset), then goes away. The
    // streams are for a host Gatehouse answers itself: this is about the session, not the proxy.
    const session = await h2Session(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem });
    session.on('error', () => {});
    for (let i = 0; i < 50; i++) {
      const stream = session.request({ ':path': '/', ':authority': 'no-such-host.example.com' });
      stream.on('error', () => {});
      stream.close(8); // NGHTTP2_CANCEL
    }
    session.destroy();
    await stillServes();
    assert.equal((await handshake(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem })).authorized, true);
  });
});

describe('HTTPS listener: session tickets', () => {
  it('rotates ticket keys (old tickets stop resuming, new ones do) and keeps them across a default change', async () => {
    const ca = makeCa();
    const foo = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'rsa' });
    const ops = makeLeaf(ca, { names: ['default.ops.example'], keyType: 'ec' });
    const table = tlsTable([{ id: 'default/foo-tls', certPem: foo.chainPem, keyPem: foo.keyPem, hosts: ['foo.example.com'] }]);
    const f = await startTlsFixture(table, { listener: { ticketKeyRotationMs: 300, defaultTlsSecret: 'ops/default' }, secrets: new Map() });
    try {
      const opts = { servername: 'foo.example.com', ca: ca.certPem, maxVersion: 'TLSv1.3' as const };
      const first = await handshake(f.httpsPort, opts);
      let reused = true;
      const deadline = Date.now() + 10_000;
      while (reused && Date.now() < deadline) {
        reused = (await handshake(f.httpsPort, { ...opts, session: first.session })).reused;
        if (reused) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(reused, false, 'a ticket sealed with a retired key no longer resumes');

      // Changing the default certificate replaces the server's own context: tickets must still work.
      const f2 = await startTlsFixture(table, { listener: { defaultTlsSecret: 'ops/default' }, secrets: new Map() });
      try {
        const before = await handshake(f2.httpsPort, opts);
        f2.apply(table, new Map([['ops/default', tlsSecret('ops', 'default', { 'tls.crt': ops.chainPem, 'tls.key': ops.keyPem })]]));
        assert.equal((await handshake(f2.httpsPort, {})).fingerprint, ops.fingerprint);
        const after = await handshake(f2.httpsPort, { ...opts, session: before.session });
        assert.equal(after.reused, true, 'tickets issued before the default changed still resume');
      } finally {
        await f2.stop();
      }
    } finally {
      await f.stop();
      ca.dispose();
    }
  });
});

describe('HTTP/2 session idle timeout', () => {
  it('closes an idle session with GOAWAY, letting a slow request in flight finish', async () => {
    const ca = makeCa();
    const foo = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'ec' });
    const backend = await startEchoBackend();
    const table = routeTable({
      hosts: { 'foo.example.com': { routes: [{ path: '/', backend: 'default/echo:80' }], tls: 'default/foo-tls' } },
      backends: { 'default/echo:80': [`127.0.0.1:${backend.port}`] },
    });
    const f = await startTlsFixture(tlsTable([{ id: 'default/foo-tls', certPem: foo.chainPem, keyPem: foo.keyPem, hosts: ['foo.example.com'] }], table), {
      listener: { http2: { idleSessionTimeoutMs: 300 } },
    });
    try {
      const session = await h2Session(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem });
      session.on('error', () => {});
      let goaway = false;
      let closed = false;
      session.on('goaway', () => (goaway = true));
      session.on('close', () => (closed = true));
      // Quiet for longer than the idle timeout while the backend thinks: the answer still arrives.
      const slow = await h2Get(session, { authority: 'foo.example.com', path: '/?echo-delay-ms=900' });
      assert.equal(slow.status, 200);
      await waitFor(() => closed, 5000, 'the idle session to close');
      assert.equal(goaway, true, 'closed gracefully, with GOAWAY');
      // The listener itself is unaffected.
      assert.equal((await httpsGet(f.httpsPort, { servername: 'foo.example.com', ca: ca.certPem })).status, 200);
    } finally {
      await f.stop();
      await backend.close();
      ca.dispose();
    }
  });
});
