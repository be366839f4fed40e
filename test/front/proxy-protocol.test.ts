// PROXY protocol v1/v2 on both listeners (--proxy-protocol): the parser's table, then real sockets
// through the front door into the data plane: the address reaches X-Forwarded-For, the access log
// and source ranges; garbage, a slow header and a header-less connection are closed; and through TLS.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createFrontDoor, type FrontDoor } from '../../src/dataplane/front/front-door.ts';
import { handOffToEngine } from '../../src/dataplane/front/hand-off.ts';
import { parseProxyHeader } from '../../src/dataplane/front/proxy-protocol-header.ts';
import { createHttpsListener, type HttpsListener } from '../../src/dataplane/tls/https-listener.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { parseResponse, rawExchange } from '../support/raw-http.ts';
import { routeTable } from '../support/route-tables.ts';

const V2_SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(command: number, family: number, addresses: Buffer, tlvs: Buffer = Buffer.alloc(0)): Buffer {
  const payload = Buffer.concat([addresses, tlvs]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(payload.length);
  return Buffer.concat([V2_SIG, Buffer.from([0x20 | command, family]), length, payload]);
}

function tcp4(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  src.split('.').forEach((o, i) => (b[i] = Number(o)));
  dst.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

function tcp6(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(36);
  src.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  dst.forEach((g, i) => b.writeUInt16BE(g, 16 + i * 2));
  b.writeUInt16BE(sport, 32);
  b.writeUInt16BE(dport, 34);
  return b;
}

test('parser: v1 and v2 headers, strict and bounded', () => {
  const ok = (buf: Buffer | string, address: string | undefined, length?: number): void => {
    const b = typeof buf === 'string' ? Buffer.from(buf, 'latin1') : buf;
    const r = parseProxyHeader(b);
    assert.equal(r.kind, 'header', `${JSON.stringify(b.toString('latin1'))}: ${JSON.stringify(r)}`);
    if (r.kind !== 'header') return;
    assert.equal(r.source?.address, address);
    if (length !== undefined) assert.equal(r.length, length);
  };
  const bad = (buf: Buffer | string): void => {
    const b = typeof buf === 'string' ? Buffer.from(buf, 'latin1') : buf;
    assert.equal(parseProxyHeader(b).kind, 'invalid', JSON.stringify(b.toString('latin1')));
  };
  const more = (buf: Buffer | string): void => {
    const b = typeof buf === 'string' ? Buffer.from(buf, 'latin1') : buf;
    assert.equal(parseProxyHeader(b).kind, 'incomplete', JSON.stringify(b.toString('latin1')));
  };
  ok('PROXY TCP4 203.0.113.7 10.0.0.1 51234 443\r\nGET', '203.0.113.7', 43);
  ok('PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n', '2001:db8::7');
  ok('PROXY UNKNOWN\r\n', undefined);
  ok('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n', undefined);
  more('PROXY TCP4 203.0.113.7');
  more('PRO');
  bad('GET / HTTP/1.1\r\n');
  bad('PROXY TCP4 203.0.113.7 10.0.0.1 51234\r\n'); // five fields
  bad('PROXY TCP4 2001:db8::7 10.0.0.1 1 2\r\n'); // family mismatch
  bad('PROXY TCP4 203.0.113.07 10.0.0.1 1 2\r\n'); // leading zero
  bad('PROXY TCP4 203.0.113.7 10.0.0.1 01 2\r\n');
  bad('PROXY TCP4 203.0.113.7 10.0.0.1 65536 2\r\n');
  bad('PROXY TCP4  203.0.113.7 10.0.0.1 1 2\r\n'); // two spaces
  bad('PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n');
  bad(`PROXY TCP4 ${'1'.repeat(120)}`); // no CRLF within 107 bytes
  bad(`PROXY UNKNOWN ${'x'.repeat(100)}\r\n`);
  ok(v2(1, 0x11, tcp4('198.51.100.9', '10.0.0.1', 40000, 443)), '198.51.100.9', 28);
  ok(v2(1, 0x21, tcp6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 9], [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 40000, 443)), '2001:db8::9', 52);
  ok(v2(1, 0x21, tcp6([0, 0, 0, 0, 0, 0xffff, 0xc633, 0x6409], [0, 0, 0, 0, 0, 0, 0, 1], 1, 2)), '198.51.100.9');
  ok(v2(0, 0x00, Buffer.alloc(0)), undefined, 16); // LOCAL
  ok(v2(0, 0x11, tcp4('1.2.3.4', '5.6.7.8', 1, 2)), undefined); // LOCAL ignores addresses
  ok(v2(1, 0x11, tcp4('198.51.100.9', '10.0.0.1', 1, 2), Buffer.from([0x04, 0x00, 0x03, 0x61, 0x62, 0x63])), '198.51.100.9', 34); // TLV skipped
  more(v2(1, 0x11, tcp4('198.51.100.9', '10.0.0.1', 1, 2)).subarray(0, 20));
  bad(v2(1, 0x11, Buffer.alloc(8))); // address block too short
  bad(v2(1, 0x12, tcp4('1.2.3.4', '5.6.7.8', 1, 2))); // UDP
  bad(v2(2, 0x11, tcp4('1.2.3.4', '5.6.7.8', 1, 2))); // unknown command
  const huge = Buffer.concat([V2_SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
  bad(huge); // length over the cap, refused before waiting for 64 KiB
  bad(Buffer.concat([V2_SIG, Buffer.from([0x11, 0x11, 0, 12])])); // version 1 in a v2 header
});

interface Planes {
  backend: EchoBackend;
  dataPlane: DataPlane;
  httpFront: FrontDoor;
  httpPort: number;
  https: HttpsListener;
  httpsPort: number;
  logs: Record<string, unknown>[];
}

let p: Planes;

before(async () => {
  const backend = await startEchoBackend();
  const table = routeTable({
    hosts: {
      'app.test': { routes: [{ path: '/', backend: 'default/app:80' }] },
      'ranged.test': { routes: [{ path: '/', backend: 'default/app:80', policy: 'default/ranged' }] },
    },
    backends: { 'default/app:80': [`127.0.0.1:${backend.port}`] },
    policies: { 'default/ranged': { sourceRanges: { allow: [{ address: '203.0.113.0', prefix: 24, family: 'ipv4' }] } } },
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const dataPlane = new DataPlane({ logger });
  dataPlane.apply(table);
  const httpFront = createFrontDoor({ proxyProtocol: true, proxyHeaderTimeoutMs: 1500, logger, accept: (socket) => handOffToEngine((s) => dataPlane.serveHttp1(s, 'http'), socket) });
  const httpPort = await httpFront.listen('127.0.0.1', 0);
  const https = createHttpsListener({ dataPlane, logger, front: { proxyProtocol: true, proxyHeaderTimeoutMs: 1500 } });
  https.apply(table);
  const httpsPort = await https.listen('127.0.0.1', 0);
  p = { backend, dataPlane, httpFront, httpPort, https, httpsPort, logs };
});

after(async () => {
  await p.httpFront.close();
  await p.dataPlane.stop(1000);
  await p.https.close();
  await p.backend.close();
});

const request = (host: string, extra = ''): string => `GET /x HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;

async function viaHttp(prefix: Buffer | string, host = 'app.test', extra = ''): Promise<{ status: number; echo?: EchoReply }> {
  const r = await rawExchange(p.httpPort, [prefix, request(host, extra)], { timeoutMs: 10_000 });
  const res = parseResponse(r.raw);
  assert.ok(res, `no response (closed=${r.closed})`);
  return res.status === 200 ? { status: 200, echo: JSON.parse(res.body.toString()) as EchoReply } : { status: res.status };
}

test('v1 TCP4 over HTTP: the header address is the client (X-Forwarded-For, X-Real-IP, access log)', async () => {
  const r = await viaHttp('PROXY TCP4 203.0.113.7 10.0.0.1 51234 80\r\n');
  assert.equal(r.status, 200);
  assert.equal(r.echo!.headers['x-forwarded-for'], '203.0.113.7');
  assert.equal(r.echo!.headers['x-real-ip'], '203.0.113.7');
  const access = p.logs.filter((l) => l.msg === 'access' && l.client === '203.0.113.7');
  assert.ok(access.length >= 1, 'the access log names the PROXY address');
});

test('v1 TCP6, v2 TCP4 and TCP6 (with a TLV), and the header and request in separate writes', async () => {
  assert.equal((await viaHttp('PROXY TCP6 2001:db8::7 2001:db8::1 51234 80\r\n')).echo!.headers['x-forwarded-for'], '2001:db8::7');
  assert.equal((await viaHttp(v2(1, 0x11, tcp4('198.51.100.9', '10.0.0.1', 40000, 80)))).echo!.headers['x-forwarded-for'], '198.51.100.9');
  const withTlv = v2(1, 0x21, tcp6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 9], [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 40000, 80), Buffer.from([0x04, 0x00, 0x02, 0x68, 0x69]));
  assert.equal((await viaHttp(withTlv)).echo!.headers['x-forwarded-for'], '2001:db8::9');
  // A header that trickles in byte by byte, then the request: nothing of the request is lost.
  const header = Buffer.from('PROXY TCP4 192.0.2.44 10.0.0.1 1 80\r\n');
  const chunks: Buffer[] = [...header].map((b) => Buffer.from([b]));
  const r = await rawExchange(p.httpPort, [...chunks, request('app.test')], { timeoutMs: 10_000 });
  assert.equal(JSON.parse(parseResponse(r.raw)!.body.toString()).headers['x-forwarded-for'], '192.0.2.44');
});

test('v2 LOCAL and v1 UNKNOWN keep the socket\'s own address', async () => {
  assert.equal((await viaHttp(v2(0, 0x00, Buffer.alloc(0)))).echo!.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal((await viaHttp('PROXY UNKNOWN\r\n')).echo!.headers['x-forwarded-for'], '127.0.0.1');
});

test('a client-sent X-Forwarded-For does not override the PROXY address (the proxy is not a trusted proxy)', async () => {
  const r = await viaHttp('PROXY TCP4 203.0.113.7 10.0.0.1 1 80\r\n', 'app.test', 'X-Forwarded-For: 6.6.6.6\r\n');
  assert.equal(r.echo!.headers['x-forwarded-for'], '203.0.113.7');
});

test('source ranges use the PROXY address', async () => {
  assert.equal((await viaHttp('PROXY TCP4 203.0.113.7 10.0.0.1 1 80\r\n', 'ranged.test')).status, 200);
  assert.equal((await viaHttp('PROXY TCP4 198.51.100.7 10.0.0.1 1 80\r\n', 'ranged.test')).status, 403);
  // The TCP peer (127.0.0.1) is outside the range too; LOCAL keeps it and is refused.
  assert.equal((await viaHttp(v2(0, 0x00, Buffer.alloc(0)), 'ranged.test')).status, 403);
});

test('no header, garbage, an oversized v2 length: closed without an answer, the backend never reached', async () => {
  const before = p.backend.count();
  for (const bytes of [request('app.test'), 'PROXY TCP4 nonsense\r\n' + request('app.test'), Buffer.concat([V2_SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])])]) {
    const r = await rawExchange(p.httpPort, bytes, { timeoutMs: 10_000 });
    assert.equal(r.closed, true);
    assert.equal(r.raw.length, 0, `answered ${JSON.stringify(r.raw.toString())}`);
  }
  assert.equal(p.backend.count(), before);
});

test('a slow or silent header is closed after the deadline', async () => {
  const started = Date.now();
  const silent = await rawExchange(p.httpPort, [], { timeoutMs: 20_000 });
  assert.equal(silent.closed, true);
  const partial = await rawExchange(p.httpPort, 'PROXY TCP4 203.0.113.7', { timeoutMs: 20_000 });
  assert.equal(partial.closed, true);
  assert.equal(partial.raw.length, 0);
  // Closed by the 1.5 s deadline, well before the client's own 20 s.
  assert.ok(Date.now() - started < 19_000);
});

function tlsRequest(prefix: Buffer | string, alpn: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({ host: '127.0.0.1', port: p.httpsPort }, () => {
      raw.write(prefix);
      const socket = tlsConnect({ socket: raw, servername: 'app.test', rejectUnauthorized: false, ALPNProtocols: alpn }, () => {
        socket.write(request('app.test'));
      });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
      socket.on('error', reject);
    });
    raw.on('error', reject);
  });
}

test('through TLS: the PROXY header precedes the ClientHello; HTTP/1.1 and h2 see the header address', async () => {
  const text = await tlsRequest('PROXY TCP4 203.0.113.8 10.0.0.1 1 443\r\n', ['http/1.1']);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as EchoReply;
  assert.equal(body.headers['x-forwarded-for'], '203.0.113.8');
  assert.equal(body.headers['x-forwarded-proto'], 'https');
  // h2: the same header, then an HTTP/2 session over the TLS socket.
  const { connect: h2Connect } = await import('node:http2');
  const raw = netConnect({ host: '127.0.0.1', port: p.httpsPort });
  await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
  raw.write(v2(1, 0x11, tcp4('203.0.113.9', '10.0.0.1', 1, 443)));
  const tlsSocket = tlsConnect({ socket: raw, servername: 'app.test', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
  const session = h2Connect('https://app.test', { createConnection: () => tlsSocket });
  const echo = await new Promise<EchoReply>((resolve, reject) => {
    const stream = session.request({ ':path': '/h2', ':authority': 'app.test' });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as EchoReply));
    stream.on('error', reject);
  });
  session.close();
  assert.equal(echo.headers['x-forwarded-for'], '203.0.113.9');
  // Without a header the TLS listener closes the connection before any handshake.
  const r = await rawExchange(p.httpsPort, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0]), { timeoutMs: 10_000 });
  assert.equal(r.closed, true);
  assert.equal(r.raw.length, 0);
});

test('closing the front door stops accepting at once; open keep-alive connections stay with the server behind', async () => {
  const socket = netConnect({ host: '127.0.0.1', port: p.httpPort });
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const responses = (): number => received.split('HTTP/1.1 200').length - 1;
  const until = async (n: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (responses() < n) {
      if (Date.now() > deadline) throw new Error(`no response ${n}: ${JSON.stringify(received)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  socket.write('PROXY TCP4 203.0.113.30 10.0.0.1 1 80\r\nGET /one HTTP/1.1\r\nHost: app.test\r\n\r\n');
  await until(1);
  // Resolves without waiting for this open connection (a drain is the data plane's job).
  await Promise.race([p.httpFront.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('close() waited for open connections')), 10_000))]);
  socket.write('GET /two HTTP/1.1\r\nHost: app.test\r\n\r\n');
  await until(2);
  assert.ok(received.includes('"x-forwarded-for":"203.0.113.30"'));
  socket.destroy();
  const refused = await rawExchange(p.httpPort, 'PROXY UNKNOWN\r\n', { timeoutMs: 10_000 });
  assert.equal(refused.error, 'ECONNREFUSED');
});
