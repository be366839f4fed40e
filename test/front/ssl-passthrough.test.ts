// SSL passthrough through the HTTPS listener's front door: the ClientHello parser on real
// ClientHellos (whole, fragmented over records, without SNI, corrupted), then real clients (curl,
// openssl s_client, Node) through Gatehouse to a TLS backend whose own certificate the client sees
// (proof that Gatehouse does not terminate), other hosts still terminated, refused hosts closed,
// malformed / slow ClientHellos closed, with and without a PROXY header in front.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, connect as netConnect, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { parseClientHello } from '../../src/dataplane/front/client-hello.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createHttpsListener, type HttpsListener } from '../../src/dataplane/tls/https-listener.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from '../support/certs.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { rawExchange } from '../support/raw-http.ts';
import { routeTable } from '../support/route-tables.ts';
import { sClient } from '../tls/openssl-client.ts';
import { tlsTable } from '../tls/tls-tables.ts';

/** The first bytes a real Node TLS client sends (its ClientHello), captured on a plain TCP server. */
async function captureClientHello(servername: string | undefined): Promise<Buffer> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const captured = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (parseClientHello(buf).kind !== 'incomplete') {
          socket.destroy();
          resolve(buf);
        }
      });
    });
  });
  const client = tlsConnect({ host: '127.0.0.1', port, ...(servername === undefined ? {} : { servername }), rejectUnauthorized: false });
  client.on('error', () => {});
  const hello = await captured;
  client.destroy();
  server.close();
  return hello;
}

/** The same handshake bytes re-framed into records of at most `size` bytes. */
function reframe(hello: Buffer, size: number): Buffer {
  const handshake = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let i = 0; i < handshake.length; i += size) {
    const part = handshake.subarray(i, i + size);
    const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    records.push(header, part);
  }
  return Buffer.concat(records);
}

test('ClientHello parser: real hellos, fragmented, byte by byte, without SNI, and corrupted', async () => {
  const hello = await captureClientHello('Pass.Example.COM');
  assert.deepEqual(parseClientHello(hello), { kind: 'hello', serverName: 'pass.example.com' });
  for (const size of [1, 7, 100]) assert.deepEqual(parseClientHello(reframe(hello, size)), { kind: 'hello', serverName: 'pass.example.com' }, `records of ${size}`);
  for (let n = 0; n < hello.length; n += 37) assert.equal(parseClientHello(hello.subarray(0, n)).kind, 'incomplete', `${n} bytes`);
  const noSni = await captureClientHello(undefined);
  assert.deepEqual(parseClientHello(noSni), { kind: 'hello' });

  const invalid = (bytes: Buffer, what: string): void => assert.equal(parseClientHello(bytes).kind, 'invalid', what);
  invalid(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 'HTTP');
  invalid(Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01]), 'SSLv2 hello');
  invalid(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]), 'empty record');
  invalid(Buffer.from([0x16, 0x02, 0x00, 0x00, 0x05, 1, 0, 0, 1, 0]), 'SSL 2.0 record version');
  invalid(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 2, 0, 0, 0]), 'a ServerHello');
  invalid(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 1, 0xff, 0xff, 0xff]), 'a 16 MiB ClientHello');
  const message = hello.subarray(5);
  // Corrupt the extensions block length (right after the compression methods).
  const sessionIdLength = message[4 + 34]!;
  const suitesAt = 4 + 35 + sessionIdLength;
  const compressionAt = suitesAt + 2 + message.readUInt16BE(suitesAt);
  const extensionsAt = compressionAt + 1 + message[compressionAt]!;
  const broken = Buffer.from(hello);
  broken.writeUInt16BE(message.readUInt16BE(extensionsAt) + 1, 5 + extensionsAt);
  invalid(broken, 'extensions length larger than the message');
  // A control byte in the server name.
  const nameAt = Buffer.from(hello.toString('latin1').toLowerCase(), 'latin1').indexOf('pass.example.com');
  const evil = Buffer.from(hello);
  evil[nameAt + 4] = 0x0a;
  invalid(evil, 'newline in the SNI');
  // A non-handshake record before the hello is complete.
  const fragmented = reframe(hello, 100);
  const interleaved = Buffer.concat([fragmented.subarray(0, 105), Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0x00]), fragmented.subarray(105)]);
  invalid(interleaved, 'application data inside the hello');
});

interface World {
  ca: TestCa;
  backendCa: TestCa;
  backendLeaf: TestLeaf;
  termLeaf: TestLeaf;
  tlsBackend: HttpsServer;
  tlsBackendPort: number;
  echo: EchoBackend;
  dataPlane: DataPlane;
  https: HttpsListener;
  port: number;
  proxied: HttpsListener;
  proxiedPort: number;
  table: RouteTable;
}

let w: World;

before(async () => {
  const ca = makeCa({ name: 'gatehouse-ca' });
  const backendCa = makeCa({ name: 'backend-ca' });
  const backendLeaf = makeLeaf(backendCa, { names: ['pass.test', 'a.wild.test'] });
  const termLeaf = makeLeaf(ca, { names: ['term.test', 'pass.test'] });
  // The TLS backend: answers with the server name it was asked for, over its own certificate.
  const tlsBackend = createHttpsServer({ cert: backendLeaf.certPem, key: backendLeaf.keyPem }, (req, res) => {
    res.setHeader('content-type', 'text/plain');
    const body = Buffer.alloc(Number(new URL(req.url ?? '/', 'https://x').searchParams.get('bytes') ?? '0'), 'x');
    res.end(Buffer.concat([Buffer.from(`from-tls-backend sni=${(req.socket as import('node:tls').TLSSocket).servername}\n`), body]));
  });
  await new Promise<void>((resolve) => tlsBackend.listen(0, '127.0.0.1', () => resolve()));
  const tlsBackendPort = (tlsBackend.address() as AddressInfo).port;
  const echo = await startEchoBackend();
  const base = routeTable({
    hosts: {
      'term.test': { routes: [{ path: '/', backend: 'default/echo:80' }], tls: 'default/term' },
      'pass.test': { routes: [{ path: '/', backend: 'default/tls-app:443' }] },
    },
    backends: { 'default/echo:80': [`127.0.0.1:${echo.port}`], 'default/tls-app:443': [`127.0.0.1:${tlsBackendPort}`], 'default/down:443': [] },
  });
  const table = tlsTable([{ id: 'default/term', certPem: termLeaf.certPem, keyPem: termLeaf.keyPem, hosts: ['term.test', 'pass.test'] }], base);
  table.passthrough = [
    { host: '*.wild.test', ingress: 'default/ing', backend: 'default/tls-app:443' },
    { host: 'closed.test', ingress: 'default/guarded', backend: 'default/tls-app:443', refused: 'SslPassthroughWithProtection' },
    { host: 'down.test', ingress: 'default/down', backend: 'default/down:443' },
    { host: 'pass.test', ingress: 'default/ing', backend: 'default/tls-app:443' },
  ];
  const logger = createLogger({ level: 'debug', write: (l) => { if (process.env['DEBUG_TLSEDGE']) process.stderr.write(l + '\n'); } });
  const dataPlane = new DataPlane({ logger });
  dataPlane.apply(table);
  const https = createHttpsListener({ dataPlane, logger, front: { proxyProtocol: false, passthrough: true, clientHelloTimeoutMs: 1500 } });
  https.apply(table);
  const port = await https.listen('127.0.0.1', 0);
  // A second listener with a PROXY header in front of the ClientHello.
  const proxied = createHttpsListener({ dataPlane, logger, front: { proxyProtocol: true, passthrough: true, clientHelloTimeoutMs: 1500 } });
  proxied.apply(table);
  const proxiedPort = await proxied.listen('127.0.0.1', 0);
  w = { ca, backendCa, backendLeaf, termLeaf, tlsBackend, tlsBackendPort, echo, dataPlane, https, port, proxied, proxiedPort, table };
});

after(async () => {
  await w.dataPlane.stop(1000);
  await w.https.close();
  await w.proxied.close();
  w.tlsBackend.closeAllConnections();
  await new Promise<void>((resolve) => w.tlsBackend.close(() => resolve()));
  await w.echo.close();
});

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

test('curl reaches the TLS backend through Gatehouse and verifies the BACKEND\'s certificate (no termination)', async () => {
  const r = await curl(['--cacert', w.backendCa.certPath, '--resolve', `pass.test:${w.port}:127.0.0.1`, `https://pass.test:${w.port}/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from-tls-backend sni=pass.test\n');
  // Gatehouse's certificate for pass.test (it has one in the table) is never shown: with its CA, curl refuses.
  const withGatehouseCa = await curl(['--cacert', w.ca.certPath, '--resolve', `pass.test:${w.port}:127.0.0.1`, `https://pass.test:${w.port}/`]);
  assert.notEqual(withGatehouseCa.code, 0);
  // h2 is whatever the backend speaks (Node's https server: HTTP/1.1 by ALPN).
  const big = await curl(['--cacert', w.backendCa.certPath, '--resolve', `pass.test:${w.port}:127.0.0.1`, `https://pass.test:${w.port}/?bytes=5000000`, '-o', '/dev/null', '-w', '%{size_download}']);
  assert.equal(big.code, 0, big.stderr);
  assert.equal(Number(big.stdout), 5_000_000 + 'from-tls-backend sni=pass.test\n'.length);
});

test('openssl s_client sees the backend\'s certificate for a passthrough name (wildcard too), Gatehouse\'s for others', async () => {
  const pass = await sClient({ port: w.port, args: ['-servername', 'pass.test', '-CAfile', w.backendCa.certPath] });
  assert.match(pass, /issuer=.*backend-ca/);
  assert.match(pass, /Verify return code: 0 \(ok\)/);
  const wild = await sClient({ port: w.port, args: ['-servername', 'a.wild.test', '-CAfile', w.backendCa.certPath] });
  assert.match(wild, /issuer=.*backend-ca/);
  const term = await sClient({ port: w.port, args: ['-servername', 'term.test', '-CAfile', w.ca.certPath] });
  assert.match(term, /issuer=.*gatehouse-ca/);
  assert.match(term, /Verify return code: 0 \(ok\)/);
});

test('other hosts are still terminated and served by the data plane (HTTP/1.1 and h2)', async () => {
  const r = await curl(['--cacert', w.ca.certPath, '--resolve', `term.test:${w.port}:127.0.0.1`, `https://term.test:${w.port}/hello`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).url, '/hello');
  const h2 = await curl(['--http2', '--cacert', w.ca.certPath, '--resolve', `term.test:${w.port}:127.0.0.1`, `https://term.test:${w.port}/h2`, '-w', '\n%{http_version}']);
  assert.equal(h2.code, 0, h2.stderr);
  assert.ok(h2.stdout.endsWith('\n2'), h2.stdout);
});

test('no SNI: terminated with the default certificate, never passed through', async () => {
  const out = await sClient({ port: w.port, args: ['-noservername'] });
  assert.match(out, /CN ?= ?Gatehouse/i);
  assert.doesNotMatch(out, /backend-ca/);
});

test('a refused passthrough host and one without endpoints: the connection is closed, nothing reaches the backend', async () => {
  for (const host of ['closed.test', 'down.test']) {
    const r = await curl(['--cacert', w.backendCa.certPath, '--resolve', `${host}:${w.port}:127.0.0.1`, `https://${host}:${w.port}/`]);
    assert.notEqual(r.code, 0, host);
    assert.equal(r.stdout, '', host);
  }
});

test('malformed, non-TLS and slow ClientHellos are closed without an answer; the listener keeps serving', async () => {
  for (const bytes of [Buffer.from('GET / HTTP/1.1\r\nHost: pass.test\r\n\r\n'), Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 1, 0xff, 0xff, 0xff])]) {
    const r = await rawExchange(w.port, bytes, { timeoutMs: 10_000 });
    assert.equal(r.closed, true);
    assert.equal(r.raw.length, 0);
  }
  const hello = await captureClientHello('pass.test');
  const slow = await rawExchange(w.port, hello.subarray(0, 20), { timeoutMs: 15_000 });
  assert.equal(slow.closed, true, 'closed by the 1.5 s ClientHello deadline');
  assert.equal(slow.raw.length, 0);
  const again = await curl(['--cacert', w.backendCa.certPath, '--resolve', `pass.test:${w.port}:127.0.0.1`, `https://pass.test:${w.port}/`]);
  assert.equal(again.code, 0, again.stderr);
});

test('with a PROXY header in front: passthrough and termination both work', async () => {
  const viaProxy = (servername: string, ca: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const raw = netConnect({ host: '127.0.0.1', port: w.proxiedPort }, () => {
        raw.write('PROXY TCP4 203.0.113.5 10.0.0.1 1 443\r\n');
        const socket = tlsConnect({ socket: raw, servername, ca, ALPNProtocols: ['http/1.1'] }, () => {
          socket.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
        });
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
        socket.on('error', reject);
      });
      raw.on('error', reject);
    });
  assert.match(await viaProxy('pass.test', w.backendCa.certPem), /from-tls-backend sni=pass.test/);
  const term = await viaProxy('term.test', w.ca.certPem);
  assert.match(term, /"x-forwarded-for":"203\.0\.113\.5"/);
});

test('a table swap moves new connections: a host that stops being passthrough is terminated', async () => {
  const next: RouteTable = { ...w.table, passthrough: w.table.passthrough!.filter((p) => p.host !== 'pass.test') };
  w.dataPlane.apply(next);
  w.https.apply(next);
  try {
    const out = await sClient({ port: w.port, args: ['-servername', 'pass.test', '-CAfile', w.ca.certPath] });
    assert.match(out, /issuer=.*gatehouse-ca/);
  } finally {
    w.dataPlane.apply(w.table);
    w.https.apply(w.table);
  }
});

test('an idle passthrough connection is closed after the idle timeout (both sides)', async () => {
  const logger = createLogger({ level: 'info', write: () => {} });
  // Its own data plane: a listener's server is closed once, by its own stop.
  const dataPlane = new DataPlane({ logger });
  dataPlane.apply(w.table);
  const idle = createHttpsListener({ dataPlane, logger, front: { proxyProtocol: false, passthrough: true, passthroughIdleTimeoutMs: 1000 } });
  idle.apply(w.table);
  const port = await idle.listen('127.0.0.1', 0);
  try {
    const started = Date.now();
    const closed = await new Promise<boolean>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'pass.test', ca: w.backendCa.certPem }, () => {
        // Handshake done with the backend itself; now say nothing.
        assert.equal(socket.authorized, true);
      });
      socket.on('close', () => resolve(true));
      socket.on('error', () => {});
      setTimeout(() => reject(new Error('not closed within 20 s')), 20_000).unref();
    });
    assert.equal(closed, true);
    assert.ok(Date.now() - started >= 900, 'not before the idle timeout');
  } finally {
    await dataPlane.stop(1000);
    await idle.close();
  }
});
