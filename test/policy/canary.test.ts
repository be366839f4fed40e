// Canary end to end: Ingresses through the real builder, one real DataPlane, two real echo
// backends (main on 127.0.0.2, canary on 127.0.0.3). Weight 0 and 100 are exact; a 30% split is
// measured over a bounded number of requests with a wide tolerance; canary-by-header
// always/never/value/pattern and canary-by-cookie decide over the weight as ingress-nginx documents;
// cookie affinity keeps a session on the side it started on; the main Ingress's source range and
// basic auth apply to canary traffic (the canary's own are ignored). HTTP/1.1, h2c and WebSocket
// upgrades choose alike.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect as h2connect } from 'node:http2';
import { after, before, test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { Ingress } from '../../src/core/model.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { endpoint, ingress, options, rule, secret, service, slice, snapshotOf } from '../core/fixtures.ts';
import { listenOnEveryTransport, type TransportListeners } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest, json, type HttpRequestOptions } from '../support/http-client.ts';
import { connectWebSocket } from '../support/websocket.ts';

const N = 'nginx.ingress.kubernetes.io/';
const PASSWORD = 'open sesame';
const SHA = `{SHA}${createHash('sha1').update(PASSWORD).digest('base64')}`;

let main: EchoBackend;
let canary: EchoBackend;
let dp: DataPlane;
let listeners: TransportListeners;

/** A main Ingress and its canary for one host, both for path '/'. */
function pair(host: string, mainAnnotations: Record<string, string>, canaryAnnotations: Record<string, string>): Ingress[] {
  const name = host.split('.')[0]!;
  return [
    ingress(`${name}-main`, { created: '2026-01-02T00:00:00Z', annotations: mainAnnotations, rules: [rule(host, ['/', 'Prefix', 'main', 80])] }),
    ingress(`${name}-canary`, { created: '2026-01-01T00:00:00Z', annotations: { [`${N}canary`]: 'true', ...canaryAnnotations }, rules: [rule(host, ['/', 'Prefix', 'canary', 80])] }),
  ];
}

before(async () => {
  main = await startEchoBackend({ address: '127.0.0.2', name: 'main', keep: 10 });
  canary = await startEchoBackend({ address: '127.0.0.3', name: 'canary', keep: 10 });
  const byHeader = { [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-by-cookie`]: 'canary' };
  const result = buildRouteTable(
    snapshotOf([
      service('main', [{ port: 80 }]),
      service('canary', [{ port: 80 }]),
      slice('main-a', 'main', [{ port: main.port }], [endpoint('127.0.0.2')]),
      slice('canary-a', 'canary', [{ port: canary.port }], [endpoint('127.0.0.3')]),
      secret('users', { auth: `ann:${SHA}\n` }, 'Opaque'),
      ...pair('w0.example.com', {}, { ...byHeader, [`${N}canary-weight`]: '0' }),
      ...pair('w100.example.com', {}, { ...byHeader, [`${N}canary-weight`]: '100' }),
      ...pair('split.example.com', {}, { [`${N}canary-weight`]: '30' }),
      ...pair('value.example.com', {}, { [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-by-header-value`]: 'v2' }),
      ...pair('pattern.example.com', {}, { [`${N}canary-by-header`]: 'X-Region', [`${N}canary-by-header-pattern`]: '^(eu|us)-west-[0-9]+$' }),
      ...pair('sticky.example.com', { [`${N}affinity`]: 'cookie', [`${N}session-cookie-name`]: 'route' }, { [`${N}canary-weight`]: '50' }),
      // The canary asks for no protection (or an open one): the main Ingress's still applies.
      ...pair('ranged.example.com', { [`${N}whitelist-source-range`]: '127.0.0.5/32' }, { [`${N}canary-weight`]: '100', [`${N}whitelist-source-range`]: '0.0.0.0/0' }),
      ...pair('auth.example.com', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users' }, { [`${N}canary-weight`]: '100' }),
    ]),
    options(),
  );
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
  const logger = createLogger({ level: 'error', write: () => {} });
  dp = new DataPlane({ logger });
  dp.apply(result.table);
  listeners = await listenOnEveryTransport(dp, result.table, logger);
});

after(async () => {
  await listeners.close();
  await main.close();
  await canary.close();
});

/** Which backend answered (or the status when neither did). */
async function side(host: string, o: HttpRequestOptions = {}): Promise<string> {
  const res = await httpRequest(listeners.http, { host, ...o });
  if (res.status !== 200) return String(res.status);
  return json<{ name: string }>(res).name;
}

async function count(host: string, n: number, o: HttpRequestOptions = {}): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const s = await side(host, o);
    seen[s] = (seen[s] ?? 0) + 1;
  }
  return seen;
}

test('weight 0 sends nothing to the canary, weight 100 everything', async () => {
  assert.deepEqual(await count('w0.example.com', 40), { main: 40 });
  assert.deepEqual(await count('w100.example.com', 40), { canary: 40 });
});

test('a 30% weight splits about 30% of 400 requests (wide tolerance)', async () => {
  const seen = await count('split.example.com', 400);
  const share = seen.canary ?? 0;
  assert.equal(share + (seen.main ?? 0), 400, JSON.stringify(seen));
  // Binomial(400, 0.3): mean 120, sd 9.2; [60, 180] is over 6 sd either way.
  assert.ok(share >= 60 && share <= 180, `canary got ${share} of 400`);
});

test('canary-by-header always/never beats the weight; other values fall through to it', async () => {
  assert.deepEqual(await count('w0.example.com', 10, { headers: { 'x-canary': 'always' } }), { canary: 10 });
  assert.deepEqual(await count('w100.example.com', 10, { headers: { 'x-canary': 'never' } }), { main: 10 });
  assert.deepEqual(await count('w100.example.com', 5, { headers: { 'x-canary': 'sometimes' } }), { canary: 5 });
  assert.deepEqual(await count('w0.example.com', 5, { headers: { 'x-canary': 'ALWAYS' } }), { main: 5 });
});

test('the header decides before the cookie, the cookie before the weight', async () => {
  assert.deepEqual(await count('w100.example.com', 5, { headers: { cookie: 'canary=never' } }), { main: 5 });
  assert.deepEqual(await count('w0.example.com', 5, { headers: { cookie: 'other=1; canary=always' } }), { canary: 5 });
  assert.deepEqual(await count('w0.example.com', 5, { headers: { 'x-canary': 'never', cookie: 'canary=always' } }), { main: 5 });
  assert.deepEqual(await count('w100.example.com', 5, { headers: { 'x-canary': 'always', cookie: 'canary=never' } }), { canary: 5 });
  assert.deepEqual(await count('w0.example.com', 5, { headers: { cookie: 'canary=maybe' } }), { main: 5 });
});

test('canary-by-header-value routes only that exact value', async () => {
  assert.equal(await side('value.example.com', { headers: { 'x-canary': 'v2' } }), 'canary');
  assert.equal(await side('value.example.com', { headers: { 'x-canary': 'v22' } }), 'main');
  assert.equal(await side('value.example.com', { headers: { 'x-canary': 'always' } }), 'main');
  assert.equal(await side('value.example.com'), 'main');
});

test('canary-by-header-pattern matches on RE2', async () => {
  assert.equal(await side('pattern.example.com', { headers: { 'x-region': 'eu-west-1' } }), 'canary');
  assert.equal(await side('pattern.example.com', { headers: { 'x-region': 'us-west-22' } }), 'canary');
  assert.equal(await side('pattern.example.com', { headers: { 'x-region': 'ap-south-1' } }), 'main');
  assert.equal(await side('pattern.example.com', { headers: { 'x-region': 'eu-west-1x' } }), 'main');
  assert.equal(await side('pattern.example.com'), 'main');
});

test('cookie affinity keeps each session on the side it started on', async () => {
  const started: Record<string, number> = {};
  for (let i = 0; i < 8; i++) {
    const first = await httpRequest(listeners.http, { host: 'sticky.example.com' });
    assert.equal(first.status, 200);
    const where = json<{ name: string }>(first).name;
    started[where] = (started[where] ?? 0) + 1;
    const setCookie = first.headers['set-cookie']?.[0];
    assert.ok(setCookie?.startsWith('route='), `affinity cookie set: ${String(setCookie)}`);
    const cookie = setCookie!.split(';')[0]!;
    // 50% weight: without affinity ten follow-ups would almost surely land on both sides.
    assert.deepEqual(await count('sticky.example.com', 10, { headers: { cookie } }), { [where]: 10 }, `session started on ${where}`);
  }
  assert.ok(Object.keys(started).length >= 1);
});

test("the main Ingress's source range applies to canary traffic; the canary's own is ignored", async () => {
  assert.equal(await side('ranged.example.com', { localAddress: '127.0.0.5' }), 'canary');
  assert.equal(await side('ranged.example.com', { localAddress: '127.0.0.6' }), '403');
});

test("the main Ingress's basic auth applies to canary traffic", async () => {
  assert.equal(await side('auth.example.com'), '401');
  const authorization = `Basic ${Buffer.from(`ann:${PASSWORD}`).toString('base64')}`;
  assert.equal(await side('auth.example.com', { headers: { authorization } }), 'canary');
  assert.equal(await side('auth.example.com', { headers: { authorization: `Basic ${Buffer.from('ann:wrong').toString('base64')}` } }), '401');
});

test('HTTP/2 (h2c) requests choose alike', async () => {
  const session = h2connect(`http://127.0.0.1:${listeners.h2c}`);
  try {
    const ask = (host: string, headers: Record<string, string>): Promise<string> =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ':authority': host, ':path': '/', ...headers });
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString()) as { name: string }).name));
      });
    assert.equal(await ask('w0.example.com', { 'x-canary': 'always' }), 'canary');
    assert.equal(await ask('w100.example.com', { 'x-canary': 'never' }), 'main');
    assert.equal(await ask('pattern.example.com', { 'x-region': 'eu-west-3' }), 'canary');
    assert.equal(await ask('w0.example.com', { cookie: 'canary=always' }), 'canary');
  } finally {
    session.close();
  }
});

test('WebSocket upgrades choose alike', async () => {
  const before = canary.count();
  const ws = await connectWebSocket(listeners.http, { host: 'w0.example.com', headers: { 'X-Canary': 'always' } });
  try {
    assert.equal(ws.status, 101);
    assert.equal(canary.count(), before + 1, 'the canary backend took the upgrade');
  } finally {
    ws.close();
  }
  const mainBefore = main.count();
  const ws2 = await connectWebSocket(listeners.http, { host: 'w100.example.com', headers: { 'X-Canary': 'never' } });
  try {
    assert.equal(ws2.status, 101);
    assert.equal(main.count(), mainBefore + 1, 'the main backend took the upgrade');
  } finally {
    ws2.close();
  }
});
