// Basic authentication (ingress-nginx auth-type: basic) through one real DataPlane, with htpasswd
// lines made by the real tools (apache2-utils' htpasswd, openssl passwd), Secrets parsed by the
// real core (collectPolicies), over HTTP/1.1, cleartext HTTP/2, the HTTPS listener (HTTP/1.1 and
// h2) and a WebSocket upgrade. Right credentials reach the backend without Authorization; wrong,
// missing or unknown ones answer 401 with the realm; broken Secrets answer 503; a burst of bcrypt
// guesses is bounded by the worker pool (503 beyond its queue) and never stalls another route.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { after, before, test } from 'node:test';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { Ingress, Secret } from '../../src/core/model.ts';
import type { RoutePolicy } from '../../src/core/policy.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { sharedPasswordCheckPool } from '../../src/dataplane/steps/password-check-pool.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { listenOnEveryTransport, type TransportListeners } from '../support/data-plane-fixture.ts';
import { httpRequest } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';
import { waitFor } from '../support/spawn-gatehouse.ts';
import { connectWebSocket } from '../support/websocket.ts';

const execFileAsync = promisify(execFile);
const REALM = 'Authentication Required - foo';
const PASSWORD = 'corr3ct horse:battery';

function tool(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
}

/** One htpasswd line per scheme, each made by the tool a user would run. */
const LINES: Record<string, string> = {
  bcrypt: tool('htpasswd', ['-nbB', 'bcrypt', PASSWORD]),
  apr1: tool('htpasswd', ['-nbm', 'apr1', PASSWORD]),
  sha: tool('htpasswd', ['-nbs', 'sha', PASSWORD]),
  md5: `md5:${tool('openssl', ['passwd', '-1', PASSWORD])}`,
  apr1ssl: `apr1ssl:${tool('openssl', ['passwd', '-apr1', PASSWORD])}`,
  sha256: `sha256:${tool('openssl', ['passwd', '-5', PASSWORD])}`,
  sha512: `sha512:${tool('openssl', ['passwd', '-6', PASSWORD])}`,
  rounds: `rounds:${tool('openssl', ['passwd', '-6', '-salt', 'rounds=7000$saltysalt', PASSWORD]).replace('$6$saltysalt', '$6$rounds=7000$saltysalt')}`,
};
// bcrypt at cost 9: slow enough that a burst of guesses fills the check queue.
const SLOW = tool('htpasswd', ['-nbB', '-C', '9', 'slow', PASSWORD]);
const GONE = tool('htpasswd', ['-nbB', '-C', '9', 'gone', PASSWORD]);
const DES = tool('htpasswd', ['-nbd', 'old', 'password']);

function secret(namespace: string, name: string, data: Record<string, string>): Secret {
  return { kind: 'Secret', metadata: { namespace, name, labels: {}, annotations: {} }, type: 'Opaque', data };
}

function ingress(name: string, annotations: Record<string, string>, namespace = 'shop'): Ingress {
  return { kind: 'Ingress', metadata: { namespace, name, labels: {}, annotations }, spec: {} };
}

const basic = (extra: Record<string, string>): Record<string, string> => ({ 'nginx.ingress.kubernetes.io/auth-type': 'basic', ...extra });

const SECRETS = new Map<string, Secret>(
  [
    secret('shop', 'users', { auth: `# made by htpasswd and openssl\n${Object.values(LINES).join('\n')}\n${SLOW}\n${GONE}\n` }),
    secret('shop', 'map', { alice: `${tool('openssl', ['passwd', '-6', 'wonderland'])}\n`, bob: tool('htpasswd', ['-nbB', 'bob', 'builder']).split(':')[1]! }),
    secret('shop', 'broken', { auth: `${LINES.sha}\nthis line has no colon\n` }),
    secret('shop', 'des', { auth: `${LINES.sha}\n${DES}\n` }),
    secret('other', 'users', { auth: `${LINES.sha}\n` }),
    secret('shop', 'nokey', { htpasswd: `${LINES.sha}\n` }),
  ].map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]),
);

const INGRESSES = [
  ingress('file', basic({ 'nginx.ingress.kubernetes.io/auth-secret': 'users', 'nginx.ingress.kubernetes.io/auth-realm': REALM })),
  ingress('map', basic({ 'nginx.ingress.kubernetes.io/auth-secret': 'shop/map', 'nginx.ingress.kubernetes.io/auth-secret-type': 'auth-map' })),
  ingress('broken', basic({ 'nginx.ingress.kubernetes.io/auth-secret': 'broken' })),
  ingress('des', basic({ 'nginx.ingress.kubernetes.io/auth-secret': 'des' })),
  ingress('missing', basic({ 'nginx.ingress.kubernetes.io/auth-secret': 'nothing-here' })),
  ingress('cross', basic({ 'nginx.ingress.kubernetes.io/auth-secret': 'other/users' })),
  ingress('nokey', basic({ 'nginx.ingress.kubernetes.io/auth-secret': 'nokey' })),
  ingress('digest', { 'nginx.ingress.kubernetes.io/auth-type': 'digest', 'nginx.ingress.kubernetes.io/auth-secret': 'users' }),
  ingress('open', {}),
];

let policies: Map<string, RoutePolicy>;
let diagnostics: Diagnostic[];
let echo: EchoBackend;
let dp: DataPlane;
let listeners: TransportListeners;
let httpPort: number;
let h2cPort: number;
let httpsPort: number;
const lines: Record<string, unknown>[] = [];

before(async () => {
  ({ policies, diagnostics } = collectPolicies(INGRESSES, SECRETS, { allowCrossNamespaceSecrets: false }));
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const backend = 'shop/web:80';
  const table = routeTable({
    hosts: Object.fromEntries(INGRESSES.map((i) => [`${i.metadata.name}.example.com`, { routes: [{ path: '/', backend, policy: `shop/${i.metadata.name}` }] }])),
    backends: { [backend]: [`127.0.0.2:${echo.port}`] },
    policies: Object.fromEntries(policies),
  });
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  dp = new DataPlane({ logger });
  dp.apply(table);
  listeners = await listenOnEveryTransport(dp, table, logger);
  ({ http: httpPort, h2c: h2cPort, https: httpsPort } = listeners);
});

after(async () => {
  await listeners.close();
  await echo.close();
});

function credentials(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

interface Answer {
  status: number;
  challenge: string | undefined;
}

type Transport = 'http1' | 'h2c' | 'https' | 'h2';

function h2Ask(port: number, tls: boolean, host: string, authorization: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, tls ? { servername: host, rejectUnauthorized: false } : {});
    session.on('error', reject);
    const headers: Record<string, string> = { ':path': '/', ':authority': host };
    if (authorization !== undefined) headers.authorization = authorization;
    const stream = session.request(headers);
    stream.setTimeout(20_000, () => stream.close());
    stream.on('response', (h) => {
      stream.resume();
      stream.on('end', () => {
        session.close();
        const challenge = h['www-authenticate'];
        resolve({ status: Number(h[':status']), challenge: typeof challenge === 'string' ? challenge : undefined });
      });
    });
    stream.on('error', reject);
  });
}

function httpsAsk(host: string, authorization: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (authorization !== undefined) headers.authorization = authorization;
    const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/', servername: host, headers, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] }));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function ask(transport: Transport, host: string, authorization?: string): Promise<Answer> {
  switch (transport) {
    case 'http1': {
      const r = await httpRequest(httpPort, { host, timeoutMs: 20_000, ...(authorization === undefined ? {} : { headers: { authorization } }) });
      return { status: r.status, challenge: r.headers['www-authenticate'] };
    }
    case 'h2c':
      return h2Ask(h2cPort, false, host, authorization);
    case 'https':
      return httpsAsk(host, authorization);
    case 'h2':
      return h2Ask(httpsPort, true, host, authorization);
  }
}

test('the core parses every tool-made line and refuses the broken Secrets with their diagnostic', () => {
  const users = policies.get('shop/file')?.basicAuth?.users ?? {};
  assert.deepEqual(Object.keys(users).sort(), [...Object.keys(LINES), 'slow', 'gone'].sort());
  assert.equal(users.rounds?.algorithm === 'sha-crypt' && users.rounds.rounds, 7000);
  assert.equal(policies.get('shop/file')?.refused, undefined);
  const codeOf = (name: string): string | undefined => policies.get(`shop/${name}`)?.refused?.code;
  assert.equal(codeOf('broken'), 'BasicAuthSecretInvalid');
  assert.equal(codeOf('des'), 'BasicAuthHashUnsupported');
  assert.equal(codeOf('missing'), 'BasicAuthSecretNotFound');
  assert.equal(codeOf('cross'), 'BasicAuthSecretCrossNamespace');
  assert.equal(codeOf('nokey'), 'BasicAuthSecretInvalid');
  assert.equal(codeOf('digest'), 'AnnotationProtectionUnsupported');
  const message = (name: string): string => diagnostics.find((d) => d.object.name === name)?.message ?? '';
  assert.match(message('des'), /DES crypt/);
  assert.match(message('broken'), /line 2 of its "auth" file is not "user:hash"/);
  assert.match(message('nokey'), /no key "auth"/);
  assert.match(message('cross'), /--allow-cross-namespace-secrets/);
  assert.ok(!message('broken').includes('$apr1$'), 'no Secret content in messages');
  for (const d of diagnostics) assert.equal(d.severity, 'error', `${d.code}: ${d.message}`);
  const allowed = collectPolicies([INGRESSES[5]!], SECRETS, { allowCrossNamespaceSecrets: true });
  assert.equal(allowed.policies.get('shop/cross')?.refused, undefined);
  assert.equal(allowed.policies.get('shop/cross')?.basicAuth?.secret, 'other/users');
});

test('HTTP/1.1: each hash scheme admits its password, the backend never sees Authorization', async () => {
  for (const user of Object.keys(LINES)) {
    const before = echo.count();
    const r = await ask('http1', 'file.example.com', credentials(user, PASSWORD));
    assert.equal(r.status, 200, `${user}: the right password`);
    assert.equal(echo.count() - before, 1);
    const seen = echo.requests.at(-1)!;
    assert.equal(seen.headers.authorization, undefined, `${user}: Authorization is removed before the backend`);
    const wrong = await ask('http1', 'file.example.com', credentials(user, `${PASSWORD}x`));
    assert.equal(wrong.status, 401, `${user}: a wrong password`);
    assert.equal(wrong.challenge, `Basic realm="${REALM}"`);
  }
  const map = await ask('http1', 'map.example.com', credentials('alice', 'wonderland'));
  assert.equal(map.status, 200, 'auth-map: sha-512 crypt');
  assert.equal((await ask('http1', 'map.example.com', credentials('bob', 'builder'))).status, 200, 'auth-map: bcrypt');
  const noRealm = await ask('http1', 'map.example.com', credentials('bob', 'nope'));
  assert.equal(noRealm.status, 401);
  assert.equal(noRealm.challenge, 'Basic realm=""', "ingress-nginx's default: no realm");
});

for (const transport of ['http1', 'h2c', 'https', 'h2'] as const) {
  test(`${transport}: right credentials pass; wrong, missing, unknown or malformed ones answer 401 with the realm; broken Secrets 503`, async () => {
    const cases: [string, string | undefined, number, string][] = [
      ['file.example.com', credentials('sha512', PASSWORD), 200, 'the right password'],
      ['file.example.com', credentials('bcrypt', PASSWORD), 200, 'the right bcrypt password'],
      ['file.example.com', credentials('sha512', 'guess'), 401, 'a wrong password'],
      ['file.example.com', undefined, 401, 'no Authorization header'],
      ['file.example.com', credentials('mallory', PASSWORD), 401, 'an unknown user'],
      ['file.example.com', 'Basic !!!notbase64', 401, 'malformed credentials'],
      ['file.example.com', 'Bearer abc', 401, 'another scheme'],
      ['broken.example.com', credentials('alice', 'x'), 503, 'a malformed Secret'],
      ['des.example.com', credentials('sha', PASSWORD), 503, 'a DES hash in the Secret'],
      ['missing.example.com', undefined, 503, 'a missing Secret'],
      ['cross.example.com', credentials('sha', PASSWORD), 503, 'a Secret in another namespace'],
      ['digest.example.com', undefined, 503, 'digest authentication'],
      ['open.example.com', undefined, 200, 'an Ingress without authentication'],
    ];
    for (const [host, authorization, expected, why] of cases) {
      const before = echo.count();
      const r = await ask(transport, host, authorization);
      assert.equal(r.status, expected, `${transport} ${host}: ${why}`);
      assert.equal(echo.count() - before, expected === 200 ? 1 : 0, `${why}: the backend ${expected === 200 ? 'answered' : 'never saw it'}`);
      if (expected === 401) assert.equal(r.challenge, `Basic realm="${REALM}"`, `${why}: the challenge`);
      if (expected === 200 && authorization !== undefined) assert.equal(echo.requests.at(-1)!.headers.authorization, undefined);
    }
  });
}

test('WebSocket upgrade: refused without credentials (401), tunnelled with them, without Authorization upstream', async () => {
  const refused = await connectWebSocket(httpPort, { host: 'file.example.com', timeoutMs: 20_000 });
  assert.equal(refused.status, 401);
  assert.match(refused.responseHead, new RegExp(`www-authenticate: Basic realm="${REALM}"`, 'i'));
  refused.close();
  const wrong = await connectWebSocket(httpPort, { host: 'file.example.com', headers: { authorization: credentials('apr1', 'nope') }, timeoutMs: 20_000 });
  assert.equal(wrong.status, 401);
  wrong.close();
  const ws = await connectWebSocket(httpPort, { host: 'file.example.com', headers: { authorization: credentials('apr1', PASSWORD) }, timeoutMs: 20_000 });
  assert.equal(ws.status, 101);
  ws.send('hello');
  const frame = await ws.next(10_000);
  assert.equal(frame.payload.toString(), 'hello');
  ws.close();
  assert.equal(echo.requests.at(-1)!.headers.authorization, undefined);
  const broken = await connectWebSocket(httpPort, { host: 'des.example.com', headers: { authorization: credentials('sha', PASSWORD) }, timeoutMs: 20_000 });
  assert.equal(broken.status, 503);
  broken.close();
});

test('curl -u (HTTP/1.1 and HTTP/2 with prior knowledge): the realm on 401, the backend reached with the right password', async () => {
  // Asynchronous: the data plane answering curl runs in this process.
  const curl = async (extra: string[]): Promise<string> =>
    (await execFileAsync('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-D', '-', '-H', 'Host: file.example.com', ...extra], { encoding: 'utf8' })).stdout;
  for (const mode of [[`http://127.0.0.1:${httpPort}/`], ['--http2-prior-knowledge', `http://127.0.0.1:${h2cPort}/`]]) {
    const denied = await curl(['-u', 'sha256:wrong', ...mode]);
    assert.match(denied, /^HTTP\/[\d.]+ 401/);
    assert.match(denied, new RegExp(`www-authenticate: Basic realm="${REALM}"`, 'i'));
    assert.match(await curl(['-u', `sha256:${PASSWORD}`, ...mode]), /^HTTP\/[\d.]+ 200/);
  }
});

test('a burst of wrong bcrypt guesses is bounded (503 beyond the queue) and never stalls another route', async () => {
  const pool = sharedPasswordCheckPool();
  const guesses = Array.from({ length: 120 }, (_, i) =>
    httpRequest(httpPort, { host: 'file.example.com', headers: { authorization: credentials('slow', `guess-${i}`) }, timeoutMs: 120_000 }).then((r) => r.status),
  );
  await waitFor('the guesses to fill the check queue', () => pool.stats().queued > 10, 30_000);
  // While the workers are busy, the event loop is not: an open route answers at once.
  const bystander = await httpRequest(httpPort, { host: 'open.example.com', timeoutMs: 5_000 });
  assert.equal(bystander.status, 200);
  assert.ok(pool.stats().queued > 0, 'the bystander was answered while guesses were still waiting');
  const statuses = await Promise.all(guesses);
  const counts = { 401: statuses.filter((s) => s === 401).length, 503: statuses.filter((s) => s === 503).length };
  assert.equal(counts[401] + counts[503], statuses.length, 'every guess is refused: 401, or 503 when the queue is full');
  assert.ok(counts[503] > 0, 'the queue is bounded: some guesses were answered 503 at once');
  assert.ok(counts[401] <= 2 + 64 + 10, `at most the workers plus the queue were hashed (${counts[401]})`);
  assert.ok(lines.some((l) => l['msg'] === 'access' && l['error'] === 'password check queue full'));
  // The right password still works afterwards, and a second time from the cache.
  assert.equal((await ask('http1', 'file.example.com', credentials('slow', PASSWORD))).status, 200);
  assert.equal((await ask('http1', 'file.example.com', credentials('slow', PASSWORD))).status, 200);
});

test('a client that goes away while its password is checked is cleaned up: logged 499, never forwarded, its queued check dropped', async () => {
  const pool = sharedPasswordCheckPool();
  const blockers = Array.from({ length: 6 }, (_, i) =>
    httpRequest(httpPort, { host: 'file.example.com', headers: { authorization: credentials('slow', `block-${i}`) }, timeoutMs: 60_000 }).then((r) => r.status),
  );
  await waitFor('the blockers to queue', () => pool.stats().queued >= 3, 30_000);
  const before = echo.count();
  const socket = netConnect({ host: '127.0.0.1', port: httpPort });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`GET /gone HTTP/1.1\r\nhost: file.example.com\r\nauthorization: ${credentials('gone', PASSWORD)}\r\n\r\n`);
  await waitFor('the departing request to queue', () => pool.stats().queued >= 4, 30_000);
  socket.destroy();
  await waitFor('the access line of the departed client', () => lines.some((l) => l['msg'] === 'access' && l['path'] === '/gone'), 30_000);
  const line = lines.find((l) => l['msg'] === 'access' && l['path'] === '/gone')!;
  assert.equal(line['status'], 499);
  assert.deepEqual(await Promise.all(blockers), [401, 401, 401, 401, 401, 401]);
  await waitFor('the pool to drain', () => pool.stats().running === 0 && pool.stats().queued === 0, 30_000);
  assert.equal(echo.count(), before, 'the departed request never reached the backend');
  assert.equal(lines.filter((l) => l['msg'] === 'access' && l['path'] === '/gone').length, 1, 'logged once');
});
