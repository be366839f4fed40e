// Rate and connection limits (ingress-nginx limit-rps, limit-rpm, limit-connections,
// limit-burst-multiplier, limit-whitelist) through one real DataPlane over HTTP/1.1 and cleartext
// HTTP/2, with policies from real annotations through the real parser. Every client connects from
// 127.0.0.1, a trusted proxy, and names its address in X-Forwarded-For: that is how one test varies
// the client address the limits are keyed on. Timing is generous: the bounds allow for a slow
// machine (a bucket refills one request per second at most in these cases).
import assert from 'node:assert/strict';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { after, before, test } from 'node:test';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import type { RoutePolicy } from '../../src/core/policy.ts';
import { createTrustedProxyMatcher } from '../../src/app/trusted-proxies.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import type { DataPlaneOptions } from '../../src/dataplane/data-plane-options.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { listenOnEveryTransport, waitFor, type TransportListeners } from '../support/data-plane-fixture.ts';
import { httpRequest } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';
import { connectWebSocket } from '../support/websocket.ts';

function policyOf(annotations: Record<string, string>): RoutePolicy {
  return parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} }).policy;
}

const POLICIES: Record<string, RoutePolicy> = {
  'shop/rps': policyOf({ 'nginx.ingress.kubernetes.io/limit-rps': '1', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '3' }),
  'shop/rpm': policyOf({ 'nginx.ingress.kubernetes.io/limit-rpm': '6', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '1' }),
  'shop/allow': policyOf({ 'gatehouse.dev/limit-rps': '1', 'gatehouse.dev/limit-burst-multiplier': '1', 'gatehouse.dev/limit-whitelist': '10.9.0.0/16, 2001:db8::/64' }),
  'shop/conn': policyOf({ 'nginx.ingress.kubernetes.io/limit-connections': '2' }),
  'shop/ws': policyOf({ 'nginx.ingress.kubernetes.io/limit-connections': '1' }),
  'shop/many': policyOf({ 'nginx.ingress.kubernetes.io/limit-rps': '1', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '1', 'nginx.ingress.kubernetes.io/limit-connections': '1' }),
  'shop/ordered': policyOf({ 'nginx.ingress.kubernetes.io/limit-rps': '1', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '1', 'nginx.ingress.kubernetes.io/whitelist-source-range': '10.7.0.0/16' }),
  'shop/broken': policyOf({ 'nginx.ingress.kubernetes.io/limit-rps': '5', 'nginx.ingress.kubernetes.io/limit-connections': 'ten' }),
};
const TRUST_LOOPBACK = createTrustedProxyMatcher([{ address: '127.0.0.1', prefix: 32, family: 'ipv4' }])!;
const SMALL_TABLES = 64;

type Transport = 'http1' | 'h2c';
interface Plane {
  dp: DataPlane;
  listeners: TransportListeners;
  lines: Record<string, unknown>[];
}

let echo: EchoBackend;
let main: Plane;
let tooMany: Plane;
const sessions: ClientHttp2Session[] = [];

async function startPlane(options: DataPlaneOptions): Promise<Plane> {
  const backend = 'shop/web:80';
  const table = routeTable({
    hosts: Object.fromEntries(Object.keys(POLICIES).map((p) => [`${p.slice(5)}.example.com`, { routes: [{ path: '/', backend, policy: p }] }])),
    backends: { [backend]: [`127.0.0.2:${echo.port}`] },
    policies: POLICIES,
  });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const dp = new DataPlane({ logger, isTrustedProxy: TRUST_LOOPBACK, ...options });
  dp.apply(table);
  return { dp, listeners: await listenOnEveryTransport(dp, table, logger), lines };
}

before(async () => {
  assert.equal(POLICIES['shop/broken']!.refused?.code, 'AnnotationProtectionInvalid');
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  main = await startPlane({ rateLimits: { bucketSlots: SMALL_TABLES, connectionSlots: SMALL_TABLES } });
  tooMany = await startPlane({ rateLimits: { statusCode: 429 } });
});

after(async () => {
  for (const s of sessions) s.close();
  await main.listeners.close();
  await tooMany.listeners.close();
  await echo.close();
});

/** One request as `client` (X-Forwarded-For from the trusted proxy); resolves with the status. */
async function ask(plane: Plane, transport: Transport, host: string, client: string, path = '/'): Promise<number> {
  if (transport === 'http1') {
    return (await httpRequest(plane.listeners.http, { host: `${host}.example.com`, path, headers: { 'x-forwarded-for': client }, timeoutMs: 30_000 })).status;
  }
  const session = h2connect(`http://127.0.0.1:${plane.listeners.h2c}`);
  sessions.push(session);
  try {
    return await new Promise<number>((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({ ':path': path, ':authority': `${host}.example.com`, 'x-forwarded-for': client });
      stream.setTimeout(30_000, () => stream.close());
      stream.on('response', (h) => {
        stream.resume();
        stream.on('end', () => resolve(Number(h[':status'])));
      });
      stream.on('error', reject);
    });
  } finally {
    session.close();
  }
}

function lastAccess(plane: Plane, client: string): Record<string, unknown> {
  const line = plane.lines.filter((l) => l.msg === 'access' && l.client === client).at(-1);
  assert.ok(line !== undefined, `an access line for ${client}`);
  return line;
}

const count = (statuses: number[], status: number): number => statuses.filter((s) => s === status).length;

for (const transport of ['http1', 'h2c'] as const) {
  const n = transport === 'http1' ? 1 : 2;

  test(`${transport}: a burst beyond 1 + rps × multiplier is refused with 503; the bucket refills at the rate`, async () => {
    const client = `10.0.${n}.1`;
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: 12 }, () => ask(main, transport, 'rps', client)));
    const seconds = (performance.now() - started) / 1000;
    // 1 + 1 × 3 at once; the bucket drains one request a second, so a slow run may admit a few more.
    assert.ok(count(statuses, 200) >= 4 && count(statuses, 200) <= 4 + Math.floor(seconds), `${count(statuses, 200)} admitted in ${seconds} s`);
    assert.equal(count(statuses, 200) + count(statuses, 503), 12, String(statuses));
    assert.equal(lastAccess(main, client).limit, 'limit-rps');
    // Refill: without more requests, one is admitted again after about a second.
    let admitted = false;
    const deadline = performance.now() + 15_000;
    while (!admitted && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      admitted = (await ask(main, transport, 'rps', client)) === 200;
    }
    assert.ok(admitted, 'the bucket refilled');
    // Another client has its own bucket.
    assert.equal(await ask(main, transport, 'rps', `10.0.${n}.2`), 200);
  });

  test(`${transport}: --limit-status-code 429 answers the same refusal with 429`, async () => {
    const client = `10.1.${n}.1`;
    const statuses = await Promise.all(Array.from({ length: 10 }, () => ask(tooMany, transport, 'rps', client)));
    assert.ok(count(statuses, 429) >= 1, String(statuses));
    assert.equal(count(statuses, 503), 0);
    assert.equal(count(statuses, 200) + count(statuses, 429), 10);
  });

  test(`${transport}: limit-rpm: 1 + rpm × multiplier at once, then refused`, async () => {
    const client = `10.2.${n}.1`;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await ask(main, transport, 'rpm', client));
    // 6/min drains one request every 10 s: a run of 10 requests admits 7, maybe 8 on a very slow machine.
    assert.ok(count(statuses, 200) === 7 || count(statuses, 200) === 8, String(statuses));
    assert.deepEqual(statuses.slice(0, 7), [200, 200, 200, 200, 200, 200, 200]);
    assert.equal(statuses.at(-1), 503);
    assert.equal(lastAccess(main, client).limit, 'limit-rpm');
  });

  test(`${transport}: limit-whitelist addresses are never limited; others are`, async () => {
    const exempt = await Promise.all(Array.from({ length: 15 }, () => ask(main, transport, 'allow', `10.9.${n}.7`)));
    assert.equal(count(exempt, 200), 15);
    const v6 = await Promise.all(Array.from({ length: 15 }, () => ask(main, transport, 'allow', `2001:db8::${n}`)));
    assert.equal(count(v6, 200), 15);
    const limited = await Promise.all(Array.from({ length: 15 }, () => ask(main, transport, 'allow', `10.8.${n}.7`)));
    assert.ok(count(limited, 503) >= 10, String(limited));
  });

  test(`${transport}: limit-connections counts requests in progress per client and releases them when they end`, async () => {
    const client = `10.3.${n}.1`;
    const held = [ask(main, transport, 'conn', client, '/?echo-delay-ms=2500'), ask(main, transport, 'conn', client, '/?echo-delay-ms=2500')];
    await waitFor(() => main.dp.rateLimiter.connections.inProgress() >= 2, 10_000, 'two held requests');
    assert.equal(await ask(main, transport, 'conn', client), 503, 'a third request while two are in progress');
    assert.equal(lastAccess(main, client).limit, 'limit-connections');
    assert.equal(await ask(main, transport, 'conn', `10.3.${n}.2`), 200, 'another client is not limited');
    assert.deepEqual(await Promise.all(held), [200, 200]);
    await waitFor(() => main.dp.rateLimiter.connections.inProgress() === 0, 10_000, 'released');
    assert.equal(await ask(main, transport, 'conn', client), 200, 'admitted again once they ended');
  });
}

test('limit-connections holds a WebSocket for the life of its tunnel', async () => {
  const host = 'ws.example.com';
  const headers = { 'x-forwarded-for': '10.4.0.1' };
  const first = await connectWebSocket(main.listeners.http, { host, headers, timeoutMs: 10_000 });
  assert.equal(first.status, 101);
  first.send('hello');
  assert.equal((await first.next(10_000)).payload.toString(), 'hello');
  const second = await connectWebSocket(main.listeners.http, { host, headers, timeoutMs: 10_000 });
  assert.equal(second.status, 503, 'a second tunnel of the same client');
  second.close();
  assert.equal(await ask(main, 'http1', 'ws', '10.4.0.1'), 503, 'a plain request of the same client too');
  assert.equal(await ask(main, 'h2c', 'ws', '10.4.0.1'), 503, 'and over HTTP/2');
  const other = await connectWebSocket(main.listeners.http, { host, headers: { 'x-forwarded-for': '10.4.0.2' }, timeoutMs: 10_000 });
  assert.equal(other.status, 101, 'another client');
  other.close();
  first.close();
  await waitFor(() => main.dp.rateLimiter.connections.inProgress() === 0, 10_000, 'tunnels released');
  const third = await connectWebSocket(main.listeners.http, { host, headers, timeoutMs: 10_000 });
  const status = third.status;
  third.close();
  assert.equal(status, 101, 'a new tunnel once the first closed');
});

test('many distinct clients: the tables keep their size, nothing leaks, every new client is admitted', async () => {
  const clients = 600;
  const statuses: number[] = [];
  for (let i = 0; i < clients; i += 8) {
    statuses.push(...(await Promise.all(Array.from({ length: 8 }, (_, j) => ask(main, j % 2 === 0 ? 'http1' : 'h2c', 'many', `10.${100 + ((i + j) >> 8)}.${(i + j) & 255}.9`)))));
  }
  // Ten times more clients than slots: buckets are evicted (a client only starts over), and
  // connection slots are reused once their requests end.
  assert.equal(count(statuses, 200), clients, `refused: ${statuses.length - count(statuses, 200)}`);
  assert.equal(main.dp.rateLimiter.tables.bucketSlots, SMALL_TABLES);
  assert.equal(main.dp.rateLimiter.connections.size, SMALL_TABLES);
  await waitFor(() => main.dp.rateLimiter.connections.inProgress() === 0, 10_000, 'released');
});

test('limits run before the source ranges, as nginx runs limit_req (preaccess) before allow/deny (access)', async () => {
  const outside: number[] = [];
  for (let i = 0; i < 5; i++) outside.push(await ask(main, 'http1', 'ordered', '10.6.0.1'));
  // A client outside the range spends its budget too: 403 while within it, then the limit's 503.
  assert.deepEqual(outside.slice(0, 2), [403, 403]);
  assert.equal(outside.at(-1), 503);
  assert.equal(lastAccess(main, '10.6.0.1').limit, 'limit-rps');
  assert.equal(await ask(main, 'http1', 'ordered', '10.7.0.1'), 200, 'a client in the range');
});

test('a broken limit value refuses the Ingress: 503 with the diagnostic code, never served unlimited', async () => {
  for (const transport of ['http1', 'h2c'] as const) {
    const statuses = await Promise.all(Array.from({ length: 5 }, () => ask(main, transport, 'broken', '10.5.0.1')));
    assert.deepEqual(statuses, [503, 503, 503, 503, 503]);
  }
  assert.equal(lastAccess(main, '10.5.0.1').error, 'AnnotationProtectionInvalid');
});
