// Source ranges (ingress-nginx allowlist/whitelist/denylist-source-range, gatehouse.dev spellings)
// through one real DataPlane over every transport a client can use: HTTP/1.1 on the plain listener,
// cleartext HTTP/2, and the HTTPS listener with HTTP/1.1 and h2. Clients connect from loopback
// aliases (127.0.0.x), and through a trusted proxy (127.0.0.9) that sets X-Forwarded-For; an
// untrusted peer's X-Forwarded-For is ignored. Refused clients get 403 and never reach the backend;
// a refused policy (a CIDR that does not parse) answers 503.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import type { RoutePolicy } from '../../src/core/policy.ts';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import { createTrustedProxyMatcher } from '../../src/app/trusted-proxies.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { listenOnEveryTransport, type TransportListeners } from '../support/data-plane-fixture.ts';
import { httpRequest } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';

const PROXY = '127.0.0.9';

/** The policy the annotations give, through the real parser. */
function policyOf(annotations: Record<string, string>): RoutePolicy {
  return parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} }).policy;
}

const POLICIES: Record<string, RoutePolicy> = {
  // ingress-nginx spelling; deny wins over allow for 127.0.0.6; IPv6 clients arrive through the proxy.
  'shop/nginx': policyOf({
    'nginx.ingress.kubernetes.io/whitelist-source-range': '127.0.0.5, 127.0.0.6/32,2001:db8::/64',
    'nginx.ingress.kubernetes.io/denylist-source-range': '127.0.0.6',
  }),
  'shop/gatehouse': policyOf({ 'gatehouse.dev/allowlist-source-range': '127.0.0.0/29', 'gatehouse.dev/denylist-source-range': '127.0.0.7' }),
  'shop/deny-only': policyOf({ 'nginx.ingress.kubernetes.io/denylist-source-range': '127.0.0.5/32' }),
  'shop/broken': policyOf({ 'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8, 10.1.2.300' }),
};

let echo: EchoBackend;
let dp: DataPlane;
let listeners: TransportListeners;
let httpPort: number;
let h2cPort: number;
let httpsPort: number;
const lines: Record<string, unknown>[] = [];

before(async () => {
  assert.equal(POLICIES['shop/broken']!.refused?.code, 'AnnotationProtectionInvalid');
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const backend = `shop/web:80`;
  const table = routeTable({
    hosts: Object.fromEntries(Object.keys(POLICIES).map((p) => [`${p.slice(5)}.example.com`, { routes: [{ path: '/', backend, policy: p }] }])),
    backends: { [backend]: [`127.0.0.2:${echo.port}`] },
    policies: POLICIES,
  });
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  dp = new DataPlane({ logger, isTrustedProxy: createTrustedProxyMatcher([{ address: PROXY, prefix: 32, family: 'ipv4' }])! });
  dp.apply(table);
  listeners = await listenOnEveryTransport(dp, table, logger);
  ({ http: httpPort, h2c: h2cPort, https: httpsPort } = listeners);
});

after(async () => {
  await listeners.close();
  await echo.close();
});

type Transport = 'http1' | 'h2c' | 'https' | 'h2';
interface Ask {
  from: string;
  xff?: string;
}

function h2Status(port: number, tls: boolean, host: string, ask: Ask): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`${tls ? 'https' : 'http'}://${host}:${port}`, {
      createConnection: () =>
        tls
          ? tlsConnect({ socket: netConnect({ host: '127.0.0.1', port, localAddress: ask.from }), servername: host, ALPNProtocols: ['h2'], rejectUnauthorized: false })
          : netConnect({ host: '127.0.0.1', port, localAddress: ask.from }),
    });
    session.on('error', reject);
    const headers: Record<string, string> = { ':path': '/', ':authority': host };
    if (ask.xff !== undefined) headers['x-forwarded-for'] = ask.xff;
    const stream = session.request(headers);
    stream.setTimeout(10_000, () => stream.close());
    stream.on('response', (h) => {
      stream.resume();
      stream.on('end', () => {
        session.close();
        resolve(Number(h[':status']));
      });
    });
    stream.on('error', reject);
  });
}

function httpsStatus(host: string, ask: Ask): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (ask.xff !== undefined) headers['x-forwarded-for'] = ask.xff;
    const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/', servername: host, localAddress: ask.from, headers, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function statusOf(transport: Transport, host: string, ask: Ask): Promise<number> {
  switch (transport) {
    case 'http1':
      return (await httpRequest(httpPort, { host, localAddress: ask.from, ...(ask.xff === undefined ? {} : { headers: { 'x-forwarded-for': ask.xff } }) })).status;
    case 'h2c':
      return h2Status(h2cPort, false, host, ask);
    case 'https':
      return httpsStatus(host, ask);
    case 'h2':
      return h2Status(httpsPort, true, host, ask);
  }
}

const CASES: [string, Ask, number, string][] = [
  ['nginx.example.com', { from: '127.0.0.5' }, 200, 'an allowed address'],
  ['nginx.example.com', { from: '127.0.0.6' }, 403, 'denied even though allowed: deny wins'],
  ['nginx.example.com', { from: '127.0.0.3' }, 403, 'not in the allow list'],
  ['nginx.example.com', { from: PROXY, xff: '127.0.0.5' }, 200, 'a trusted proxy: the forwarded client is allowed'],
  ['nginx.example.com', { from: PROXY, xff: '2001:db8::77' }, 200, 'a trusted proxy: an IPv6 client in 2001:db8::/64'],
  ['nginx.example.com', { from: PROXY, xff: '203.0.113.7, 127.0.0.5' }, 200, 'the right-most untrusted hop is the client'],
  ['nginx.example.com', { from: PROXY, xff: '127.0.0.5, 203.0.113.7' }, 403, 'a forged left-most hop does not help'],
  ['nginx.example.com', { from: PROXY }, 403, 'the trusted proxy itself is not allowed'],
  ['nginx.example.com', { from: '127.0.0.3', xff: '127.0.0.5' }, 403, "an untrusted peer's X-Forwarded-For is ignored"],
  ['gatehouse.example.com', { from: '127.0.0.3' }, 200, 'gatehouse.dev spelling: in 127.0.0.0/29'],
  ['gatehouse.example.com', { from: '127.0.0.7' }, 403, 'gatehouse.dev spelling: denied'],
  ['gatehouse.example.com', { from: PROXY }, 403, 'gatehouse.dev spelling: outside the allow list'],
  ['deny-only.example.com', { from: '127.0.0.5' }, 403, 'a deny list alone refuses its addresses'],
  ['deny-only.example.com', { from: '127.0.0.3' }, 200, '... and admits the others'],
  ['broken.example.com', { from: '127.0.0.3' }, 503, 'a CIDR that does not parse refuses the Ingress'],
];

for (const transport of ['http1', 'h2c', 'https', 'h2'] as const) {
  test(`source ranges over ${transport}`, async () => {
    for (const [host, ask, expected, why] of CASES) {
      const before = echo.count();
      assert.equal(await statusOf(transport, host, ask), expected, `${transport} ${host} from ${ask.from}${ask.xff ? ` (X-Forwarded-For: ${ask.xff})` : ''}: ${why}`);
      assert.equal(echo.count() - before, expected === 200 ? 1 : 0, `${why}: the backend ${expected === 200 ? 'answered' : 'never saw the request'}`);
    }
  });
}

test('the access log says why: 403 "source address not allowed" with the client address, 503 with the diagnostic code', async () => {
  const status = await statusOf('http1', 'nginx.example.com', { from: '127.0.0.4' });
  assert.equal(status, 403);
  const line = lines.findLast((l) => l['msg'] === 'access' && l['host'] === 'nginx.example.com' && l['client'] === '127.0.0.4');
  assert.equal(line?.['status'], 403);
  assert.equal(line?.['error'], 'source address not allowed');
  assert.equal(line?.['upstream'], undefined);
  const broken = lines.findLast((l) => l['msg'] === 'access' && l['host'] === 'broken.example.com');
  assert.equal(broken?.['error'], 'AnnotationProtectionInvalid');
});
