// The upstream request is built from an allow-list, and forwarding headers cannot be spoofed:
// checked on the bytes the recording backend received, not on what a parser made of them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, rawRequest } from '../support/raw-http.ts';
import { createTrustedProxyMatcher } from '../../src/app/trusted-proxies.ts';
import { parseCidr } from '../../src/config/parse-values.ts';
import { echoBody, HOST, startFixture, type Fixture } from './harness.ts';

/** `--trusted-proxies TEXT` → isTrustedProxy, as start-gatehouse builds it. */
function trust(text: string): (a: string) => boolean {
  const m = createTrustedProxyMatcher(text.split(',').map((c) => parseCidr('trusted-proxies', c)));
  assert.ok(m);
  return m;
}

/** Sends one request and returns the header lines of the request as the backend received them. */
async function upstreamHead(f: Fixture, bytes: string): Promise<{ lines: [string, string][]; raw: string }> {
  f.reset();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(bytes);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200, r.body.toString('latin1'));
    echoBody(r);
  } finally {
    conn.destroy();
  }
  const raw = f.publicBackend.allBytes().toString('latin1');
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const lines = head
    .split('\r\n')
    .slice(1)
    .map((l): [string, string] => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
  return { lines, raw };
}

function values(lines: [string, string][], name: string): string[] {
  return lines.filter(([n]) => n === name).map(([, v]) => v);
}

let untrusted: Fixture;
let trusted: Fixture;
before(async () => {
  untrusted = await startFixture({ dataPlane: { isTrustedProxy: trust('10.0.0.0/8') } });
  trusted = await startFixture({ dataPlane: { isTrustedProxy: trust('127.0.0.0/8') } });
});
after(async () => {
  await untrusted.close();
  await trusted.close();
});

const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-foo', 'trailer', 'upgrade', 'http2-settings', 'x-named-in-connection', 'x-also-named', 'expect'];

test('hop-by-hop, Connection-named, Proxy-* headers never reach the backend; TE only as "trailers"; one framing header', async () => {
  const body = '5\r\nhello\r\n0\r\n\r\n';
  const { lines, raw } = await upstreamHead(
    untrusted,
    `POST /h HTTP/1.1\r\nHost: ${HOST}\r\nConnection: keep-alive, X-Named-In-Connection, x-also-named, TE\r\nKeep-Alive: timeout=5\r\n` +
      `Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Foo: 1\r\nTrailer: X-T\r\nTE: trailers, deflate;q=0.5\r\n` +
      `X-Named-In-Connection: secret\r\nX-Also-Named: secret\r\nX-Kept: yes\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
  );
  for (const name of HOP_BY_HOP) assert.deepEqual(values(lines, name), [], `${name} reached the backend: ${raw.slice(0, 600)}`);
  // The proxy's own hop to the backend may say keep-alive; nothing the client named survives.
  for (const v of values(lines, 'connection')) assert.match(v, /^(keep-alive|close)$/i);
  assert.deepEqual(values(lines, 'te'), ['trailers']);
  assert.deepEqual(values(lines, 'x-kept'), ['yes']);
  const framing = lines.filter(([n]) => n === 'content-length' || n === 'transfer-encoding');
  assert.equal(framing.length, 1, `exactly one framing header upstream: ${JSON.stringify(framing)}`);
  assert.equal(untrusted.publicBackend.requests[0]?.body.toString(), 'hello');
});

test('TE without "trailers" is dropped entirely', async () => {
  const { lines } = await upstreamHead(untrusted, `GET /h HTTP/1.1\r\nHost: ${HOST}\r\nTE: gzip\r\nConnection: TE\r\n\r\n`);
  assert.deepEqual(values(lines, 'te'), []);
});

test('h2c upgrade attempts are served as plain HTTP/1.1 with the upgrade headers removed', async () => {
  untrusted.reset();
  const conn = await RawConnection.connect({ port: untrusted.port });
  try {
    await conn.send(`GET /h2c HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 200, 'not 101: no protocol switch');
    assert.equal(echoBody(r).url, '/h2c');
    // The connection is still plain HTTP/1.1: a second request on it works.
    await conn.send(`GET /after HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const r2 = await conn.readResponse();
    assert.ok(r2 !== 'closed');
    assert.equal(echoBody(r2).url, '/after');
  } finally {
    conn.destroy();
  }
  const head = untrusted.publicBackend.allBytes().toString('latin1').toLowerCase();
  assert.ok(!head.includes('upgrade'), head);
  assert.ok(!head.includes('http2-settings'), head);
});

test('untrusted peer: every spoofed forwarding header is replaced, spelled any way', async () => {
  const { lines } = await upstreamHead(
    untrusted,
    `GET /xff HTTP/1.1\r\nHost: ${HOST}\r\nX-Forwarded-For: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7\r\nX_Forwarded_For: 8.8.8.8\r\n` +
      `X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Port: 1\r\nX-Real-IP: 6.6.6.6\r\nx-real-ip: 6.6.6.6\r\n` +
      `Forwarded: for=6.6.6.6;proto=https;host=evil.example\r\nX-Request-ID: bad\r\nid\r\n\r\n`.replace('bad\r\nid', 'abc-123'),
  );
  assert.deepEqual(values(lines, 'x-forwarded-for'), ['127.0.0.1']);
  assert.deepEqual(values(lines, 'x-real-ip'), ['127.0.0.1']);
  assert.deepEqual(values(lines, 'x-forwarded-proto'), ['http']);
  assert.deepEqual(values(lines, 'x-forwarded-host'), [HOST]);
  assert.deepEqual(values(lines, 'x-forwarded-port'), [String(untrusted.port)]);
  assert.deepEqual(values(lines, 'forwarded'), [`for=127.0.0.1;proto=http;host=${HOST}`]);
  assert.deepEqual(values(lines, 'x_forwarded_for'), []);
  const all = lines.map(([, v]) => v).join('\n');
  for (const spoof of ['6.6.6.6', '7.7.7.7', '8.8.8.8', 'evil.example', 'https']) assert.ok(!all.includes(spoof), `${spoof} reached the backend`);
});

test('trusted peer: the chain is appended to; the client is the right-most untrusted hop', async () => {
  const { lines } = await upstreamHead(
    trusted,
    `GET /xff HTTP/1.1\r\nHost: ${HOST}\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.9\r\nX-Forwarded-For: 127.0.0.7\r\nX-Forwarded-Proto: https\r\n` +
      `X-Forwarded-Host: public.example\r\nX-Real-IP: 6.6.6.6\r\nForwarded: for=203.0.113.9;proto=https\r\n\r\n`,
  );
  assert.deepEqual(values(lines, 'x-forwarded-for'), ['6.6.6.6, 203.0.113.9, 127.0.0.7, 127.0.0.1']);
  assert.deepEqual(values(lines, 'x-real-ip'), ['203.0.113.9'], 'not the left-most, spoofable 6.6.6.6');
  assert.deepEqual(values(lines, 'x-forwarded-proto'), ['https']);
  assert.deepEqual(values(lines, 'x-forwarded-host'), ['public.example']);
  assert.deepEqual(values(lines, 'forwarded'), [`for=203.0.113.9;proto=https, for=127.0.0.1;proto=http;host=${HOST}`]);
});

test('trusted peer without any forwarding header: the peer is the client', async () => {
  const { lines } = await upstreamHead(trusted, `GET /xff HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  assert.deepEqual(values(lines, 'x-forwarded-for'), ['127.0.0.1']);
  assert.deepEqual(values(lines, 'x-real-ip'), ['127.0.0.1']);
});

test('trusted peer: its proto and host are passed on as sent; CR, LF or NUL in them never reach the backend', async () => {
  const { lines } = await upstreamHead(trusted, `GET /xff HTTP/1.1\r\nHost: ${HOST}\r\nX-Forwarded-Proto: gopher\r\nX-Forwarded-Host: other.example\r\n\r\n`);
  assert.deepEqual(values(lines, 'x-forwarded-proto'), ['gopher']);
  assert.deepEqual(values(lines, 'x-forwarded-host'), ['other.example']);
  for (const [name, value] of [
    ['X-Forwarded-Host', 'a\rInjected: 1'],
    ['Forwarded', 'for=x\rInjected: 1'],
    ['X-Forwarded-Proto', 'http\0Injected: 1'],
    ['X-Forwarded-For', '1.2.3.4\rInjected: 1'],
  ] as const) {
    trusted.reset();
    const { response, conn } = await rawRequest(trusted.port, `GET /xff HTTP/1.1\r\nHost: ${HOST}\r\n${name}: ${value}\r\n\r\n`);
    conn.destroy();
    assert.ok(response === 'closed' || response.status === 400, `${JSON.stringify(value)}: ${response === 'closed' ? 'closed' : response.status}`);
    assert.equal(trusted.publicBackend.allBytes().length, 0, `${JSON.stringify(value)} was forwarded`);
  }
});

// Headers backends read as facts about the client's scheme, path, address or identity (issue 9).
const SPOOFABLE: [string, string][] = [
  ['X-Forwarded-Scheme', 'https'],
  ['X-Scheme', 'https'],
  ['X-Forwarded-Ssl', 'on'],
  ['Front-End-Https', 'on'],
  ['X-Original-URI', '/admin'],
  ['X-Original-Forwarded-For', '1.2.3.4'],
  ['X-Forwarded-Prefix', '/admin'],
  ['X-Client-IP', '1.2.3.4'],
  ['True-Client-IP', '1.2.3.4'],
  ['CF-Connecting-IP', '1.2.3.4'],
  ['Fastly-Client-IP', '1.2.3.4'],
  ['X-Cluster-Client-IP', '1.2.3.4'],
  ['X-Remote-User', 'admin'],
  ['X-Forwarded-User', 'admin'],
  ['X-Forwarded-Email', 'admin@example.com'],
  ['X-Auth-Request-User', 'admin'],
  ['X-Auth-Request-Email', 'admin@example.com'],
  ['x-envoy-original-path', '/admin'],
  ['X-Envoy-Internal', 'true'],
];

test('untrusted peer: scheme, path, client-address and identity headers never reach the backend', async () => {
  const extra = SPOOFABLE.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const { lines } = await upstreamHead(untrusted, `GET /spoof HTTP/1.1\r\nHost: ${HOST}\r\n${extra}X-Kept: yes\r\n\r\n`);
  for (const [name] of SPOOFABLE) assert.deepEqual(values(lines, name.toLowerCase()), [], `${name} reached the backend`);
  assert.deepEqual(values(lines, 'x-kept'), ['yes'], 'ordinary headers still pass');
  assert.deepEqual(values(lines, 'x-forwarded-proto'), ['http']);
});

test('trusted peer: those headers are passed on as sent', async () => {
  const extra = SPOOFABLE.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const { lines } = await upstreamHead(trusted, `GET /spoof HTTP/1.1\r\nHost: ${HOST}\r\n${extra}\r\n`);
  for (const [name, value] of SPOOFABLE) assert.deepEqual(values(lines, name.toLowerCase()), [value], `${name} from a trusted proxy`);
});
