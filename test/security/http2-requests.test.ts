// The same request checks over HTTP/2 (HTTPS listener, ALPN h2): canonical paths, fragments,
// Host vs :authority, body limits, expectations, and connection-specific headers that nghttp2
// itself refuses. The backend is reached over HTTP/1.1 and sees only the canonical path.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import tls from 'node:tls';
import { startProcessFixture, type ProcessFixture } from './process-fixture.ts';
import { HOST, MARKER } from './harness.ts';

let f: ProcessFixture;
let session: http2.ClientHttp2Session;

before(async () => {
  f = await startProcessFixture(['--max-body-size', '1000']);
  session = http2.connect(`https://127.0.0.1:${f.gh.ports.https}`, { servername: HOST, rejectUnauthorized: false });
  session.on('error', () => {});
});
after(async () => {
  session?.close();
  await f?.close();
});

function h2(headers: http2.OutgoingHttpHeaders, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':authority': HOST, ...headers }, { endStream: body === undefined });
    const timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
    let status = 0;
    let text = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: string) => (text += d));
    req.on('end', () => {
      clearTimeout(timer);
      resolve({ status, body: text });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body !== undefined) req.end(body);
  });
}

test('HTTP/2 paths are canonicalised like HTTP/1 ones: the pod sees /admin', async () => {
  for (const path of ['/public/../admin', '/public/%2e%2e/admin', '//admin', '/%61dmin']) {
    f.adminBackend.reset();
    const r = await h2({ ':path': path });
    assert.equal(r.status, 200, path);
    const seen = JSON.parse(r.body) as { backend: string; url: string };
    assert.deepEqual([seen.backend, seen.url], ['admin', '/admin'], path);
  }
});

test('HTTP/2 requests refused by the same checks', async () => {
  const cases: [http2.OutgoingHttpHeaders, number, string?][] = [
    [{ ':path': '/admin#frag' }, 400],
    [{ ':path': '/public%2f..%2fadmin' }, 400],
    [{ ':path': '/public/..;/admin' }, 400],
    [{ ':path': '/a\\b' }, 400],
    [{ ':path': '/x', host: 'evil.example' }, 400],
    // nghttp2 refuses an :authority with a space or userinfo itself: the stream is reset (PROTOCOL_ERROR), -1 here.
    [{ ':path': '/x', ':authority': 'a b' }, -1],
    [{ ':path': '/x', ':authority': 'a@evil.example' }, -1],
    [{ ':path': '/x', ':authority': `${HOST}:99999` }, 400],
    [{ ':path': '/' + 'a'.repeat(9000) }, 414],
    [{ ':path': '/upload', ':method': 'POST', 'content-length': '5000' }, 413, 'x'.repeat(5000)],
    [{ ':path': '/x', expect: 'gimme' }, 417],
  ];
  for (const [headers, status, body] of cases) {
    f.publicBackend.reset();
    f.adminBackend.reset();
    const r = await h2(headers, body).catch((err: Error) => ({ status: -1, body: err.message }));
    assert.equal(r.status, status, `${JSON.stringify(headers).slice(0, 120)}: ${r.body.slice(0, 100)}`);
    assert.equal(f.publicBackend.allBytes().length + f.adminBackend.allBytes().length, 0, 'nothing reached a backend');
  }
  // The session survives stream-level refusals.
  assert.equal((await h2({ ':path': '/still-fine' })).status, 200);
});

test('connection-specific headers on HTTP/2 (Transfer-Encoding, Connection, Upgrade, TE: gzip) are refused by nghttp2 and never forwarded', async () => {
  const frame = (type: number, flags: number, id: number, payload: Buffer): Buffer => {
    const h = Buffer.alloc(9);
    h.writeUIntBE(payload.length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(id, 5);
    return Buffer.concat([h, payload]);
  };
  const literal = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
  const authority = Buffer.from(HOST);
  const base = Buffer.concat([Buffer.from([0x82, 0x87]), Buffer.from([0x04, 2 + MARKER.length]), Buffer.from(`/${MARKER}x`.slice(0, 1 + MARKER.length + 1)), Buffer.from([0x01, authority.length]), authority]);
  for (const [name, value] of [
    ['transfer-encoding', 'chunked'],
    ['connection', 'keep-alive'],
    ['upgrade', 'websocket'],
    ['te', 'gzip'],
    ['keep-alive', '1'],
    ['proxy-connection', 'keep-alive'],
  ] as const) {
    f.publicBackend.reset();
    const s = tls.connect({ host: '127.0.0.1', port: f.gh.ports.https, ALPNProtocols: ['h2'], servername: HOST, rejectUnauthorized: false });
    s.on('error', () => {});
    let inbound = Buffer.alloc(0);
    s.on('data', (d: Buffer) => (inbound = Buffer.concat([inbound, d])));
    await new Promise<void>((resolve) => s.once('secureConnect', () => resolve()));
    s.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x5, 1, Buffer.concat([base, literal(name, value)]))]));
    // Wait (bounded) for the refusal: RST_STREAM (3) or GOAWAY (7), or a 400 HEADERS on stream 1.
    const deadline = Date.now() + 5000;
    const refused = (): boolean => {
      let b = inbound;
      while (b.length >= 9) {
        const len = b.readUIntBE(0, 3);
        if (b.length < 9 + len) break;
        const type = b[3];
        if (type === 3 || type === 7) return true;
        if (type === 1 && b.readUInt32BE(5) === 1) return true;
        b = b.subarray(9 + len);
      }
      return false;
    };
    while (!refused() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    s.destroy();
    assert.ok(refused(), `${name}: no refusal`);
    assert.ok(!f.publicBackend.allBytes().toString('latin1').includes(MARKER), `${name}: the request reached the backend`);
  }
});
